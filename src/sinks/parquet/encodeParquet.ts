/**
 * The cleansed zone's Parquet encoder: binary column chunks in, one
 * Parquet file out. Runs inside a worker thread; the result owns its whole
 * ArrayBuffer, so the caller can transfer it back without a copy.
 *
 * Row groups are streamed through parquet-wasm's writer one at a time: only
 * one row group is ever held as Arrow buffers (JS and WASM copies), and each
 * WASM table is freed as soon as its batch is handed over (not freeing them
 * was measured to leak ~22 MB of WASM memory per 25 MB file).
 */
import { Compression, Table, WriterPropertiesBuilder, WriterVersion, transformParquetStream, type RecordBatch } from 'parquet-wasm';
import { rowGroupToIpc } from './arrowBatch.js';
import { rowGroupSlices, type RowGroupSlices } from './chunkReader.js';
import { CleansedChunkError } from './errors.js';

export type ParquetCompression = 'snappy' | 'zstd';

export interface EncodeParquetOptions {
  compression: ParquetCompression;
  /** Rows per row group (default 100,000): the unit of peak encoder memory. */
  rowGroupRows?: number;
}

export const DEFAULT_ROW_GROUP_ROWS = 100_000;

/**
 * Columns written PLAIN instead of dictionary-encoded: their values (almost)
 * never repeat within a row group, so a dictionary only costs a hash-table
 * insert per value and then holds every value once more. Sequence numbers
 * are unique per record, the two timestamps are milliseconds, and `_extra`
 * holds whatever a tracker adds (URLs, devices, versions). On 5,500 rows of
 * the bench clickstream (throwaway run, see docs/performance.md) the files
 * were 7 % smaller and encoding took 25 % less time. Columns whose values do
 * repeat (ids, categories, dates) keep their dictionaries: without the
 * session and user ids' dictionaries too, files grew by 26 % and 45 %.
 */
export const PLAIN_COLUMNS: readonly string[] = ['event_time', '_extra', '_sequence_number', '_arrival_time'];
const MAX_ROW_GROUP_ROWS = 10_000_000;

function writerProperties(options: EncodeParquetOptions, rowGroupRows: number) {
  let builder = new WriterPropertiesBuilder();
  for (const column of PLAIN_COLUMNS) builder = builder.setColumnDictionaryEnabled(column, false);
  return (
    builder
      .setCompression(options.compression === 'zstd' ? Compression.ZSTD : Compression.SNAPPY)
      // v1 data pages: what every Athena engine version reads.
      .setWriterVersion(WriterVersion.V1)
      .setDictionaryEnabled(true)
      // Our batches already have the row group size; this stops parquet-rs merging or splitting them differently.
      .setMaxRowGroupSize(rowGroupRows)
      .build()
  );
}

/**
 * Encodes column chunks (lake/columnChunk.ts; their columns
 * are CLEANSED_COLUMNS) into one Parquet file. Deterministic: the same
 * chunks and options give the same bytes.
 */
export async function encodeParquet(chunks: Uint8Array[], options: EncodeParquetOptions): Promise<Uint8Array<ArrayBuffer>> {
  const rowGroupRows = options.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
  if (!Number.isSafeInteger(rowGroupRows) || rowGroupRows < 1 || rowGroupRows > MAX_ROW_GROUP_ROWS) {
    throw new CleansedChunkError(`rowGroupRows must be a whole number between 1 and ${MAX_ROW_GROUP_ROWS}, got ${rowGroupRows}`);
  }
  if (options.compression !== 'snappy' && options.compression !== 'zstd') {
    throw new CleansedChunkError(`compression must be snappy or zstd, got ${String(options.compression)}`);
  }
  const groups = rowGroupSlices(chunks, rowGroupRows);
  // parquet-wasm reports a failed source stream as its own string; keep ours.
  let sourceError: unknown;
  // highWaterMark 0: the writer pulls the next row group only when it wants it.
  const batches = new ReadableStream<RecordBatch>(
    {
      pull(controller) {
        let next: IteratorResult<RowGroupSlices>;
        let ipc: Uint8Array;
        try {
          next = groups.next();
          if (next.done) {
            controller.close();
            return;
          }
          ipc = rowGroupToIpc(next.value);
        } catch (err) {
          sourceError = err;
          throw err;
        }
        const table = Table.fromIPCStream(ipc);
        try {
          const batch = table.recordBatch(0);
          if (batch === undefined) throw new Error('parquet-wasm returned no record batch for a row group');
          // The writer takes ownership of the batch; the table must be freed by hand.
          controller.enqueue(batch);
        } finally {
          table.free();
        }
      },
    },
    { highWaterMark: 0 },
  );
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    // The writer reads the first batch (for the schema) before it returns the stream.
    const output = (await transformParquetStream(batches, writerProperties(options, rowGroupRows))) as ReadableStream<Uint8Array>;
    for await (const part of output as unknown as AsyncIterable<Uint8Array>) {
      parts.push(part);
      total += part.byteLength;
    }
  } catch (err) {
    throw sourceError ?? err;
  }
  return ownBuffer(parts, total);
}

/** One Uint8Array spanning its whole ArrayBuffer (transferable as is). */
function ownBuffer(parts: Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
  const only = parts[0];
  if (parts.length === 1 && only !== undefined && only.buffer instanceof ArrayBuffer && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength) {
    return only as Uint8Array<ArrayBuffer>;
  }
  const file = new Uint8Array(total);
  let offset = 0;
  for (let i = 0; i < parts.length; i++) {
    file.set(parts[i]!, offset);
    offset += parts[i]!.byteLength;
  }
  return file;
}
