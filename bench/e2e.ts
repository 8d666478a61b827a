/**
 * The real service (startService, in this process) reading a pre-filled
 * kinesalite stream into the local S3 (moto) until every shard's checkpoint
 * reaches the last record; compared with a bare GetRecords drain of another
 * stream with the same records, measured first in the same run.
 *
 *   npm run bench -- e2e [--shards 4] [--records 100000]
 */
import { performance } from 'node:perf_hooks';
import { numberArg } from './lib/args.js';
import { drainStream } from './lib/drainLoop.js';
import type { Figures } from './lib/report.js';
import { startBenchService, waitForCheckpoints } from './lib/service.js';
import { filledStream, startBenchStack } from './lib/stack.js';

export const description =
  'startService in-process (2 processor threads, 1 s raw and cleansed windows, PII key set) from TRIM_HORIZON until every checkpoint reaches the last record, against a bare paced GetRecords drain of an identical stream in the same run. Target: e2e at least 0.8 x drain. Both share the 2 cores with kinesalite, dynalite and moto.';

export default async function run(args: string[]): Promise<Figures> {
  const shards = numberArg(args, 'shards', 4);
  const records = numberArg(args, 'records', 100_000);
  const env = await startBenchStack();
  try {
    const forDrain = await filledStream(env.clients, shards, records);
    const forService = await filledStream(env.clients, shards, records);
    const drain = await drainStream(env.clients.kinesis, forDrain);
    const started = performance.now();
    const { service, appName } = await startBenchService(env.clients, forService.stream, {
      KL_FLUSH_INTERVAL_MS: '1000',
      KL_CLEANSED_FLUSH_INTERVAL_MS: '1000',
    });
    let seconds: number;
    try {
      await waitForCheckpoints(env.clients, appName, forService, 120_000);
      seconds = (performance.now() - started) / 1000;
    } finally {
      await service.close();
    }
    const drainRps = drain.records / drain.seconds;
    const e2eRps = forService.records / seconds;
    return {
      scenario: 'e2e',
      records_per_s: Math.round(e2eRps),
      drain_records_per_s: Math.round(drainRps),
      ratio_to_drain: Number((e2eRps / drainRps).toFixed(3)),
      meets_target_0_8: e2eRps >= 0.8 * drainRps ? 'yes' : 'no',
      records,
      shards,
      e2e_seconds_incl_startup: Number(seconds.toFixed(2)),
      drain_seconds: Number(drain.seconds.toFixed(2)),
    };
  } finally {
    await env.stop();
  }
}
