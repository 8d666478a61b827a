/**
 * Gzip of a raw file's pieces, in order, as one stream. The bytes are
 * exactly those of gzip over the concatenated pieces, which is what makes a
 * replayed raw object byte-identical to the first one whatever GetRecords
 * batches it was read in: when zlib compresses, its output does not depend
 * on how its input or output is split (at level 0, which only stores, it
 * does; so the level is fixed here). The pieces are never concatenated,
 * and zlib hands back output in large chunks: with the 16 KiB default the
 * main thread spent more time on zlib's callbacks than on the rest of a
 * write.
 */
import { createGzip } from 'node:zlib';

/** zlib level of the raw zone: the fastest; JSON lines still shrink about 8x. */
export const RAW_GZIP_LEVEL = 1;

const MIN_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 1024 * 1024;

export function gzipParts(parts: readonly Uint8Array[]): Promise<Buffer> {
  let input = 0;
  for (const p of parts) input += p.byteLength;
  // About the whole output in one chunk (JSON lines compress ~8x), within bounds that keep small files small.
  const chunkSize = Math.min(MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, input >>> 3));
  return new Promise<Buffer>((resolve, reject) => {
    const gz = createGzip({ level: RAW_GZIP_LEVEL, chunkSize });
    const out: Buffer[] = [];
    gz.on('data', (c: Buffer) => out.push(c));
    gz.on('error', reject);
    gz.on('end', () => resolve(out.length === 1 ? out[0]! : Buffer.concat(out)));
    for (const p of parts) if (p.byteLength > 0) gz.write(p);
    gz.end();
  });
}
