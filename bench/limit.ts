/**
 * The bare limit of the hot path on this machine: every core (one worker
 * thread each) runs JSON.parse over each record and gzip level 1 over the
 * JSONL, nothing else. The same seeded clickstream as the other scenarios.
 *
 *   npm run bench -- limit [--records 200000] [--threads <cores>] [--batch 10000]
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { numberArg } from './lib/args.js';
import { clickstreamPayloads, totalBytes } from './lib/events.js';
import type { Figures } from './lib/report.js';

export const description =
  'JSON.parse of every record plus gzip level 1 of the JSONL, one worker thread per core, nothing else: the ceiling any pipeline on this machine works under.';

// Plain JS for an eval'd worker: it reads the shared JSONL, parses each line, gzips each batch.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { gzipSync } = require('node:zlib');
const { sab, offsets, batch, reps } = workerData;
const buf = Buffer.from(sab);
const n = offsets.length - 1;
parentPort.once('message', () => {
  const t0 = process.hrtime.bigint();
  let keys = 0, zipped = 0;
  for (let r = 0; r < reps; r++) {
    for (let b = 0; b < n; b += batch) {
      const end = Math.min(n, b + batch);
      for (let i = b; i < end; i++) keys += Object.keys(JSON.parse(buf.toString('utf8', offsets[i], offsets[i + 1] - 1))).length;
      zipped += gzipSync(buf.subarray(offsets[b], offsets[end]), { level: 1 }).length;
    }
  }
  parentPort.postMessage({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, keys, zipped });
});
`;

export interface LimitFigures {
  records_per_s: number;
  mb_per_s: number;
}

/** The records as one JSONL in shared memory, which every limit thread reads: made once, measured as often as asked. */
export interface LimitInput {
  sab: SharedArrayBuffer;
  offsets: Int32Array;
  records: number;
  /** JSONL bytes: the payloads and one newline each. */
  bytes: number;
}

export function limitInput(payloads: readonly Buffer[]): LimitInput {
  const bytes = totalBytes(payloads) + payloads.length;
  const sab = new SharedArrayBuffer(bytes);
  const view = Buffer.from(sab);
  const offsets = new Int32Array(new SharedArrayBuffer((payloads.length + 1) * 4));
  let at = 0;
  payloads.forEach((p, i) => {
    offsets[i] = at;
    view.set(p, at);
    at += p.length;
    view[at++] = 0x0a;
  });
  offsets[payloads.length] = at;
  return { sab, offsets, records: payloads.length, bytes };
}

export function measureLimit(payloads: readonly Buffer[], threads: number, batch: number, reps = 1): Promise<Figures & LimitFigures> {
  return measureLimitOn(limitInput(payloads), threads, batch, reps);
}

export async function measureLimitOn(input: LimitInput, threads: number, batch: number, reps = 1): Promise<Figures & LimitFigures> {
  const { sab, offsets, bytes } = input;
  const count = input.records;
  const workers = Array.from({ length: threads }, () => new Worker(WORKER, { eval: true, workerData: { sab, offsets, batch, reps } }));
  try {
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('online', resolve))));
    const started = process.hrtime.bigint();
    const results = await Promise.all(
      workers.map((w) => {
        const done = new Promise<{ seconds: number; zipped: number }>((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
        });
        w.postMessage('go');
        return done;
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const records = count * reps * threads;
    const payloadBytes = (bytes - count) * reps * threads;
    return {
      records_per_s: Math.round(records / seconds),
      mb_per_s: Number((payloadBytes / seconds / 1e6).toFixed(1)),
      threads,
      records_per_thread: count * reps,
      avg_record_bytes: Math.round((bytes - count) / count),
      gzip_compression_factor: Number(((bytes * reps * threads) / results.reduce((n, r) => n + r.zipped, 0)).toFixed(2)),
      slowest_thread_s: Number(Math.max(...results.map((r) => r.seconds)).toFixed(2)),
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export default async function run(args: string[]): Promise<Figures> {
  const records = numberArg(args, 'records', 200_000);
  const threads = numberArg(args, 'threads', availableParallelism());
  const batch = numberArg(args, 'batch', 10_000);
  const figures = await measureLimit(clickstreamPayloads(records), threads, batch);
  return { scenario: 'limit', ...figures };
}
