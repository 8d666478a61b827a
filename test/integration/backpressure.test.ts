/**
 * Slow and failing dependencies behind the fault proxy: a slow S3 slows the
 * readers, not the heap; throttled DynamoDB and Kinesis slow the service
 * down without losing or doubling a record.
 */
import { describe, expect, it } from 'vitest';
import { createLake, startServiceProcess, waitFor } from '../support/env.js';
import { checkRawZone, checkpointsReached, lastProducedPerShard } from '../support/lakeCheck.js';
import { produce } from '../../src/producer/producer.js';
import { startFaultProxy } from '../../src/local/faultProxy.js';
import { freePort } from '../../src/local/localAws.js';

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : NaN;
}

describe('backpressure and throttling', () => {
  it('with S3 at 2 s latency and 20% SlowDown: stays within its memory budget, pauses and resumes polling, and lands every record once', async () => {
    const lake = await createLake(4);
    const entries = (await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 0, count: 40_000, keys: 4000, seed: 61, badRatio: 0 }, true)).entries!;
    const s3 = await startFaultProxy({ target: process.env.AWS_ENDPOINT_URL_S3!, seed: 61 });
    s3.setPlan({ latencyMs: 2000, faults: [{ kind: 's3-slowdown', probability: 0.2 }] });
    const port = await freePort();
    // Two worker threads alone grow the process by more than 65 % of this budget (the cap of what counts beside the
    // records), so the records have about 12 MiB before reading pauses.
    const budget = 48 * 1024 * 1024;
    const svc = startServiceProcess(
      lake.env({
        AWS_ENDPOINT_URL_S3: s3.url,
        KL_METRICS_PORT: String(port),
        KL_MEMORY_BUDGET_BYTES: String(budget),
        KL_FLUSH_INTERVAL_MS: '2000',
        KL_FLUSH_MAX_RECORDS: '1500',
        KL_CLEANSED_FLUSH_INTERVAL_MS: '4000',
        KL_CLEANSED_FLUSH_MAX_BYTES: String(2 * 1024 * 1024),
        KL_IDLE_CLOSE_GRACE_MS: '300',
      }),
    );
    let maxUsed = 0;
    let maxHeld = 0;
    const judgedWhilePaused: number[] = [];
    let maxProcess = 0;
    let maxJudged = 0;
    let limit = 0;
    let sawPause = false;
    const sampler = setInterval(() => {
      void fetch(`http://127.0.0.1:${port}/metrics`)
        .then((r) => r.text())
        .then((t) => {
          maxUsed = Math.max(maxUsed, metric(t, 'kinesis_lake_memory_budget_used_bytes') || 0);
          limit = metric(t, 'kinesis_lake_memory_budget_limit_bytes') || limit;
          const held = metric(t, 'kinesis_lake_memory_budget_held_bytes') || 0;
          const processGrowth = metric(t, 'kinesis_lake_memory_budget_process_bytes') || 0;
          maxHeld = Math.max(maxHeld, held);
          maxProcess = Math.max(maxProcess, processGrowth);
          maxJudged = Math.max(maxJudged, held + processGrowth);
          if (metric(t, 'kinesis_lake_backpressure_paused') === 1) {
            sawPause = true;
            judgedWhilePaused.push(held + processGrowth);
          }
        })
        .catch(() => undefined);
    }, 250);
    try {
      await waitFor('checkpoints at the last produced records', () => checkpointsReached(lake, lastProducedPerShard(entries)), 200_000, 500);
      clearInterval(sampler);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const pausedSeconds = metric(text, 'kinesis_lake_backpressure_paused_seconds_total');
      const shardPauses = metric(text, 'kinesis_lake_backpressure_shard_pauses_total');
      console.log(`[measured] slow S3: max budget used ${(maxUsed / 1048576).toFixed(1)} MiB of ${(budget / 1048576).toFixed(0)} MiB (records alone ${(maxHeld / 1048576).toFixed(1)}, process growth ${(maxProcess / 1048576).toFixed(1)}); paused ${pausedSeconds.toFixed(1)} s; biggest-first shard pauses ${shardPauses}; S3 faults ${JSON.stringify(s3.stats().faults)}`);
      expect(limit).toBe(budget);
      // The records and the process's other growth stay within the budget. Used adds the room reserved for reads
      // in flight: granted against counts of pieces not yet processed, whose measured outputs (outputExcess) may
      // come in after the room was given, so with the CPU busy it passed a 16 MiB budget by up to 0.6 MiB (3.6 %)
      // in runs where the records stayed under. Before pieces moved the learned ratio by their size it went 9-40 %
      // over.
      expect(maxJudged).toBeLessThanOrEqual(budget);
      expect(maxUsed).toBeLessThanOrEqual(budget * 1.05);
      expect(sawPause || pausedSeconds > 0).toBe(true);
      // The held gauge counts the records alone: never more than the budget's use. The watermarks judge the
      // records and the process's other growth: above the low watermark (70 %) whenever reading is paused, as the
      // gauges are set together.
      expect(maxHeld).toBeGreaterThan(0);
      expect(maxHeld).toBeLessThanOrEqual(maxUsed);
      expect(maxProcess).toBeGreaterThan(0);
      expect(maxProcess).toBeLessThanOrEqual(budget * 0.65);
      for (const judged of judgedWhilePaused) expect(judged).toBeGreaterThan(budget * 0.7);
      expect(metric(text, 'kinesis_lake_backpressure_paused')).toBe(0);
      expect(s3.stats().faults['s3-slowdown'] ?? 0).toBeGreaterThan(0);
      const check = await checkRawZone(lake, entries);
      expect(check.missing).toEqual([]);
      expect(check.duplicates).toEqual([]);
      expect(check.corrupted).toEqual([]);
    } finally {
      clearInterval(sampler);
      svc.child.kill('SIGTERM');
      await svc.exited;
      await s3.close();
    }
  });

  it('with DynamoDB throttling and Kinesis ProvisionedThroughputExceeded: slower, still every record once', async () => {
    const lake = await createLake(2);
    const entries = (await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 0, count: 10_000, keys: 2000, seed: 62, badRatio: 0 }, true)).entries!;
    const ddb = await startFaultProxy({ target: process.env.AWS_ENDPOINT_URL_DYNAMODB!, seed: 62 });
    const kin = await startFaultProxy({ target: process.env.AWS_ENDPOINT_URL_KINESIS!, seed: 63 });
    ddb.setPlan({ faults: [{ kind: 'dynamodb-throttling', probability: 0.15 }, { kind: 'dynamodb-throughput', probability: 0.15 }] });
    kin.setPlan({ faults: [{ kind: 'kinesis-throughput', probability: 0.3 }] });
    const svc = startServiceProcess(
      lake.env({
        AWS_ENDPOINT_URL_DYNAMODB: ddb.url,
        AWS_ENDPOINT_URL_KINESIS: kin.url,
        KL_FLUSH_INTERVAL_MS: '2000',
        KL_FLUSH_MAX_RECORDS: '1000',
        KL_CLEANSED_FLUSH_INTERVAL_MS: '3000',
        KL_IDLE_CLOSE_GRACE_MS: '300',
      }),
    );
    try {
      await waitFor('checkpoints at the last produced records', () => checkpointsReached(lake, lastProducedPerShard(entries)), 200_000, 500);
      expect(ddb.stats().faults['dynamodb-throttling'] ?? 0).toBeGreaterThan(0);
      expect(kin.stats().faults['kinesis-throughput'] ?? 0).toBeGreaterThan(0);
      const check = await checkRawZone(lake, entries);
      expect(check.missing).toEqual([]);
      expect(check.duplicates).toEqual([]);
      expect(check.corrupted).toEqual([]);
    } finally {
      svc.child.kill('SIGTERM');
      const exit = await svc.exited;
      expect(exit.code).toBe(0);
      await ddb.close();
      await kin.close();
    }
  });
});
