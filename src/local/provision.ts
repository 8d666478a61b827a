/**
 * Creates the resources the service needs on a local stack (the demo, the
 * tests, the chaos run): a stream with N shards, the lake bucket and the
 * dead-letter queue. In production these come from deploy/ecs.
 */
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sleep } from '../consumer/backoff.js';

export async function createStream(kinesis: KinesisClient, name: string, shards: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitForStreamActive(kinesis, name);
}

export async function waitForStreamActive(kinesis: KinesisClient, name: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await sleep(100);
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

export async function createBucket(s3: S3Client, name: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
}

export async function createQueue(sqs: SQSClient, name: string): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!out.QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
  return out.QueueUrl;
}

/** A fresh random suffix for resource names (tests never share resources). */
export function randomName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
