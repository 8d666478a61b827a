/**
 * Processing-stage throughput: ProcessorPool (worker threads, one transferred
 * buffer per piece) against processPiece inline on the main thread, in the
 * same run on the same synthetic clickstream (~266-byte events, ~1% bad).
 *
 *   npx tsx bench/processors.ts [--records 200000] [--piece 500] [--workers 2]
 *
 * Needs `npm run build` first: the pool's worker is dist/processors/worker.js.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { StreamRecord } from '../src/consumer/records.js';
import { createProcessorContext, type ProcessorOptions } from '../src/processors/context.js';
import { processPiece, type PieceInput } from '../src/processors/piece.js';
import { ProcessorPool } from '../src/processors/pool.js';
import { DEFAULT_SCHEMA_DIR } from '../src/processors/schemas.js';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : def;
}

const CATEGORIES = ['Electronics', ' books ', 'HOME & garden', 'toys', 'Sports ', 'beauty'];
const QUERIES = ['wireless headphones', 'running shoes size 42', 'usb-c cable 2m', 'standing desk', 'coffee grinder burr'];

/** A deterministic pseudo-random clickstream: the same bytes every run. */
function makeEvents(n: number, baseMs: number): { data: Uint8Array; arrivalMs: number; pk: string }[] {
  const enc = new TextEncoder();
  let seed = 42;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const out: { data: Uint8Array; arrivalMs: number; pk: string }[] = [];
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
    out.push({ data: enc.encode(text), arrivalMs, pk: user });
  }
  return out;
}

function makePieces(events: ReturnType<typeof makeEvents>, pieceSize: number): PieceInput[] {
  const pieces: PieceInput[] = [];
  for (let i = 0; i < events.length; i += pieceSize) {
    const records: StreamRecord[] = events.slice(i, i + pieceSize).map((e, j) => ({
      shardId: 'shardId-000000000000',
      sequenceNumber: (49650000000000000000000000000000000000000000000000000n + BigInt(i + j)).toString(),
      subSequenceNumber: undefined,
      partitionKey: e.pk,
      explicitHashKey: undefined,
      arrivalMs: e.arrivalMs,
      data: e.data,
    }));
    pieces.push({ streamName: 'bench', shardId: 'shardId-000000000000', hashKeyRange: undefined, records });
  }
  return pieces;
}

export default async function run(args: string[]): Promise<Record<string, number | string>> {
  const total = arg(args, 'records', 200_000);
  const pieceSize = arg(args, 'piece', 500);
  const workers = arg(args, 'workers', 2);
  const options: ProcessorOptions = {
    schemaDir: DEFAULT_SCHEMA_DIR,
    maxRecordBytes: 1_000_000,
    maxJsonDepth: 64,
    maxFutureMs: 3_600_000,
    piiFields: ['user_id', 'session_id'],
    piiKey: 'bench-key-0123456789abcdef',
  };
  const pieces = makePieces(makeEvents(total, Date.parse('2026-01-31T12:00:00Z')), pieceSize);
  const avgBytes = pieces.reduce((n, p) => n + p.records.reduce((m, r) => m + r.data.length, 0), 0) / total;

  const ctx = createProcessorContext(options);
  for (const p of pieces.slice(0, 20)) processPiece(p, ctx); // JIT warm-up
  let invalid = 0;
  const inlineCpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const p of pieces) invalid += processPiece(p, ctx).counts.invalid;
  const inlineS = (performance.now() - t0) / 1000;
  const inlineCpu = process.cpuUsage(inlineCpu0);

  const pool = new ProcessorPool({ ...options, workers });
  try {
    await Promise.all(pieces.slice(0, 20).map((p) => pool.process(p)));
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    const t1 = performance.now();
    const results = await Promise.all(pieces.map((p) => pool.process(p)));
    const poolS = (performance.now() - t1) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const mainBusy = performance.eventLoopUtilization(elu0).utilization;
    const poolValid = results.reduce((n, r) => n + r.counts.valid, 0);
    const inline = total / inlineS;
    const pooled = total / poolS;
    return {
      scenario: 'processors',
      inline_records_per_s: Math.round(inline),
      pool_records_per_s: Math.round(pooled),
      ratio: Number((pooled / inline).toFixed(2)),
      workers,
      records: total,
      piece_records: pieceSize,
      avg_record_bytes: Math.round(avgBytes),
      invalid_share: Number((invalid / total).toFixed(4)),
      // Contention-independent figures: CPU microseconds per record (all threads), and how busy the main thread stayed.
      inline_cpu_us_per_record: Number(((inlineCpu.user + inlineCpu.system) / total).toFixed(2)),
      pool_cpu_us_per_record: Number(((cpu.user + cpu.system) / total).toFixed(2)),
      pool_main_thread_busy_share: Number(mainBusy.toFixed(3)),
      host_load_avg_1m: Number(loadavg()[0]!.toFixed(2)),
      pool_valid_matches_inline: poolValid === total - invalid ? 'yes' : 'no',
    };
  } finally {
    await pool.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run(process.argv.slice(2)).then(
    (r) => console.log(JSON.stringify(r)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
