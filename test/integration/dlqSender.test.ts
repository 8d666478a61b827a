import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeEnvelope, type DlqEnvelope } from '../../src/processors/envelope.js';
import { createObjectPutPort, createSqsBatchPort, type ObjectPutPort, type SqsBatchPort } from '../../src/sinks/dlqPorts.js';
import { DlqSender, SQS_MAX_BYTES } from '../../src/sinks/dlqSender.js';

const sqsClient = new SQSClient({ requestHandler: new NodeHttpHandler() });
const s3Client = new S3Client({ requestHandler: new NodeHttpHandler(), forcePathStyle: process.env.KL_S3_FORCE_PATH_STYLE === 'true' });
let bucket: string;

beforeAll(async () => {
  bucket = `dlq-test-${randomUUID().slice(0, 8)}`;
  await s3Client.send(new CreateBucketCommand({ Bucket: bucket }));
});

async function newQueue(): Promise<string> {
  const out = await sqsClient.send(new CreateQueueCommand({ QueueName: `dlq-${randomUUID().slice(0, 8)}` }));
  return out.QueueUrl!;
}

/** Everything in the queue, until it stays empty. */
async function drain(queueUrl: string, expected: number): Promise<{ body: DlqEnvelope; reason: string | undefined }[]> {
  const out: { body: DlqEnvelope; reason: string | undefined }[] = [];
  let empties = 0;
  while (empties < 2) {
    const r = await sqsClient.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: out.length >= expected ? 1 : 2, MessageAttributeNames: ['All'], VisibilityTimeout: 300 }));
    const msgs = r.Messages ?? [];
    if (msgs.length === 0) {
      empties++;
      continue;
    }
    for (const m of msgs) out.push({ body: JSON.parse(m.Body!) as DlqEnvelope, reason: m.MessageAttributes?.reason?.StringValue });
    await sqsClient.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: msgs.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })) }));
  }
  return out;
}

function envelope(i: number, payloadBytes: number): DlqEnvelope {
  const data = Buffer.alloc(payloadBytes, 0x41 + (i % 26));
  return makeEnvelope(
    { stream: 'clicks', shardId: 'shardId-000000000001', sequenceNumber: String(1000 + i), subSequenceNumber: i % 3 === 0 ? i : undefined, arrivalMs: Date.UTC(2026, 0, 31, 12), data },
    { reason: i % 2 === 0 ? 'invalid_json' : 'missing_field', stage: 'parse', detail: `case ${i}` },
    'test',
  );
}

describe('DlqSender against SQS and S3 (moto)', () => {
  it('delivers a batch of mixed sizes, each envelope once with its reason attribute', async () => {
    const queueUrl = await newQueue();
    const sizes = [10, 50_000, 150_000, 5, 190_000, 1, 100_000, 20, 30, 40, 50, 60, 70, 80, 90, 185_000, 7];
    const envs = sizes.map((n, i) => envelope(i, n));
    const calls: number[] = [];
    const real = createSqsBatchPort(sqsClient);
    const counting: SqsBatchPort = {
      async sendMessageBatch(url, entries) {
        const bytes = entries.reduce((n, e) => n + Buffer.byteLength(e.body), 0);
        expect(entries.length).toBeLessThanOrEqual(10);
        expect(bytes).toBeLessThanOrEqual(SQS_MAX_BYTES);
        calls.push(entries.length);
        return real.sendMessageBatch(url, entries);
      },
    };
    const sender = new DlqSender({ queueUrl, bucket, sqs: counting, s3: createObjectPutPort(s3Client), baseDelayMs: 5 });
    await sender.send(envs);
    const got = await drain(queueUrl, envs.length);
    expect(got).toHaveLength(envs.length);
    const byId = new Map(got.map((g) => [g.body.id, g]));
    for (const e of envs) {
      const g = byId.get(e.id);
      expect(g).toBeDefined();
      expect(g!.body).toEqual(e);
      expect(g!.reason).toBe(e.reason);
    }
    expect(calls.length).toBeGreaterThan(2);
    expect(sender.stats.sent).toBe(envs.length);
  });

  it('stores a 1 MB payload in S3 and sends a pointer', async () => {
    const queueUrl = await newQueue();
    const big = envelope(3, 1_048_576);
    const sender = new DlqSender({ queueUrl, bucket, sqs: createSqsBatchPort(sqsClient), s3: createObjectPutPort(s3Client), baseDelayMs: 5 });
    await sender.send([big, envelope(4, 10)]);
    const got = await drain(queueUrl, 2);
    expect(got).toHaveLength(2);
    const pointer = got.find((g) => g.body.id === big.id)!.body;
    expect(pointer.payloadBase64).toBeUndefined();
    expect(pointer.payloadS3Uri).toBe(`s3://${bucket}/dlq/clicks/shardId-000000000001/${big.id}.bin`);
    const obj = await s3Client.send(new GetObjectCommand({ Bucket: bucket, Key: `dlq/clicks/shardId-000000000001/${big.id}.bin` }));
    const stored = Buffer.from(await obj.Body!.transformToByteArray());
    expect(Buffer.compare(stored, Buffer.from(big.payloadBase64!, 'base64'))).toBe(0);
    expect(sender.stats.offloaded).toBe(1);
  });

  it('retries exactly the failed entries and thrown calls until every envelope is delivered once', async () => {
    const queueUrl = await newQueue();
    const envs = Array.from({ length: 35 }, (_, i) => envelope(i, 200 + i));
    const real = createSqsBatchPort(sqsClient);
    let call = 0;
    const attemptsPerBody = new Map<string, number>();
    // Fault injection: every 3rd call throws before sending; otherwise the 2nd and 5th entries "fail" (not sent).
    const flaky: SqsBatchPort = {
      async sendMessageBatch(url, entries) {
        call++;
        for (const e of entries) attemptsPerBody.set(e.body, (attemptsPerBody.get(e.body) ?? 0) + 1);
        if (call % 3 === 0) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        const failIds = new Set(call < 12 ? [entries[1]?.id, entries[4]?.id].filter((x): x is string => x !== undefined) : []);
        const failures = await real.sendMessageBatch(url, entries.filter((e) => !failIds.has(e.id)));
        return [...failures, ...[...failIds].map((id) => ({ id, code: 'InternalError', senderFault: false }))];
      },
    };
    let putFailures = 0;
    const flakyS3: ObjectPutPort = {
      async putObject(...args) {
        if (putFailures++ < 2) throw new Error('S3 unavailable');
        return createObjectPutPort(s3Client).putObject(...args);
      },
    };
    const warnings: string[] = [];
    const sender = new DlqSender({ queueUrl, bucket, sqs: flaky, s3: flakyS3, baseDelayMs: 2, maxDelayMs: 20, logger: { warn: (_o, msg) => warnings.push(msg) } });
    const withBig = [...envs, envelope(99, 400_000)];
    await sender.send(withBig);
    const got = await drain(queueUrl, withBig.length);
    expect(got.map((g) => g.body.id).sort()).toEqual(withBig.map((e) => e.id).sort());
    expect(new Set(got.map((g) => g.body.id)).size).toBe(withBig.length);
    expect(sender.stats.retriedEntries).toBeGreaterThan(0);
    expect(sender.stats.failedCalls).toBeGreaterThanOrEqual(3);
    expect(Math.max(...attemptsPerBody.values())).toBeGreaterThan(1);
    expect(warnings.length).toBeGreaterThan(0);
    expect(sender.stats.sent).toBe(withBig.length);
  });

  it('keeps retrying while SQS is unreachable and stops only when aborted', async () => {
    let calls = 0;
    const down: SqsBatchPort = {
      async sendMessageBatch() {
        calls++;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      },
    };
    let counted = 0;
    const sender = new DlqSender({
      queueUrl: 'http://127.0.0.1:1/000000000000/none',
      bucket,
      sqs: down,
      s3: createObjectPutPort(s3Client),
      baseDelayMs: 1,
      maxDelayMs: 4,
      onSendFailure: (n) => (counted += n),
    });
    const ac = new AbortController();
    const p = sender.send([envelope(1, 10)], ac.signal);
    while (calls < 20) await new Promise((r) => setTimeout(r, 5));
    ac.abort(new Error('shutdown'));
    await expect(p).rejects.toThrow();
    expect(sender.stats.sent).toBe(0);
    // Every failed attempt is counted while it happens (the service's kinesis_lake_dlq_send_failures_total).
    expect(counted).toBe(calls);
  });
});
