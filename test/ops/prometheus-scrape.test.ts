import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpsServer, type OpsServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { alertRules, alertsFile, dashboardQueries } from './deployFiles.js';
import { eventually, startTestPrometheus, type TestPrometheus } from './prometheusServer.js';

describe('a real Prometheus scraping the ops server', () => {
  // A shard id of this run only, so a value cannot come from anything else.
  const shardId = `shardId-${randomBytes(6).toString('hex')}`;
  const records = 1 + randomBytes(1)[0]!;
  let server: OpsServer;
  let prometheus: TestPrometheus;

  beforeAll(async () => {
    const metrics = new Metrics({ workerId: 'scrape-test' });
    metrics.recordRead(shardId, records, records * 100);
    metrics.setLeasesHeld(1);
    server = await startOpsServer({ port: 0, host: '127.0.0.1', metrics, readiness: async () => ({ ready: true }), logger: createLogger({ level: 'silent' }) });
    prometheus = await startTestPrometheus({ targets: [`127.0.0.1:${server.port}`], ruleFiles: [alertsFile] });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await server?.close();
  });

  it('stores kinesis_lake_records_read_total for the shard that was read', async () => {
    const value = await eventually(async () => {
      const result = await prometheus.query(`kinesis_lake_records_read_total{shard_id="${shardId}"}`);
      const v = Number(result[0]?.value[1] ?? 0);
      return v > 0 ? v : undefined;
    }, `kinesis_lake_records_read_total{shard_id="${shardId}"} in Prometheus`);
    expect(value).toBe(records);
    const up = await prometheus.query('up{job="kinesis-lake"}');
    expect(up.map((s) => s.value[1])).toEqual(['1']);
  });

  it('loads every alert rule from deploy/prometheus/alerts.yml', async () => {
    const expected = alertRules().map((r) => r.alert).sort();
    const loaded = await eventually(async () => {
      const names = await prometheus.alertNames();
      return names.length > 0 ? names.sort() : undefined;
    }, 'alert rules loaded');
    expect(loaded).toEqual(expected);
  });

  it('accepts every Grafana dashboard query as valid PromQL', async () => {
    const exprs = dashboardQueries()
      .filter((q) => !q.where.startsWith('variable '))
      .map((q) => q.expr);
    expect(exprs.length).toBeGreaterThan(10);
    const rejected: string[] = [];
    for (const expr of exprs) {
      // Grafana fills these in; any valid values do for a syntax check.
      const concrete = expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', '.*');
      await prometheus.query(concrete).catch((err: unknown) => rejected.push(`${expr}: ${String(err)}`));
    }
    expect(rejected).toEqual([]);
  });
});
