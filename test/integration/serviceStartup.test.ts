/**
 * startService owns the processor pool `run` hands it (started before the
 * service module loads): whatever stops start-up, the pool's threads are
 * stopped with it, so an in-process caller (tests, the demo) is not left
 * with threads running. The last case runs against the local stack, so
 * that start-up gets past its checks.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import { ConfigError, MissingResourceError } from '../../src/errors.js';
import type { ProcessorPool } from '../../src/processors/pool.js';
import { startService, type ServicePorts } from '../../src/service.js';
import { BASE_ENV } from '../support/configFixtures.js';
import { createLake } from '../support/env.js';

const GiB = 1024 ** 3;

function fakePool(): { pool: Promise<ProcessorPool>; closes: () => number } {
  let closes = 0;
  const pool = { close: () => Promise.resolve(void closes++) } as unknown as ProcessorPool;
  return { pool: Promise.resolve(pool), closes: () => closes };
}

describe('startService start-up failures', () => {
  it('closes the given pool when the memory budget cannot fit', async () => {
    const { pool, closes } = fakePool();
    await expect(startService(loadConfig(BASE_ENV), { memoryLimitBytes: GiB, processorPool: pool })).rejects.toBeInstanceOf(ConfigError);
    expect(closes()).toBe(1);
  });

  it('closes the given pool when a start-up check fails for good', async () => {
    const { pool, closes } = fakePool();
    const missingStream = (ports: ServicePorts): ServicePorts => ({
      ...ports,
      kinesis: Object.assign(Object.create(ports.kinesis) as ServicePorts['kinesis'], {
        describeStream: () => Promise.reject(new MissingResourceError('stream clicks does not exist')),
      }),
    });
    const started = startService(loadConfig({ ...BASE_ENV, KL_WORKER_ID: 'w1', KL_METRICS_PORT: '0' }), { memoryLimitBytes: 64 * GiB, processorPool: pool, wrapPorts: missingStream });
    await expect(started).rejects.toBeInstanceOf(MissingResourceError);
    expect(closes()).toBe(1);
  });

  it('closes the given pool when start-up fails after its checks (the metrics port is taken)', async () => {
    const lake = await createLake(1);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const { pool, closes } = fakePool();
      const started = startService(loadConfig(lake.env({ KL_METRICS_PORT: String(port) })), { memoryLimitBytes: 64 * GiB, processorPool: pool });
      await expect(started).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(closes()).toBe(1);
    } finally {
      taken.close();
    }
  });
});
