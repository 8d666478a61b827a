import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpsServer, type OpsServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { promtool } from './promtool.js';
import { sampleMetrics } from './sampleMetrics.js';

describe('/metrics exposition', () => {
  let server: OpsServer;

  beforeAll(async () => {
    const { metrics } = sampleMetrics(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
    server = await startOpsServer({ port: 0, host: '127.0.0.1', metrics, readiness: async () => ({ ready: true }), logger: createLogger({ level: 'silent' }) });
  });
  afterAll(() => server.close());

  it('passes promtool check metrics with every family filled: no warnings, no errors', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^kinesis_lake_records_read_total\{shard_id="shardId-000000000002"\} \d+/m);
    const check = await promtool(['check', 'metrics'], text);
    expect(check.output.trim()).toBe('');
    expect(check.status).toBe(0);
  });

  it('promtool in this setup does flag badly named metrics (the check above can fail)', async () => {
    const bad = '# HELP kinesis_lake_lag_ms lag\n# TYPE kinesis_lake_lag_ms counter\nkinesis_lake_lag_ms 1\n';
    const check = await promtool(['check', 'metrics'], bad);
    expect(check.status).not.toBe(0);
    expect(check.output).toMatch(/_total/);
  });
});
