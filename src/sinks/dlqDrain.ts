/**
 * Reads every message of a dead-letter queue (for the demo's summary and the
 * tests), de-duplicated by envelope id. Messages are deleted as they are read.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface DrainedEnvelope {
  id: string;
  reason: string;
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number | null;
}

export async function drainDeadLetters(sqs: SQSClient, queueUrl: string, emptyPolls = 2): Promise<{ messages: number; envelopes: Map<string, DrainedEnvelope> }> {
  const envelopes = new Map<string, DrainedEnvelope>();
  let messages = 0;
  for (let empty = 0; empty < emptyPolls; ) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
    const batch = out.Messages ?? [];
    if (batch.length === 0) {
      empty++;
      continue;
    }
    empty = 0;
    for (const m of batch) {
      messages++;
      const env = JSON.parse(m.Body ?? '{}') as DrainedEnvelope;
      envelopes.set(env.id, env);
    }
    await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
    );
  }
  return { messages, envelopes };
}
