/**
 * Puts a non-zero sample into every metric family, the way the running
 * service would, so exposition and scrape tests see every family.
 */
import { Metrics } from '../../src/metrics/metrics.js';

export interface FakeClock {
  now: () => number;
  advance(ms: number): void;
}

export function fakeClock(startMs = Date.UTC(2026, 0, 31, 12)): FakeClock {
  let t = startMs;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** A Metrics instance (own fake clock) with every family filled for `shardIds`. */
export function sampleMetrics(shardIds: readonly string[], options: { workerId?: string } = {}): { metrics: Metrics; clock: FakeClock } {
  const clock = fakeClock();
  const metrics = new Metrics({ now: clock.now, workerId: options.workerId ?? 'worker-under-test' });
  shardIds.forEach((shardId, i) => {
    metrics.recordRead(shardId, 100 + i, 4096 * (i + 1));
    metrics.setMillisBehindLatest(shardId, 1500 * (i + 1));
    metrics.getRecordsThrottled(shardId);
    metrics.getRecordsRetried(shardId);
    metrics.checkpointSucceeded(shardId);
    metrics.shardFailed(shardId);
  });
  for (const zone of ['raw', 'cleansed', 'dlq'] as const) {
    metrics.recordsWrittenTo(zone, 42);
    metrics.objectWritten(zone, 1_000_000);
    metrics.observeFlush(zone, 0.8);
  }
  metrics.dlqRecord('invalid_json', 3);
  metrics.dlqSendFailed(10);
  metrics.recordDropped('hash_key_out_of_range');
  metrics.setLeasesHeld(shardIds.length);
  for (const event of ['taken', 'lost', 'stolen', 'released'] as const) metrics.leaseEvent(event);
  metrics.setUnownedShards(1);
  for (const service of ['s3', 'dynamodb', 'sqs', 'kinesis'] as const) metrics.observeRequest(service, 'SomeOperation', 'success', 0.02);
  metrics.observeRequest('kinesis', 'GetRecords', 'throttled', 0.01);
  metrics.setMemoryBudget(260 * 2 ** 20, 512 * 2 ** 20, 150 * 2 ** 20, 60 * 2 ** 20);
  metrics.setBackpressurePaused(true);
  metrics.setShardPauses(3);
  metrics.setWorkerPoolStats({ queueDepth: 4, utilization: 0.5 });
  // Age the checkpoints and the ongoing pause so their scrape-time values are non-zero.
  clock.advance(7000);
  return { metrics, clock };
}
