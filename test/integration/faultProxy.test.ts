/**
 * The fault proxy in front of the real emulators: plain traffic passes
 * through byte for byte, and each fault reaches an SDK client as the error
 * AWS would have returned (maxAttempts 1, so the SDK's own retries do not
 * hide it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startFaultProxy, type FaultProxy } from '../../src/local/faultProxy.js';
import { createBucket, createQueue, createStream, randomName } from '../../src/local/provision.js';
import { clients } from '../support/env.js';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set; the global setup starts the local stack`);
  return v;
}

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
  code?: string;
}

async function failure(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('the call succeeded but a fault was planned');
}

describe('fault proxy', () => {
  const proxies: FaultProxy[] = [];
  let bucket: string;
  let stream: string;
  let queueUrl: string;
  let s3: FaultProxy;
  let dynamo: FaultProxy;
  let kinesis: FaultProxy;
  let sqs: FaultProxy;

  beforeAll(async () => {
    const c = clients();
    bucket = randomName('fp').toLowerCase();
    stream = randomName('fp');
    await createBucket(c.s3, bucket);
    await createStream(c.kinesis, stream, 1);
    queueUrl = await createQueue(c.sqs, randomName('fpq'));
    s3 = await startFaultProxy({ target: env('AWS_ENDPOINT_URL_S3'), seed: 1 });
    dynamo = await startFaultProxy({ target: env('AWS_ENDPOINT_URL_DYNAMODB'), seed: 2 });
    kinesis = await startFaultProxy({ target: env('AWS_ENDPOINT_URL_KINESIS'), seed: 3 });
    sqs = await startFaultProxy({ target: env('AWS_ENDPOINT_URL_SQS'), seed: 4 });
    proxies.push(s3, dynamo, kinesis, sqs);
  });

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
  });

  const s3Client = (): S3Client => new S3Client({ endpoint: s3.url, forcePathStyle: true, maxAttempts: 1, requestHandler: new NodeHttpHandler() });

  it('passes plain traffic through unchanged', async () => {
    s3.setPlan({ latencyMs: 20 });
    const client = s3Client();
    const body = randomBytes(300_000);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/b.bin', Body: body, ContentLength: body.length }));
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    const ddb = new DynamoDBClient({ endpoint: dynamo.url, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
    expect(Array.isArray((await ddb.send(new ListTablesCommand({}))).TableNames)).toBe(true);
    const k = new KinesisClient({ endpoint: kinesis.url, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
    expect((await k.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary?.OpenShardCount).toBe(1);
    const q = new SQSClient({ endpoint: sqs.url, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
    expect((await q.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn).toBeTruthy();
    expect(s3.stats().forwarded).toBeGreaterThanOrEqual(2);
    expect(s3.stats().faults).toEqual({});
    s3.setPlan({});
  });

  it('S3 SlowDown reaches the client as a 503 SlowDown', async () => {
    s3.setPlan({ faults: [{ kind: 's3-slowdown', probability: 1 }] });
    const err = await failure(s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: 'x', Body: 'hello' })));
    expect(err.name).toBe('SlowDown');
    expect(err.$metadata?.httpStatusCode).toBe(503);
    s3.setPlan({});
    expect(s3.stats().faults['s3-slowdown']).toBe(1);
  });

  it('DynamoDB throttling reaches the client as ProvisionedThroughputExceeded and ThrottlingException', async () => {
    const ddb = new DynamoDBClient({ endpoint: dynamo.url, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
    dynamo.setPlan({ faults: [{ kind: 'dynamodb-throughput', probability: 1 }] });
    const a = await failure(ddb.send(new ListTablesCommand({})));
    expect(a.name).toBe('ProvisionedThroughputExceededException');
    expect(a.$metadata?.httpStatusCode).toBe(400);
    dynamo.setPlan({ faults: [{ kind: 'dynamodb-throttling', probability: 1 }] });
    const b = await failure(ddb.send(new ListTablesCommand({})));
    expect(b.name).toBe('ThrottlingException');
    dynamo.setPlan({});
  });

  it('Kinesis throughput errors reach the client as ProvisionedThroughputExceededException', async () => {
    kinesis.setPlan({ faults: [{ kind: 'kinesis-throughput', probability: 1 }] });
    const k = new KinesisClient({ endpoint: kinesis.url, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
    const err = await failure(k.send(new DescribeStreamSummaryCommand({ StreamName: stream })));
    expect(err.name).toBe('ProvisionedThroughputExceededException');
    kinesis.setPlan({});
  });

  it('SQS errors reach the client as a 500 InternalError', async () => {
    sqs.setPlan({ faults: [{ kind: 'sqs-error', probability: 1 }] });
    const q = new SQSClient({ endpoint: sqs.url, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
    const err = await failure(q.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })));
    expect(err.name).toBe('InternalError');
    expect(err.$metadata?.httpStatusCode).toBe(500);
    sqs.setPlan({});
  });

  it('connection resets, before or after the emulator did the work, reach the client as socket errors', async () => {
    const client = s3Client();
    s3.setPlan({ faults: [{ kind: 'reset', probability: 1 }] });
    const before = await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'reset-before', Body: 'x' })));
    expect(before.code ?? before.name).toMatch(/ECONNRESET|socket hang up|EPIPE/i);
    s3.setPlan({ faults: [{ kind: 'reset-after', probability: 1 }] });
    const after = await failure(client.send(new PutObjectCommand({ Bucket: bucket, Key: 'reset-after', Body: 'y' })));
    expect(after.code ?? after.name).toMatch(/ECONNRESET|socket hang up|EPIPE/i);
    s3.setPlan({});
    // The "after" write happened although the client saw it fail; the "before" one did not.
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'reset-after' }));
    expect(await got.Body!.transformToString()).toBe('y');
    const missing = await failure(client.send(new GetObjectCommand({ Bucket: bucket, Key: 'reset-before' })));
    expect(missing.name).toBe('NoSuchKey');
  });

  it('the same seed gives the same fault sequence', async () => {
    const draw = async (): Promise<boolean[]> => {
      const p = await startFaultProxy({ target: env('AWS_ENDPOINT_URL_DYNAMODB'), seed: 99 });
      p.setPlan({ faults: [{ kind: 'dynamodb-throttling', probability: 0.5 }] });
      const ddb = new DynamoDBClient({ endpoint: p.url, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
      const out: boolean[] = [];
      for (let i = 0; i < 12; i++) out.push(await ddb.send(new ListTablesCommand({})).then(() => true, () => false));
      await p.close();
      return out;
    };
    const a = await draw();
    expect(await draw()).toEqual(a);
    expect(a).toContain(true);
    expect(a).toContain(false);
  });
});
