/**
 * Parquet encoder throughput: ~300,000 clickstream rows, as the processors
 * hand them over (binary column chunks of 500 rows), encoded with Snappy and
 * with ZSTD in 100,000-row row groups, on this thread. Also times building
 * those chunks (the processors' share of the work).
 *
 *   npx tsx bench/parquet.ts [--rows 300000] [--row-group 100000]
 */
import { pathToFileURL } from 'node:url';
import { wasmMemory } from 'parquet-wasm';
import { CLEANSED_COLUMNS, type ColumnChunk } from '../src/lake/cleansedColumns.js';
import { encodeColumnChunk } from '../src/lake/columnChunk.js';
import { encodeParquet, type ParquetCompression } from '../src/sinks/parquet/encodeParquet.js';

const CHUNK_ROWS = 500;
const TYPES = ['page_view', 'page_view', 'page_view', 'add_to_cart', 'purchase', 'search'];
const CATEGORIES = ['electronics', 'books', 'home & garden', 'toys', 'sports', null];

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

/** Deterministic rows (a linear congruential generator), so runs compare; as column arrays of CHUNK_ROWS rows. */
function syntheticColumns(rows: number): ColumnChunk[] {
  let state = 12345;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
  const startMs = Date.UTC(2026, 4, 1, 7);
  const chunks: ColumnChunk[] = [];
  for (let first = 0; first < rows; first += CHUNK_ROWS) {
    const n = Math.min(CHUNK_ROWS, rows - first);
    const columns: ColumnChunk['columns'] = Object.fromEntries(CLEANSED_COLUMNS.map((c) => [c.name, new Array(n)]));
    const set = (name: string, i: number, v: string | number | null) => (columns[name]![i] = v);
    for (let i = 0; i < n; i++) {
      const row = first + i;
      const arrival = startMs + Math.floor((row / rows) * 3_599_000);
      const type = TYPES[Math.floor(next() * TYPES.length)]!;
      const priced = type === 'purchase' || type === 'add_to_cart';
      const quantity = priced ? 1 + Math.floor(next() * 4) : null;
      const price = priced ? Math.round((1 + next() * 300) * 100) / 100 : null;
      set('event_time', i, arrival - Math.floor(next() * 2000));
      set('event_type', i, type);
      set('user_id', i, `user-${Math.floor(next() * 50_000)}`);
      set('session_id', i, `session-${Math.floor(next() * 120_000)}`);
      set('product_id', i, type === 'search' ? null : `prod-${Math.floor(next() * 5_000)}`);
      set('category', i, type === 'search' ? null : CATEGORIES[Math.floor(next() * CATEGORIES.length)]!);
      set('search_query', i, type === 'search' ? `query ${Math.floor(next() * 1000)}` : null);
      set('quantity', i, quantity);
      set('price', i, price);
      set('revenue', i, type === 'purchase' ? price! * quantity! : null);
      set('event_date', i, '2026-05-01');
      set('event_hour', i, 7);
      set('_extra', i, next() < 0.1 ? '{"coupon":"SPRING"}' : null);
      set('_shard_id', i, 'shardId-000000000003');
      set('_sequence_number', i, `4965${String(1e15 + row).padStart(52, '0')}`);
      set('_sub_sequence_number', i, null);
      set('_partition_key', i, `pk-${row % 997}`);
      set('_arrival_time', i, arrival);
    }
    chunks.push({ rows: n, columns });
  }
  return chunks;
}

async function timeEncode(chunks: Uint8Array[], compression: ParquetCompression, rowGroupRows: number) {
  const start = process.hrtime.bigint();
  const file = await encodeParquet(chunks, { compression, rowGroupRows });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, bytes: file.byteLength };
}

export default async function run(args: string[]): Promise<Record<string, number | string>> {
  const rows = option(args, '--rows', 300_000);
  const rowGroupRows = option(args, '--row-group', 100_000);
  const columns = syntheticColumns(rows);
  const buildStart = process.hrtime.bigint();
  const chunks = columns.map(encodeColumnChunk);
  const buildSeconds = Number(process.hrtime.bigint() - buildStart) / 1e9;
  const inputBytes = chunks.reduce((sum, c) => sum + c.byteLength, 0);
  // Warm-up at full size with both codecs: the first full encode also grows the WASM memory, and timed first it
  // made Snappy look slower than ZSTD in every run (ZSTD is the slower codec: about a quarter more CPU per row
  // in alternating throwaway runs on the processors' own chunks). Then ABBA, each codec's two times averaged.
  await encodeParquet(chunks, { compression: 'snappy', rowGroupRows });
  await encodeParquet(chunks, { compression: 'zstd', rowGroupRows });
  const timed: Record<ParquetCompression, { seconds: number; bytes: number }[]> = { snappy: [], zstd: [] };
  for (const compression of ['snappy', 'zstd', 'zstd', 'snappy'] as const) timed[compression].push(await timeEncode(chunks, compression, rowGroupRows));
  const mean = (runs: { seconds: number; bytes: number }[]) => ({ seconds: runs.reduce((n, r) => n + r.seconds, 0) / runs.length, bytes: runs[0]!.bytes });
  const snappy = mean(timed.snappy);
  const zstd = mean(timed.zstd);
  const rss = process.memoryUsage().rss;
  return {
    scenario: 'parquet',
    rows,
    row_group_rows: rowGroupRows,
    rows_per_s_snappy: Math.round(rows / snappy.seconds),
    rows_per_s_zstd: Math.round(rows / zstd.seconds),
    bytes_per_row: Number((snappy.bytes / rows).toFixed(2)),
    bytes_per_row_zstd: Number((zstd.bytes / rows).toFixed(2)),
    chunk_build_us_per_row: Number(((buildSeconds * 1e6) / rows).toFixed(2)),
    input_chunk_bytes_per_row: Number((inputBytes / rows).toFixed(1)),
    wasm_memory_mb: Math.round(wasmMemory().buffer.byteLength / 2 ** 20),
    rss_mb: Math.round(rss / 2 ** 20),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(process.argv.slice(2))));
}
