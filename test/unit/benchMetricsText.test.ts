import { describe, expect, it } from 'vitest';
import { metric, metricSum } from '../../bench/lib/metricsText.js';

const TEXT = [
  '# HELP kinesis_lake_records_read_total Kinesis records read.',
  '# TYPE kinesis_lake_records_read_total counter',
  'kinesis_lake_records_read_total{shard_id="shardId-000000000000"} 20000',
  'kinesis_lake_records_read_total{shard_id="shardId-000000000001"} 10000',
  'kinesis_lake_records_read_total_extra 5',
  'kinesis_lake_backpressure_paused 1',
  'kinesis_lake_memory_budget_used_bytes 2.5e+8',
].join('\n');

describe('bench metrics text', () => {
  it('reads the first sample of a metric, with or without labels', () => {
    expect(metric(TEXT, 'kinesis_lake_backpressure_paused')).toBe(1);
    expect(metric(TEXT, 'kinesis_lake_memory_budget_used_bytes')).toBe(250_000_000);
    expect(metric(TEXT, 'kinesis_lake_records_read_total')).toBe(20_000);
  });

  it('sums a metric over its label sets, and not over metrics whose names only begin the same', () => {
    expect(metricSum(TEXT, 'kinesis_lake_records_read_total')).toBe(30_000);
  });

  it('is NaN for a metric the text lacks', () => {
    expect(metric(TEXT, 'kinesis_lake_nothing')).toBeNaN();
    expect(metricSum('', 'kinesis_lake_records_read_total')).toBeNaN();
  });
});
