import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, createLake, runCli } from '../support/env.js';

describe('kinesis-lake run refuses a bad configuration with one clear line and exit 2', () => {
  it('names a missing KL_STREAM_NAME', async () => {
    const r = await runCli(['run'], { KL_BUCKET: 'some-bucket', KL_DLQ_URL: 'http://127.0.0.1:1/000000000000/q', KL_STREAM_NAME: '' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^kinesis-lake: KL_STREAM_NAME is required/);
  });

  it('names a non-numeric KL_FLUSH_INTERVAL_MS with its value and what is expected', async () => {
    const r = await runCli(['run'], { KL_STREAM_NAME: 's', KL_BUCKET: 'some-bucket', KL_DLQ_URL: 'http://127.0.0.1:1/000000000000/q', KL_FLUSH_INTERVAL_MS: 'ten' });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('kinesis-lake: KL_FLUSH_INTERVAL_MS="ten" is invalid: expected a whole number of milliseconds between 1000 and 3600000');
  });

  it('says when the stream does not exist', async () => {
    const lake = await createLake(1);
    const r = await runCli(['run'], lake.env({ KL_STREAM_NAME: 'no-such-stream' }));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('kinesis-lake: KL_STREAM_NAME="no-such-stream": the Kinesis stream does not exist in this account and region; create it or fix the name');
  });

  it('says when the bucket does not exist', async () => {
    const lake = await createLake(1);
    const r = await runCli(['run'], lake.env({ KL_BUCKET: 'no-such-bucket-kl' }));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^kinesis-lake: KL_BUCKET="no-such-bucket-kl": the S3 bucket does not exist/);
  });

  it('says when the dead-letter queue does not exist', async () => {
    const lake = await createLake(1);
    const url = lake.dlqUrl.replace(/[^/]+$/, 'no-such-queue');
    const r = await runCli(['run'], lake.env({ KL_DLQ_URL: url }));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^kinesis-lake: KL_DLQ_URL=.*the SQS queue does not exist/);
  });

  it('says when the lease table of --app does not exist, for leases and status', async () => {
    const lake = await createLake(1);
    for (const command of ['leases', 'status']) {
      const r = await runCli([command, '--app', 'no-such-app'], lake.env({}));
      expect(r.code, command).toBe(2);
      expect(r.stderr.trim(), command).toBe(
        'kinesis-lake: lease table "no-such-app" does not exist in this account and region: no worker of that application has started here; check --app or KL_APP_NAME',
      );
    }
  });

  it('refuses a redrive visibility timeout SQS would refuse, naming the flag', async () => {
    const r = await runCli(['redrive', '--visibility-timeout', '13h'], {});
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('kinesis-lake: --visibility-timeout "13h" is invalid: SQS allows at most 12h');
  });

  it('rejects an unknown command with exit 2', async () => {
    const r = await runCli(['frobnicate'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
  });
});

/** `run` against endpoints that refuse every connection: start-up retries for ever. Resolves with the exit code once it exits. */
function startStuckRun(shutdownTimeoutMs: number): { exited: Promise<number | null>; signal: (s: NodeJS.Signals) => void; retrying: Promise<void>; kill: () => void } {
  const nowhere = 'http://127.0.0.1:1';
  const child = spawn(process.execPath, [CLI, 'run'], {
    env: {
      ...process.env,
      NODE_NO_WARNINGS: '1',
      AWS_ENDPOINT_URL: nowhere,
      AWS_ENDPOINT_URL_KINESIS: nowhere,
      AWS_ENDPOINT_URL_DYNAMODB: nowhere,
      AWS_ENDPOINT_URL_S3: nowhere,
      AWS_ENDPOINT_URL_SQS: nowhere,
      KL_STREAM_NAME: 's',
      KL_BUCKET: 'some-bucket',
      KL_DLQ_URL: `${nowhere}/000000000000/q`,
      KL_METRICS_PORT: '0',
      KL_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const retrying = new Promise<void>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('start-up check failed; retrying')) resolve();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`kinesis-lake run exited (${code}) before retrying its start-up: ${err}`)));
  });
  return { exited, signal: (s) => child.kill(s), retrying, kill: () => child.kill('SIGKILL') };
}

describe('kinesis-lake run stopped while start-up is still retrying', () => {
  it('exits 1 once KL_SHUTDOWN_TIMEOUT_MS has passed after SIGTERM', async () => {
    const run = startStuckRun(1000);
    try {
      await run.retrying;
      run.signal('SIGTERM');
      expect(await run.exited).toBe(1);
    } finally {
      run.kill();
    }
  });

  it('exits 1 at once on a second signal', async () => {
    // A shutdown timeout far beyond the test's own: only the second signal can end it in time.
    const run = startStuckRun(600_000);
    try {
      await run.retrying;
      run.signal('SIGTERM');
      run.signal('SIGINT');
      expect(await run.exited).toBe(1);
    } finally {
      run.kill();
    }
  });
});
