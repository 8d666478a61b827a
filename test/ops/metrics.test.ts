import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/metrics.js';
import { fakeClock, sampleMetrics } from './sampleMetrics.js';

type Sample = { labels: Record<string, string | number>; value: number; metricName?: string };

async function family(metrics: Metrics, name: string): Promise<Sample[]> {
  const all = await metrics.registry.getMetricsAsJSON();
  const found = all.find((m) => m.name === name);
  if (!found) throw new Error(`${name} is not registered`);
  return found.values as Sample[];
}

async function value(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const samples = await family(metrics, name);
  const hit = samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v) && (s.metricName === undefined || s.metricName === name));
  return hit?.value;
}

describe('Metrics', () => {
  it('has a non-zero sample in every kinesis_lake_ family once the service-like sample is applied', async () => {
    const { metrics } = sampleMetrics(['shardId-000000000000', 'shardId-000000000001']);
    const families = (await metrics.registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('kinesis_lake_'));
    expect(families.length).toBeGreaterThan(20);
    const empty = families.filter((m) => !(m.values as Sample[]).some((s) => s.value !== 0)).map((m) => m.name);
    expect(empty).toEqual([]);
  });

  it('keeps registries separate and also exports Node process metrics', async () => {
    const a = new Metrics();
    const b = new Metrics({ processMetrics: false });
    a.recordRead('shardId-1', 5, 50);
    expect(await value(a, 'kinesis_lake_records_read_total', { shard_id: 'shardId-1' })).toBe(5);
    expect(await value(b, 'kinesis_lake_records_read_total', { shard_id: 'shardId-1' })).toBeUndefined();
    expect(await a.exposition()).toMatch(/^process_cpu_user_seconds_total /m);
    expect(await b.exposition()).not.toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('forgetShard removes the series of that shard and only that shard, except its errors, which outlive the lease', async () => {
    const { metrics } = sampleMetrics(['shardId-a', 'shardId-b']);
    metrics.forgetShard('shardId-a');
    const text = await metrics.exposition();
    const left = text.split('\n').filter((l) => l.includes('shard_id="shardId-a"')).map((l) => l.split('{')[0]);
    // A failed shard's lease is released at once: its errors must still be there at the next scrape.
    expect(new Set(left)).toEqual(new Set(['kinesis_lake_shard_errors_total', 'kinesis_lake_shard_last_error_timestamp_seconds']));
    const kept = text.split('\n').filter((l) => l.includes('shard_id="shardId-b"')).map((l) => l.split('{')[0]);
    expect(new Set(kept)).toEqual(
      new Set([
        'kinesis_lake_records_read_total',
        'kinesis_lake_bytes_read_total',
        'kinesis_lake_millis_behind_latest',
        'kinesis_lake_get_records_throttles_total',
        'kinesis_lake_get_records_retries_total',
        'kinesis_lake_checkpoint_age_seconds',
        'kinesis_lake_shard_errors_total',
        'kinesis_lake_shard_last_error_timestamp_seconds',
      ]),
    );
  });

  it('computes checkpoint age at scrape time from the last successful checkpoint', async () => {
    const clock = fakeClock();
    const metrics = new Metrics({ now: clock.now, processMetrics: false });
    metrics.checkpointSucceeded('shardId-7');
    clock.advance(12_500);
    expect(await value(metrics, 'kinesis_lake_checkpoint_age_seconds', { shard_id: 'shardId-7' })).toBe(12.5);
    clock.advance(2_500);
    expect(await value(metrics, 'kinesis_lake_checkpoint_age_seconds', { shard_id: 'shardId-7' })).toBe(15);
    metrics.checkpointSucceeded('shardId-7');
    expect(await value(metrics, 'kinesis_lake_checkpoint_age_seconds', { shard_id: 'shardId-7' })).toBe(0);
  });

  it('accrues backpressure pause time, including a pause still in progress at scrape time', async () => {
    const clock = fakeClock();
    const metrics = new Metrics({ now: clock.now, processMetrics: false });
    metrics.setBackpressurePaused(true);
    clock.advance(3000);
    expect(await value(metrics, 'kinesis_lake_backpressure_paused')).toBe(1);
    expect(await value(metrics, 'kinesis_lake_backpressure_paused_seconds_total')).toBe(3);
    clock.advance(1000);
    metrics.setBackpressurePaused(false);
    clock.advance(60_000);
    expect(await value(metrics, 'kinesis_lake_backpressure_paused_seconds_total')).toBe(4);
    expect(await value(metrics, 'kinesis_lake_backpressure_paused')).toBe(0);
  });

  it('timeRequest labels success, error and throttled outcomes and rethrows', async () => {
    const metrics = new Metrics({ processMetrics: false });
    await expect(metrics.timeRequest('s3', 'PutObject', () => Promise.resolve('etag'))).resolves.toBe('etag');
    const boom = new Error('boom');
    await expect(metrics.timeRequest('s3', 'PutObject', () => Promise.reject(boom))).rejects.toBe(boom);
    const throttle = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    await expect(metrics.timeRequest('kinesis', 'GetRecords', () => Promise.reject(throttle))).rejects.toBe(throttle);
    const counts = (await family(metrics, 'kinesis_lake_aws_request_duration_seconds')).filter((s) => s.metricName === 'kinesis_lake_aws_request_duration_seconds_count');
    const byKey = Object.fromEntries(counts.map((s) => [`${s.labels.service}/${s.labels.operation}/${s.labels.outcome}`, s.value]));
    expect(byKey).toEqual({ 's3/PutObject/success': 1, 's3/PutObject/error': 1, 'kinesis/GetRecords/throttled': 1 });
  });

  it('reads worker-pool stats at scrape time from a watched source', async () => {
    const metrics = new Metrics({ processMetrics: false });
    let queued = 3;
    metrics.watchWorkerPool(() => ({ queueDepth: queued, utilization: 0.25 }));
    expect(await value(metrics, 'kinesis_lake_worker_pool_queue_depth')).toBe(3);
    queued = 9;
    expect(await value(metrics, 'kinesis_lake_worker_pool_queue_depth')).toBe(9);
    expect(await value(metrics, 'kinesis_lake_worker_pool_utilization_ratio')).toBe(0.25);
  });

  it('rejects reason codes that look like free text, which would explode cardinality', () => {
    const metrics = new Metrics({ processMetrics: false });
    expect(() => metrics.dlqRecord('Unexpected token } in JSON at position 7')).toThrow(/reason code/);
    expect(() => metrics.recordDropped('hash_key_out_of_range')).not.toThrow();
  });
});
