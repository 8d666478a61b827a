/**
 * Processing-stage throughput: ProcessorPool (worker threads, one transferred
 * buffer per piece) against processPiece inline on the main thread, in the
 * same run on the same synthetic clickstream (~220-byte events, ~1% bad).
 *
 *   npm run bench -- processors [--records 200000] [--piece 1000] [--workers 2] [--niceness 19] [--rounds 3]
 *
 * Pieces default to the consumer's own limit (MAX_PIECE_RECORDS): this bench
 * measures capacity, and a consumer at capacity is behind the stream, so each
 * GetRecords response is full (up to 10,000 records) and is cut into pieces
 * of that size. A consumer that keeps up hands over smaller pieces, but then
 * throughput is not what limits it. `--piece` measures other sizes.
 *
 * Each measurement runs in a fresh child process, inline and pool taking
 * turns: in one process the second mode inherits the first one's heap (200k
 * records plus garbage) and its garbage collector's pace, which decided the
 * ratio more than the code did. Each mode's figure is the median of its
 * rounds: with two rounds and their means, one slow spell on this shared
 * machine decided the ratio (one round's inline 75,798 records/s, the
 * next's 108,948). Needs `npm run build` first: the pool's worker is
 * dist/processors/worker.js.
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { numberArg } from './lib/args.js';
import { median } from './lib/median.js';
import { ShardRecords, type RecordSpec } from './lib/events.js';
import { MAX_PIECE_RECORDS } from '../src/consumer/segmentCutter.js';
import { createProcessorContext } from '../src/processors/context.js';
import type { ProcessorOptions } from '../src/processors/processorOptions.js';
import { processPiece, type PieceInput } from '../src/processors/piece.js';
import { ProcessorPool } from '../src/processors/pool.js';
import { DEFAULT_WORKER_NICENESS } from '../src/processors/threadPriority.js';
import { DEFAULT_SCHEMA_DIR } from '../src/processors/schemas.js';

const CATEGORIES = ['Electronics', ' books ', 'HOME & garden', 'toys', 'Sports ', 'beauty'];
const QUERIES = ['wireless headphones', 'running shoes size 42', 'usb-c cable 2m', 'standing desk', 'coffee grinder burr'];

/**
 * A deterministic pseudo-random clickstream: the same bytes every run. Kept
 * compact (ShardRecords) and made into record objects piece by piece, as the
 * consumer makes them from each GetRecords response.
 */
function makeEvents(n: number, baseMs: number): ShardRecords {
  let seed = 42;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const specs: RecordSpec[] = [];
  for (let i = 0; i < n; i++) {
    const arrivalMs = baseMs + i * 5;
    const ts = new Date(arrivalMs - Math.floor(rnd() * 60_000)).toISOString().replace('Z', '+00:00');
    const user = `user-${String(Math.floor(rnd() * 50_000)).padStart(6, '0')}`;
    const session = `sess-${Math.floor(rnd() * 1e9).toString(16)}-${Math.floor(rnd() * 1e9).toString(16)}`;
    const product = `SKU-${String(Math.floor(rnd() * 100_000)).padStart(6, '0')}`;
    const category = CATEGORIES[Math.floor(rnd() * CATEGORIES.length)]!;
    const r = rnd();
    const base = { timestamp: ts, user_id: user, session_id: session };
    let ev: Record<string, unknown>;
    if (r < 0.6) ev = { ...base, event_type: 'page_view', product_id: product, category, referrer: 'https://shop.example.com/c/' + category.trim().toLowerCase() };
    else if (r < 0.8) ev = { ...base, event_type: 'add_to_cart', product_id: product, category, quantity: 1 + Math.floor(rnd() * 3), price: Math.round(rnd() * 20000) / 100 };
    else if (r < 0.9) ev = { ...base, event_type: 'purchase', product_id: product, category, quantity: String(1 + Math.floor(rnd() * 3)), price: Math.round(rnd() * 20000) / 100, currency: 'EUR' };
    else ev = { ...base, event_type: 'search', search_query: QUERIES[Math.floor(rnd() * QUERIES.length)]!, category, results: Math.floor(rnd() * 500) };
    let text = JSON.stringify(ev);
    const bad = rnd();
    if (bad < 0.004) text = text.slice(0, -3); // invalid_json
    else if (bad < 0.007) text = text.replace(/"user_id":"[^"]*",/, ''); // missing_field
    else if (bad < 0.01) text = text.replace('"event_type":"', '"event_type":"x_'); // unknown_event_type
    specs.push({ index: i, data: Buffer.from(text), arrivalMs, partitionKey: user });
  }
  return new ShardRecords(SHARD_ID, specs);
}

const SHARD_ID = 'shardId-000000000000';

/** Piece `p`'s record objects, made now: what the consumer holds of one GetRecords response. */
function makePiece(src: ShardRecords, p: number, pieceSize: number): PieceInput {
  return { streamName: 'bench', shardId: SHARD_ID, hashKeyRange: undefined, records: src.batch(p * pieceSize, pieceSize) };
}

export const description =
  'processPiece inline on the main thread against the ProcessorPool (2 worker threads, one transferred buffer each way per piece of the consumer\'s size, MAX_PIECE_RECORDS) on the same seeded clickstream; each measurement in a fresh process, the two modes taking turns for three rounds, each mode\'s median reported. Target: the pool at least 1.5x inline on 2 cores.';

const OPTIONS: ProcessorOptions = {
  schemaDir: DEFAULT_SCHEMA_DIR,
  maxRecordBytes: 1_000_000,
  maxJsonDepth: 64,
  maxFutureMs: 3_600_000,
  piiFields: ['user_id', 'session_id'],
  piiKey: 'bench-key-0123456789abcdef',
};

// Enough queued pieces that a worker never waits for the main thread to pack its next one.
const IN_FLIGHT_PER_WORKER = 3;

interface ModeFigures {
  records_per_s: number;
  cpu_us_per_record: number;
  valid: number;
  invalid: number;
  main_thread_busy_share: number;
  avg_record_bytes: number;
}

/** One mode in this process: warm up, then time every piece once. */
async function measureMode(mode: 'inline' | 'pool', total: number, pieceSize: number, workers: number, niceness: number): Promise<ModeFigures> {
  const src = makeEvents(total, Date.parse('2026-01-31T12:00:00Z'));
  const pieceCount = Math.ceil(total / pieceSize);
  const avgBytes = src.payloadBytes / total;
  const warmUp = Array.from({ length: Math.min(20, pieceCount) }, (_, p) => makePiece(src, p, pieceSize));
  let valid = 0;
  let invalid = 0;
  if (mode === 'inline') {
    const ctx = createProcessorContext(OPTIONS);
    for (const p of warmUp) processPiece(p, ctx); // JIT warm-up
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let p = 0; p < pieceCount; p++) {
      const r = processPiece(makePiece(src, p, pieceSize), ctx);
      valid += r.counts.valid;
      invalid += r.counts.invalid;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return figures(total, seconds, cpu, performance.eventLoopUtilization(elu0).utilization, valid, invalid, avgBytes);
  }
  const pool = new ProcessorPool({ ...OPTIONS, workers, niceness });
  try {
    // The same warm-up per thread as inline gets: each worker is a V8 isolate of its own that compiles the
    // code again. With the warm-up pieces shared out, optimizing compilation still ran in the measured window.
    for (let w = 0; w < workers; w++) await Promise.all(warmUp.map((p) => pool.process(p)));
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    // Pieces are handed over as the consumer hands them: a few per worker in flight, the next packed when one
    // finishes. Packing every piece up front would keep the main thread from dispatching for the whole loop.
    let next = 0;
    const feed = async (): Promise<void> => {
      while (next < pieceCount) {
        const r = await pool.process(makePiece(src, next++, pieceSize));
        valid += r.counts.valid;
        invalid += r.counts.invalid;
      }
    };
    await Promise.all(Array.from({ length: workers * IN_FLIGHT_PER_WORKER }, feed));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return figures(total, seconds, cpu, performance.eventLoopUtilization(elu0).utilization, valid, invalid, avgBytes);
  } finally {
    await pool.close();
  }
}

function figures(total: number, seconds: number, cpu: NodeJS.CpuUsage, busy: number, valid: number, invalid: number, avgBytes: number): ModeFigures {
  return {
    records_per_s: Math.round(total / seconds),
    // All threads of the process: the contention-independent cost of a record.
    cpu_us_per_record: Number(((cpu.user + cpu.system) / total).toFixed(2)),
    valid,
    invalid,
    main_thread_busy_share: Number(busy.toFixed(3)),
    avg_record_bytes: Math.round(avgBytes),
  };
}

const execFileAsync = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);

async function measureInChild(mode: 'inline' | 'pool', args: string[]): Promise<ModeFigures> {
  // Same interpreter flags (the tsx loader) as this process.
  const { stdout } = await execFileAsync(process.execPath, [...process.execArgv, SELF, '--mode', mode, ...args], { maxBuffer: 1 << 20 });
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as ModeFigures;
}

export default async function run(args: string[]): Promise<Record<string, number | string>> {
  const total = numberArg(args, 'records', 200_000);
  const pieceSize = numberArg(args, 'piece', MAX_PIECE_RECORDS);
  const workers = numberArg(args, 'workers', 2);
  const niceness = numberArg(args, 'niceness', DEFAULT_WORKER_NICENESS);
  const rounds = numberArg(args, 'rounds', 3);
  const childArgs = ['--records', String(total), '--piece', String(pieceSize), '--workers', String(workers), '--niceness', String(niceness)];
  const inline: ModeFigures[] = [];
  const pooled: ModeFigures[] = [];
  for (let r = 0; r < rounds; r++) {
    inline.push(await measureInChild('inline', childArgs));
    pooled.push(await measureInChild('pool', childArgs));
  }
  const inlineRps = median(inline.map((m) => m.records_per_s));
  const poolRps = median(pooled.map((m) => m.records_per_s));
  return {
    scenario: 'processors',
    inline_records_per_s: Math.round(inlineRps),
    pool_records_per_s: Math.round(poolRps),
    ratio: Number((poolRps / inlineRps).toFixed(2)),
    target_ratio: 1.5,
    meets_target: poolRps / inlineRps >= 1.5 ? 'yes' : 'no',
    rounds_inline_records_per_s: inline.map((m) => m.records_per_s).join(' '),
    rounds_pool_records_per_s: pooled.map((m) => m.records_per_s).join(' '),
    workers,
    worker_niceness: niceness,
    records: total,
    piece_records: pieceSize,
    avg_record_bytes: inline[0]!.avg_record_bytes,
    invalid_share: Number((inline[0]!.invalid / total).toFixed(4)),
    inline_cpu_us_per_record: Number(median(inline.map((m) => m.cpu_us_per_record)).toFixed(2)),
    pool_cpu_us_per_record: Number(median(pooled.map((m) => m.cpu_us_per_record)).toFixed(2)),
    pool_main_thread_busy_share: Number(median(pooled.map((m) => m.main_thread_busy_share)).toFixed(3)),
    host_load_avg_1m: Number(loadavg()[0]!.toFixed(2)),
    pool_output_matches_inline: pooled.every((p) => p.valid === inline[0]!.valid && p.invalid === inline[0]!.invalid) ? 'yes' : 'no',
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const mode = args[args.indexOf('--mode') + 1];
  const job =
    mode === 'inline' || mode === 'pool'
      ? measureMode(mode, numberArg(args, 'records', 200_000), numberArg(args, 'piece', MAX_PIECE_RECORDS), numberArg(args, 'workers', 2), numberArg(args, 'niceness', DEFAULT_WORKER_NICENESS))
      : run(args);
  job.then(
    (r) => console.log(JSON.stringify(r)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
