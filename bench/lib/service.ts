/**
 * Runs the real service as its own OS process (`node dist/bin/kinesis-lake.js run`, as
 * in production and the integration tests) against the bench stack, and
 * waits for its checkpoints. A separate process keeps its RSS its own and
 * keeps the bench's TypeScript loader out of its worker threads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { DynamoLeaseStore } from '../../src/checkpoint/leaseStore.js';
import { compareSequence } from '../../src/consumer/records.js';
import { sleep } from '../../src/consumer/backoff.js';
import type { AwsClients } from '../../src/aws/clients.js';
import { MALLOC_ENV } from '../../src/config/memoryFit.js';
import { lakeResources, type FilledStream } from './stack.js';

// The bundled CLI, as the image runs it (tools/bundle.mjs).
const CLI = fileURLToPath(new URL('../../dist/bin/kinesis-lake.js', import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  appName: string;
  logFile: string;
  /** performance.now() just before the process was spawned: after the bench made the lake's bucket and queue. */
  spawnedAtMs: number;
  /** The last checkpoint the service logged for each shard ("checkpointed" lines), as they come. */
  loggedCheckpoints: ReadonlyMap<string, string>;
  stop(): Promise<void>;
}

/**
 * `niceness` > 0 runs the service at a lower CPU priority than the emulators
 * (through `nice`): on this machine they share its cores, while in AWS
 * Kinesis, DynamoDB and S3 run on machines of their own. KL_APP_NAME in
 * `extraEnv` names the lease table (default: the stream's name + "-app"), so
 * that several runs can each read one stream from the start.
 */
export async function startServiceProcess(clients: AwsClients, stream: string, extraEnv: Record<string, string>, niceness = 0): Promise<ServiceProcess> {
  const { bucket, dlqUrl } = await lakeResources(clients);
  const appName = extraEnv.KL_APP_NAME ?? `${stream}-app`;
  const logFile = join(mkdtempSync(join(tmpdir(), 'kl-bench-svc-')), 'service.log');
  const out = createWriteStream(logFile);
  // KL_BENCH_CPU_PROF=<dir>: V8 CPU profiles of the service's threads, for finding where its time goes.
  const profile = process.env.KL_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.KL_BENCH_CPU_PROF}`] : [];
  // KL_BENCH_NODE_FLAGS='--trace-opt --trace-deopt': node/V8 flags for the service process (NODE_OPTIONS refuses most V8 flags).
  const flags = process.env.KL_BENCH_NODE_FLAGS ? process.env.KL_BENCH_NODE_FLAGS.split(' ').filter(Boolean) : [];
  const argv = [...flags, ...profile, CLI, 'run'];
  const spawnedAtMs = performance.now();
  const child = spawn(niceness > 0 ? 'nice' : process.execPath, niceness > 0 ? ['-n', String(niceness), process.execPath, ...argv] : argv, {
    env: {
      ...process.env,
      // As the production image runs it.
      ...MALLOC_ENV,
      NODE_OPTIONS: '',
      NODE_NO_WARNINGS: '1',
      KL_STREAM_NAME: stream,
      KL_APP_NAME: appName,
      KL_BUCKET: bucket,
      KL_DLQ_URL: dlqUrl,
      KL_METRICS_PORT: '0',
      KL_PII_KEY: 'bench-pii-key-0123456789',
      KL_WORKERS: '2',
      KL_IDLE_WAIT_MS: '200',
      KL_IDLE_CLOSE_GRACE_MS: '0',
      LOG_LEVEL: 'info',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const loggedCheckpoints = new Map<string, string>();
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.includes('"msg":"checkpointed"')) continue;
      try {
        const { shardId, sequenceNumber } = JSON.parse(line) as { shardId?: string; sequenceNumber?: string };
        if (shardId !== undefined && sequenceNumber !== undefined) loggedCheckpoints.set(shardId, sequenceNumber);
      } catch {
        // Not a log record: the lease table still decides.
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    appName,
    logFile,
    spawnedAtMs,
    loggedCheckpoints,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function serviceLog(p: ServiceProcess): string {
  try {
    return readFileSync(p.logFile, 'utf8');
  } catch {
    return '';
  }
}

function reachesEnd(checkpoints: (shardId: string) => string | undefined, filled: FilledStream): boolean {
  return [...filled.lastSequence].every(([shardId, last]) => {
    const cp = checkpoints(shardId);
    return cp !== undefined && /^\d+$/.test(cp) && compareSequence(cp, last) >= 0;
  });
}

// Reading the lease table costs the bench and dynalite CPU that the service run shares its cores with (the
// drain pays none): with the service's log to go by, the table is read when the log says the end is reached,
// and otherwise only this often, in case the log line changes.
const TABLE_POLL_MS = 100;
const TABLE_POLL_WITH_LOG_MS = 2_000;
const LOG_POLL_MS = 10;

/**
 * Seconds from now until every shard's checkpoint in the lease table reaches
 * the last record put to it. `logged`: the checkpoints the service has logged
 * (ServiceProcess.loggedCheckpoints), so that the table is read when they
 * reach the end rather than every 100 ms; the table still decides.
 */
export async function waitForCheckpoints(
  clients: AwsClients,
  appName: string,
  filled: FilledStream,
  timeoutMs: number,
  alive?: () => boolean,
  logged?: ReadonlyMap<string, string>,
): Promise<number> {
  const leases = new DynamoLeaseStore(clients.dynamodb, appName);
  const started = performance.now();
  let tableReadAt = -Infinity;
  for (;;) {
    const now = performance.now();
    const due = now - tableReadAt >= (logged ? TABLE_POLL_WITH_LOG_MS : TABLE_POLL_MS) || (logged !== undefined && reachesEnd((s) => logged.get(s), filled));
    if (due) {
      tableReadAt = now;
      const all = await leases.listLeases().catch(() => []);
      if (reachesEnd((s) => all.find((l) => l.leaseKey === s)?.checkpoint, filled)) return (performance.now() - started) / 1000;
    }
    if (alive && !alive()) throw new Error('the service exited before its checkpoints reached the end');
    if (performance.now() - started > timeoutMs) throw new Error(`checkpoints did not reach the end within ${timeoutMs} ms`);
    await sleep(logged ? LOG_POLL_MS : TABLE_POLL_MS);
  }
}
