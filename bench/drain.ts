/**
 * How fast the local Kinesis (kinesalite) hands out a pre-filled stream to a
 * bare GetRecords loop: the ceiling for `e2e` on the same stack.
 *
 *   npm run bench -- drain [--shards 4] [--records 100000]
 */
import { numberArg } from './lib/args.js';
import { drainStream } from './lib/drainLoop.js';
import type { Figures } from './lib/report.js';
import { filledStream, startBenchStack } from './lib/stack.js';

export const description =
  'A bare GetRecords loop (SDK v3, NodeHttpHandler), one per shard in parallel, paced like the service (5 calls/s and 2 MB/s per shard, Limit 10,000), reading a pre-filled kinesalite stream from TRIM_HORIZON. kinesalite is the ceiling here, not Kinesis.';

export default async function run(args: string[]): Promise<Figures> {
  const shards = numberArg(args, 'shards', 4);
  const records = numberArg(args, 'records', 100_000);
  const env = await startBenchStack();
  try {
    const filled = await filledStream(env.clients, shards, records);
    const d = await drainStream(env.clients.kinesis, filled);
    if (d.records !== filled.records) throw new Error(`read ${d.records} of ${filled.records} records`);
    return {
      scenario: 'drain',
      records_per_s: Math.round(d.records / d.seconds),
      records: d.records,
      shards,
      get_records_calls: d.calls,
      seconds: Number(d.seconds.toFixed(2)),
      prefill_records_per_s: Math.round(filled.records / filled.putSeconds),
    };
  } finally {
    await env.stop();
  }
}
