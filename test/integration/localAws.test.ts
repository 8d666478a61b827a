/**
 * The local stack's emulator choices start and answer: the npm-only
 * fallback (fauxqs for S3 and SQS, for laptops without moto) and fauxqs
 * serving SQS beside moto (KL_LOCAL_SQS=fauxqs).
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { motoAvailable, startLocalAws, type LocalAwsStack } from '../../src/local/localAws.js';
import { CLI, tempDir } from '../support/env.js';

/** S3 and SQS through clients configured the way the service's are: from the stack's environment variables only. */
async function roundTrip(stack: LocalAwsStack): Promise<{ body: string; message: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, stack.env);
  const { s3, sqs } = createAwsClients({ s3ForcePathStyle: true });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'local-aws-check' }));
    await s3.send(new PutObjectCommand({ Bucket: 'local-aws-check', Key: 'raw/a.txt', Body: 'hello lake' }));
    const body = await (await s3.send(new GetObjectCommand({ Bucket: 'local-aws-check', Key: 'raw/a.txt' }))).Body!.transformToString();
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'local-aws-check' }))).QueueUrl!;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"reason":"invalid_json"}' }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    return { body, message: got.Messages?.[0]?.Body ?? '' };
  } finally {
    s3.destroy();
    sqs.destroy();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe('local AWS stack', () => {
  it('starts the npm-only fallback (fauxqs for S3 and SQS) and serves both', async () => {
    const stack = await startLocalAws({ logDir: tempDir('kl-local-npm-'), preferNpmOnly: true });
    try {
      expect(stack.objectEmulator).toBe('fauxqs');
      expect(stack.sqsEmulator).toBe('fauxqs');
      expect(stack.endpoints.firehose).toBeUndefined();
      expect(await roundTrip(stack)).toEqual({ body: 'hello lake', message: '{"reason":"invalid_json"}' });
    } finally {
      await stack.stop();
    }
  });

  it('listens on 127.0.0.1 only, kinesalite included (its CLI would listen on every interface)', async () => {
    const stack = await startLocalAws({ logDir: tempDir('kl-local-host-') });
    try {
      const outside = Object.values(networkInterfaces())
        .flat()
        .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
      // fauxqs (the npm-only fallback) listens on every interface whatever it is told (fauxqs 1.9.2): not checked.
      const ours = [stack.endpoints.kinesis, stack.endpoints.dynamodb, ...(stack.objectEmulator === 'moto' ? [stack.endpoints.s3] : [])];
      for (const url of ours) {
        const port = Number(new URL(url).port);
        expect(await listening(port), url).toBe(true);
        // A machine with no other interface has nothing more to check.
        if (outside) expect(await listening(port, outside), `${url} on ${outside}`).toBe(false);
      }
    } finally {
      await stack.stop();
    }
  });

  it.runIf(motoAvailable())('serves SQS from fauxqs beside moto when asked to', async () => {
    const stack = await startLocalAws({ logDir: tempDir('kl-local-sqs-'), sqs: 'fauxqs' });
    try {
      expect(stack.objectEmulator).toBe('moto');
      expect(stack.sqsEmulator).toBe('fauxqs');
      expect(stack.endpoints.sqs).not.toBe(stack.endpoints.s3);
      expect(stack.env.AWS_ENDPOINT_URL_SQS).toBe(stack.endpoints.sqs);
      expect(await roundTrip(stack)).toEqual({ body: 'hello lake', message: '{"reason":"invalid_json"}' });
    } finally {
      await stack.stop();
    }
  });
});

/** Whether something accepts connections on the port (of `host`). */
function listening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the demo stopped by a signal to its own process', () => {
  it('stops the emulators it started before it exits', async () => {
    const child = spawn(process.execPath, [CLI, 'demo', '--duration', '120s', '--npm-only', '--work-dir', tempDir('kl-demo-')], {
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // "  Kinesis http://127.0.0.1:PORT (kinesalite), DynamoDB http://127.0.0.1:PORT (dynalite), S3 http://127.0.0.1:PORT ..."
      const ports = await new Promise<number[]>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /Kinesis http:\/\/127\.0\.0\.1:(\d+) .*DynamoDB http:\/\/127\.0\.0\.1:(\d+) .*S3 http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve([Number(m[1]), Number(m[2]), Number(m[3])]);
        });
        void exited.then((code) => reject(new Error(`demo exited (${code}) before its stack was up: ${out}`)));
      });
      for (const port of ports) expect(await listening(port), `port ${port} before`).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      for (const port of ports) expect(await listening(port), `port ${port} after`).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
