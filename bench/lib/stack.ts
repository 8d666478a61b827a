/**
 * The local AWS stack for the stream scenarios (drain, e2e, memory): start
 * kinesalite/dynalite/moto, point this process's SDK at it, create a stream
 * and fill it before anything is timed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { startLocalAws, type LocalAwsStack } from '../../src/local/localAws.js';
import { createBucket, createQueue, createStream, randomName } from '../../src/local/provision.js';
import { produce } from '../../src/producer/producer.js';

export interface BenchStack {
  stack: LocalAwsStack;
  clients: AwsClients;
  stop(): Promise<void>;
}

export async function startBenchStack(): Promise<BenchStack> {
  const stack = await startLocalAws({ logDir: mkdtempSync(join(tmpdir(), 'kl-bench-aws-')) });
  // The SDK reads endpoints and credentials from the environment.
  Object.assign(process.env, stack.env);
  const clients = createAwsClients({ s3ForcePathStyle: true });
  return {
    stack,
    clients,
    async stop() {
      clients.destroy();
      await stack.stop();
    },
  };
}

export interface FilledStream {
  stream: string;
  records: number;
  /** Last sequence number put to each shard. */
  lastSequence: Map<string, string>;
  countByShard: Map<string, number>;
  putSeconds: number;
}

/** A new stream of `shards` shards holding `records` clickstream records (all valid). */
export async function filledStream(clients: AwsClients, shards: number, records: number, seed = 42): Promise<FilledStream> {
  const stream = randomName('bench');
  await createStream(clients.kinesis, stream, shards);
  const started = Date.now();
  const result = await produce(clients.kinesis, { streamName: stream, rate: 0, count: records, keys: 10_000, seed, badRatio: 0 }, true);
  const lastSequence = new Map<string, string>();
  const countByShard = new Map<string, number>();
  for (const e of result.entries ?? []) {
    const prev = lastSequence.get(e.shardId);
    if (prev === undefined || prev.length < e.sequenceNumber.length || (prev.length === e.sequenceNumber.length && prev < e.sequenceNumber)) lastSequence.set(e.shardId, e.sequenceNumber);
    countByShard.set(e.shardId, (countByShard.get(e.shardId) ?? 0) + 1);
  }
  return { stream, records: result.produced, lastSequence, countByShard, putSeconds: (Date.now() - started) / 1000 };
}

/** Bucket and queue for a service run. */
export async function lakeResources(clients: AwsClients): Promise<{ bucket: string; dlqUrl: string }> {
  const bucket = randomName('bench').toLowerCase();
  await createBucket(clients.s3, bucket);
  return { bucket, dlqUrl: await createQueue(clients.sqs, randomName('bench-dlq')) };
}
