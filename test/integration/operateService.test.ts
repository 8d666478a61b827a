/**
 * Operating the real service: its /metrics passes promtool, a real
 * Prometheus scrapes records read, /readyz follows DynamoDB reachability,
 * `status` and `leases` show the shards, and no payload or PII reaches a log.
 */
import { describe, expect, it } from 'vitest';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createLake, runCli, startServiceProcess, waitFor } from '../support/env.js';
import { freePort } from '../../src/local/localAws.js';
import { staggeredPhaseMs } from '../../src/consumer/windowPhase.js';
import { promtool } from '../ops/promtool.js';
import { startTestPrometheus } from '../ops/prometheusServer.js';
import { TcpProxy } from '../ops/tcpProxy.js';

describe('operating the running service', () => {
  it('serves metrics Prometheus accepts, readiness that follows DynamoDB, a status screen, and logs without payloads or PII', async () => {
    const lake = await createLake(2);
    const dynamo = new URL(process.env.AWS_ENDPOINT_URL_DYNAMODB!);
    const proxy = new TcpProxy(dynamo.hostname, Number(dynamo.port));
    await proxy.start();
    const port = await freePort();
    const secretUser = 'u-SECRET-4242';
    const secretSession = 's-SECRET-SESSION-77';
    const svc = startServiceProcess(
      lake.env({ KL_METRICS_PORT: String(port), AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${proxy.port}`, KL_FLUSH_INTERVAL_MS: '2000', KL_CLEANSED_FLUSH_INTERVAL_MS: '2000', LOG_LEVEL: 'debug' }),
    );
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor('ready', async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, 60_000, 200);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);

      // Traffic with PII and malformed records.
      const good = Array.from({ length: 50 }, (_, i) => ({
        Data: Buffer.from(JSON.stringify({ timestamp: new Date().toISOString(), user_id: secretUser, session_id: secretSession, event_type: 'page_view', product_id: `p-${i}`, category: 'Books' })),
        PartitionKey: `k${i}`,
      }));
      const bad = [
        { Data: Buffer.from(`{"user_id":"${secretUser}","event_type":"page_view"`), PartitionKey: 'b1' },
        { Data: Buffer.from(JSON.stringify({ timestamp: 'not a time', user_id: secretUser, session_id: secretSession, event_type: 'purchase' })), PartitionKey: 'b2' },
      ];
      await lake.clients.kinesis.send(new PutRecordsCommand({ StreamName: lake.stream, Records: [...good, ...bad] }));

      const prom = await startTestPrometheus({ targets: [`127.0.0.1:${port}`] });
      try {
        const value = await waitFor(
          'Prometheus to see records read',
          async () => {
            const r = await prom.query('sum(kinesis_lake_records_read_total)');
            const v = Number(r[0]?.value[1] ?? 0);
            return v >= 52 ? v : undefined;
          },
          60_000,
          500,
        );
        expect(value).toBe(52);
      } finally {
        await prom.stop();
      }

      const exposition = await (await fetch(`${base}/metrics`)).text();
      expect(exposition).toMatch(/kinesis_lake_dlq_records_total\{[^}]*reason="invalid_json"/);
      const lint = await promtool(['check', 'metrics'], exposition);
      expect(lint.output.trim()).toBe('');
      expect(lint.status).toBe(0);

      const status = await runCli(['status', '--app', lake.appName, '--metrics', `${base}/metrics`], lake.env());
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('2 open shards, 1 workers, 0 unowned');
      expect(status.stdout).toMatch(/shardId-000000000000\s+\S+\s+owned\s+\d+\.\ds/);
      const leases = await runCli(['leases', '--app', lake.appName, '--watch', '4s'], lake.env());
      expect(leases.stdout).toMatch(/shardId-000000000001\s+\S+\s+owned/);
      // Each lease shows the window phase it was created with (KL_STAGGER_FLUSH_WINDOWS is on by default).
      expect(leases.stdout).toMatch(new RegExp(`shardId-000000000001 .* ${staggeredPhaseMs('shardId-000000000001', 2000)} ms\n`));

      // DynamoDB unreachable: not ready; back: ready again.
      await proxy.stop();
      await waitFor('not ready', async () => (await fetch(`${base}/readyz`)).status === 503, 30_000, 200);
      await proxy.start();
      await waitFor('ready again', async () => (await fetch(`${base}/readyz`)).status === 200, 30_000, 200);

      await waitFor('dead letters sent', async () => /"deadLetters":[1-9]/.test(svc.log()), 30_000, 200);
    } finally {
      svc.child.kill('SIGTERM');
      await svc.exited;
      await proxy.stop();
    }
    const log = svc.log();
    expect(log.length).toBeGreaterThan(1000);
    for (const secret of [secretUser, secretSession, 'not a time', '"product_id"']) expect(log).not.toContain(secret);
  });
});
