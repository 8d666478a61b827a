import { afterEach, describe, expect, it } from 'vitest';
import { startOpsServer, type OpsServer } from '../../src/http/server.js';
import type { Readiness } from '../../src/http/readiness.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics/metrics.js';

const logger = createLogger({ level: 'silent' });
let server: OpsServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

function url(path: string): string {
  if (!server) throw new Error('server not started');
  return `http://127.0.0.1:${server.port}${path}`;
}

function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // deliberately synchronous: this is the stall /healthz must notice
  }
}

describe('startOpsServer', () => {
  it('serves /metrics from the given registry, picks a free port for 0, answers 404 elsewhere', async () => {
    const metrics = new Metrics({ processMetrics: false });
    metrics.recordRead('shardId-000000000003', 11, 1100);
    server = await startOpsServer({ port: 0, host: '127.0.0.1', metrics, readiness: async () => ({ ready: true }), logger });
    expect(server.port).toBeGreaterThan(0);
    const res = await fetch(url('/metrics?x=1'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(metrics.contentType);
    expect(await res.text()).toContain('kinesis_lake_records_read_total{shard_id="shardId-000000000003"} 11');
    expect((await fetch(url('/'))).status).toBe(404);
    expect((await fetch(url('/metricsx'))).status).toBe(404);
    expect((await fetch(url('/metrics'), { method: 'POST' })).status).toBe(405);
  });

  it('reports readiness with the reason, and 503 when the check throws', async () => {
    let answer: Readiness | Error = { ready: false, reason: 'lease table unreachable' };
    const readiness = async (): Promise<Readiness> => {
      if (answer instanceof Error) throw answer;
      return answer;
    };
    server = await startOpsServer({ port: 0, host: '127.0.0.1', metrics: new Metrics({ processMetrics: false }), readiness, logger });
    let res = await fetch(url('/readyz'));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, reason: 'lease table unreachable' });
    answer = { ready: true };
    res = await fetch(url('/readyz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ready: true });
    answer = new Error('probe crashed');
    res = await fetch(url('/readyz'));
    expect(res.status).toBe(503);
    expect(((await res.json()) as Readiness).reason).toContain('probe crashed');
  });

  it('/healthz is 200 while the event loop runs and 503 after it stalls past the threshold', async () => {
    const threshold = 100;
    server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      metrics: new Metrics({ processMetrics: false }),
      readiness: async () => ({ ready: true }),
      logger,
      maxEventLoopDelayMs: threshold,
      stallWindowMs: 10 * 60_000,
    });
    const healthy = await fetch(url('/healthz'));
    expect(healthy.status).toBe(200);
    expect(((await healthy.json()) as { status: string }).status).toBe('ok');

    blockEventLoop(threshold * 6);
    const stalled = await fetch(url('/healthz'));
    expect(stalled.status).toBe(503);
    const body = (await stalled.json()) as { eventLoopDelayMs: number };
    expect(body.eventLoopDelayMs).toBeGreaterThan(threshold);
  });

  it('close() returns even with a keep-alive connection open and frees the port', async () => {
    server = await startOpsServer({ port: 0, host: '127.0.0.1', metrics: new Metrics({ processMetrics: false }), readiness: async () => ({ ready: true }), logger });
    const port = server.port;
    await (await fetch(url('/metrics'), { keepalive: true })).text();
    await server.close();
    server = undefined;
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
