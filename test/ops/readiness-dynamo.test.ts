import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoLeaseTableProbe } from '../../src/http/dynamoLeaseTableProbe.js';
import { createDynamoReadiness } from '../../src/http/readiness.js';
import { startOpsServer, type OpsServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { TcpProxy } from './tcpProxy.js';

function dynaliteEndpoint(): URL {
  const endpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  if (!endpoint) throw new Error('AWS_ENDPOINT_URL_DYNAMODB is not set: the global setup should have started dynalite');
  return new URL(endpoint);
}

describe('/readyz against the real lease table (dynalite)', () => {
  const tableName = `kl-readyz-${randomUUID()}`;
  const direct = new DynamoDBClient({ endpoint: dynaliteEndpoint().toString() });
  let proxy: TcpProxy;
  let viaProxy: DynamoDBClient;
  let server: OpsServer;
  let leasing = true;

  beforeAll(async () => {
    await direct.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const target = dynaliteEndpoint();
    proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.start();
    // One attempt: the readiness probe, not the SDK's retry loop, decides how long "unreachable" takes.
    viaProxy = new DynamoDBClient({ endpoint: `http://127.0.0.1:${proxy.port}`, maxAttempts: 1 });
    const readiness = createDynamoReadiness({ tableName, probe: dynamoLeaseTableProbe(viaProxy), isLeasing: () => leasing, timeoutMs: 3000 });
    server = await startOpsServer({ port: 0, host: '127.0.0.1', metrics: new Metrics({ processMetrics: false }), readiness, logger: createLogger({ level: 'silent' }) });
  });

  afterAll(async () => {
    await server?.close();
    await proxy?.stop();
    viaProxy?.destroy();
    await direct.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    direct.destroy();
  });

  async function readyz(): Promise<{ status: number; body: { ready: boolean; reason?: string } }> {
    const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
    return { status: res.status, body: (await res.json()) as { ready: boolean; reason?: string } };
  }

  it('is ready while the table answers and the worker is leasing', async () => {
    expect(await readyz()).toEqual({ status: 200, body: { ready: true } });
  });

  it('is not ready, with the reason, while the endpoint is unreachable; ready again once it is back', async () => {
    await proxy.stop();
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.ready).toBe(false);
    expect(down.body.reason).toContain(`lease table ${tableName}`);

    await proxy.start();
    expect(await readyz()).toEqual({ status: 200, body: { ready: true } });
  });

  it('is not ready when the table does not exist', async () => {
    const missing = createDynamoReadiness({ tableName: `${tableName}-missing`, probe: dynamoLeaseTableProbe(direct), isLeasing: () => true });
    const result = await missing();
    expect(result.ready).toBe(false);
    expect(result.reason).toMatch(/ResourceNotFound/);
  });

  it('is not ready when the worker is not leasing', async () => {
    leasing = false;
    try {
      const res = await readyz();
      expect(res.status).toBe(503);
      expect(res.body.reason).toMatch(/leases/);
    } finally {
      leasing = true;
    }
  });

  it('times out a probe that never answers', async () => {
    const hanging = createDynamoReadiness({ tableName, probe: { describeTable: () => new Promise<void>(() => undefined) }, isLeasing: () => true, timeoutMs: 50 });
    const result = await hanging();
    expect(result).toEqual({ ready: false, reason: `lease table ${tableName} did not answer within 50 ms` });
  });
});
