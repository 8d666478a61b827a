/** Runs the real service in this process against the bench stack and waits for its checkpoints. */
import { performance } from 'node:perf_hooks';
import { DynamoLeaseStore } from '../../src/checkpoint/leaseStore.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { compareSequence } from '../../src/consumer/records.js';
import { startService, type Service, type StartServiceOptions } from '../../src/service.js';
import { sleep } from '../../src/consumer/backoff.js';
import type { AwsClients } from '../../src/aws/clients.js';
import { silentLogger } from './memorySink.js';
import { lakeResources, type FilledStream } from './stack.js';

export async function startBenchService(clients: AwsClients, stream: string, extraEnv: Record<string, string>, options: StartServiceOptions = {}): Promise<{ service: Service; appName: string }> {
  const { bucket, dlqUrl } = await lakeResources(clients);
  const appName = `${stream}-app`;
  const config = loadConfig({
    ...process.env,
    KL_STREAM_NAME: stream,
    KL_APP_NAME: appName,
    KL_BUCKET: bucket,
    KL_DLQ_URL: dlqUrl,
    KL_METRICS_PORT: '0',
    KL_PII_KEY: 'bench-pii-key-0123456789',
    KL_WORKERS: '2',
    KL_IDLE_WAIT_MS: '200',
    KL_IDLE_CLOSE_GRACE_MS: '0',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  });
  const service = await startService(config, { logger: silentLogger(), ...options });
  return { service, appName };
}

/** Seconds from now until every shard's checkpoint reaches the last record put to it. */
export async function waitForCheckpoints(clients: AwsClients, appName: string, filled: FilledStream, timeoutMs: number): Promise<number> {
  const leases = new DynamoLeaseStore(clients.dynamodb, appName);
  const started = performance.now();
  for (;;) {
    const all = await leases.listLeases().catch(() => []);
    const done = [...filled.lastSequence].every(([shardId, last]) => {
      const cp = all.find((l) => l.leaseKey === shardId)?.checkpoint;
      return cp !== undefined && /^\d+$/.test(cp) && compareSequence(cp, last) >= 0;
    });
    if (done) return (performance.now() - started) / 1000;
    if (performance.now() - started > timeoutMs) throw new Error(`checkpoints did not reach the end within ${timeoutMs} ms`);
    await sleep(100);
  }
}
