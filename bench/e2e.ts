/**
 * The real service (`node dist/cli.js run`, its own process) reading a pre-filled
 * kinesalite stream into the local S3 (moto) until every shard's checkpoint
 * reaches the last record; compared with a bare GetRecords drain of another
 * stream with the same records, measured first in the same run.
 *
 *   npm run bench -- e2e [--shards 4] [--records 200000] [--flush-ms 5000]
 *
 * Two figures: from spawn (node start-up, module loading, lease table
 * set-up included) and from the service's "kinesis-lake started" log line,
 * i.e. the throughput of reading, processing and writing alone.
 */
import { performance } from 'node:perf_hooks';
import { numberArg } from './lib/args.js';
import { drainStream } from './lib/drainLoop.js';
import type { Figures } from './lib/report.js';
import { serviceLog, startServiceProcess, waitForCheckpoints } from './lib/service.js';
import { filledStream, startBenchStack } from './lib/stack.js';

export const description =
  '`node dist/cli.js run` as its own process (2 processor threads, raw and cleansed windows of --flush-ms, PII key set), timed from TRIM_HORIZON until every checkpoint reaches the last record (once from spawn, once from its "started" log line), against a bare paced GetRecords drain of an identical stream in the same run. Target: e2e at least 0.8 x drain. Both share the 2 cores with kinesalite, dynalite and moto.';

export default async function run(args: string[]): Promise<Figures> {
  const shards = numberArg(args, 'shards', 4);
  const records = numberArg(args, 'records', 200_000);
  const flushMs = numberArg(args, 'flush-ms', 5_000);
  const env = await startBenchStack();
  try {
    const forDrain = await filledStream(env.clients, shards, records);
    const forService = await filledStream(env.clients, shards, records);
    const drain = await drainStream(env.clients.kinesis, forDrain);
    const started = performance.now();
    const service = await startServiceProcess(env.clients, forService.stream, {
      KL_FLUSH_INTERVAL_MS: String(flushMs),
      KL_CLEANSED_FLUSH_INTERVAL_MS: String(flushMs),
    });
    let seconds: number;
    let secondsFromStarted = NaN;
    let rawObjects = 0;
    let cleansedObjects = 0;
    try {
      await waitForCheckpoints(env.clients, service.appName, forService, 180_000, () => service.child.exitCode === null);
      seconds = (performance.now() - started) / 1000;
      const doneAtMs = Date.now();
      const log = serviceLog(service);
      const startedLine = log.split('\n').find((l) => l.includes('"msg":"kinesis-lake started"'));
      if (startedLine) secondsFromStarted = (doneAtMs - Date.parse((JSON.parse(startedLine) as { time: string }).time)) / 1000;
      rawObjects = log.split('raw object written').length - 1;
      cleansedObjects = log.split('cleansed object written').length - 1;
    } finally {
      await service.stop();
    }
    const drainRps = drain.records / drain.seconds;
    const e2eRps = forService.records / seconds;
    const afterStartRps = forService.records / secondsFromStarted;
    return {
      scenario: 'e2e',
      records_per_s: Math.round(e2eRps),
      drain_records_per_s: Math.round(drainRps),
      ratio_to_drain: Number((e2eRps / drainRps).toFixed(3)),
      meets_target_0_8: e2eRps >= 0.8 * drainRps ? 'yes' : 'no',
      records_per_s_after_startup: Math.round(afterStartRps),
      after_startup_ratio_to_drain: Number((afterStartRps / drainRps).toFixed(3)),
      meets_target_0_8_after_startup: afterStartRps >= 0.8 * drainRps ? 'yes' : 'no',
      records,
      shards,
      flush_window_ms: flushMs,
      raw_objects: rawObjects,
      cleansed_objects: cleansedObjects,
      e2e_seconds_incl_startup: Number(seconds.toFixed(2)),
      e2e_seconds_after_startup: Number(secondsFromStarted.toFixed(2)),
      drain_seconds: Number(drain.seconds.toFixed(2)),
    };
  } finally {
    await env.stop();
  }
}
