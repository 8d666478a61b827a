/**
 * Reads the raw zone back: every object under raw/<stream>/, every line
 * decoded to its record with the payload bytes recovered exactly. Used by
 * `demo`'s summary, the reconciler and the tests.
 */
import { gunzipSync } from 'node:zlib';
import type { ObjectStorePort } from './objectStore.js';
import { decodeRawLine, type DecodedRawLine } from './rawLine.js';

export interface RawObject {
  key: string;
  size: number;
  records: DecodedRawLine[];
}

export async function readRawZone(store: ObjectStorePort, stream: string, concurrency = 8): Promise<RawObject[]> {
  const listed = await store.list(`raw/${stream}/`);
  const out: RawObject[] = new Array(listed.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, listed.length) }, async () => {
      while (next < listed.length) {
        const i = next++;
        const obj = listed[i]!;
        const body = gunzipSync(await store.get(obj.key)).toString('utf8');
        const records = body
          .split('\n')
          .filter((l) => l.length > 0)
          .map(decodeRawLine);
        out[i] = { key: obj.key, size: obj.size, records };
      }
    }),
  );
  return out;
}

/** The identity of a record in the lake: shard, sequence and sub-sequence number. */
export function recordIdentity(r: { shardId: string; sequenceNumber: string; subSequenceNumber: number | undefined }): string {
  return `${r.shardId}/${r.sequenceNumber}/${r.subSequenceNumber ?? '-'}`;
}
