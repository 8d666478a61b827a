/**
 * Test helpers around the local stack started by globalSetup: SDK clients,
 * fresh resources with random names, and the service run as a real OS
 * process (`node dist/bin/kinesis-lake.js run`, the bundled CLI the image runs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createBucket, createQueue, createStream, randomName } from '../../src/local/provision.js';
import { S3ObjectStore } from '../../src/sinks/objectStore.js';
import { DynamoLeaseStore } from '../../src/checkpoint/leaseStore.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(REPO_ROOT, 'dist/bin/kinesis-lake.js');

export interface TestClients {
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  s3: S3Client;
  sqs: SQSClient;
}

/** `sqsEndpoint`: another SQS than AWS_ENDPOINT_URL_SQS (see LakeOptions.sqs). */
export function clients(sqsEndpoint?: string): TestClients {
  return {
    kinesis: new KinesisClient({ requestHandler: new NodeHttpHandler() }),
    dynamodb: new DynamoDBClient({ requestHandler: new NodeHttpHandler() }),
    s3: new S3Client({ requestHandler: new NodeHttpHandler(), forcePathStyle: true }),
    sqs: new SQSClient({ requestHandler: new NodeHttpHandler(), ...(sqsEndpoint ? { endpoint: sqsEndpoint } : {}), useQueueUrlAsEndpoint: false }),
  };
}

export interface LakeOptions {
  /**
   * 'fauxqs': the dead-letter queue lives on the fauxqs that globalSetup
   * starts beside moto. For tests that pile up hundreds of dead letters:
   * moto's queue slows down with its length (a ReceiveMessage took 1.7 s
   * with 1,000 messages queued). Default: the stack's SQS (moto).
   */
  sqs?: 'stack' | 'fauxqs';
}

export interface Lake {
  stream: string;
  appName: string;
  bucket: string;
  dlqUrl: string;
  clients: TestClients;
  store: S3ObjectStore;
  leases: DynamoLeaseStore;
  /** The environment that points a service process at these resources. */
  env(extra?: Record<string, string>): Record<string, string>;
}

export async function createLake(shards: number, options: LakeOptions = {}): Promise<Lake> {
  const sqsEndpoint = options.sqs === 'fauxqs' ? process.env.KL_TEST_FAUXQS_SQS_URL : undefined;
  if (options.sqs === 'fauxqs' && !sqsEndpoint) throw new Error('KL_TEST_FAUXQS_SQS_URL is not set: run the tests through vitest (globalSetup starts it)');
  const c = clients(sqsEndpoint);
  const stream = randomName('s');
  const bucket = randomName('b').toLowerCase();
  const appName = `${stream}-app`;
  await createStream(c.kinesis, stream, shards);
  await createBucket(c.s3, bucket);
  const dlqUrl = await createQueue(c.sqs, randomName('q'));
  return {
    stream,
    appName,
    bucket,
    dlqUrl,
    clients: c,
    store: new S3ObjectStore(c.s3, bucket),
    leases: new DynamoLeaseStore(c.dynamodb, appName),
    env: (extra = {}) => ({
      KL_STREAM_NAME: stream,
      KL_APP_NAME: appName,
      KL_BUCKET: bucket,
      KL_DLQ_URL: dlqUrl,
      KL_METRICS_PORT: '0',
      KL_IDLE_WAIT_MS: '200',
      KL_PII_KEY: 'test-pii-key-0123456789',
      KL_WORKERS: '1',
      LOG_LEVEL: 'info',
      ...(sqsEndpoint ? { AWS_ENDPOINT_URL_SQS: sqsEndpoint } : {}),
      ...extra,
    }),
  };
}

export interface ServiceProcess {
  child: ChildProcess;
  logFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  log(): string;
}

/** Starts `kinesis-lake run` as a real process with the stack's and the lake's environment. */
export function startServiceProcess(env: Record<string, string>, name = 'worker'): ServiceProcess {
  const dir = tempDir('kl-svc-');
  const logFile = join(dir, `${name}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, [CLI, 'run'], {
    env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  const log = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };
  return { child, logFile, exited, log };
}

/** Runs the CLI to completion and returns its status and output. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`kinesis-lake ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

/** A fresh folder under the run's temporary root (removed when the run ends; see globalSetup.ts). */
export function tempDir(prefix = 'kl-test-'): string {
  return mkdtempSync(join(process.env.KL_TEST_TMP_DIR ?? tmpdir(), prefix));
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    // A probe that throws (a table not created yet) means "not yet".
    const v = await probe().catch((err: unknown) => {
      lastError = err;
      return undefined;
    });
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
