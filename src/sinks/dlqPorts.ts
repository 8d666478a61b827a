/**
 * The two AWS calls the DLQ sender makes, behind ports so tests can wrap
 * them with fault-injecting decorators.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';

export interface SqsBatchEntry {
  /** Unique within one call. */
  id: string;
  body: string;
  attributes: Record<string, string>;
}

export interface SqsBatchFailure {
  id: string;
  code: string;
  senderFault: boolean;
}

export interface SqsBatchPort {
  /** Resolves with the entries SQS reported failed; throws when the call itself failed. */
  sendMessageBatch(queueUrl: string, entries: SqsBatchEntry[]): Promise<SqsBatchFailure[]>;
}

export interface ObjectPutPort {
  putObject(bucket: string, key: string, body: Uint8Array, contentType: string): Promise<void>;
}

export function createSqsBatchPort(client: SQSClient): SqsBatchPort {
  return {
    async sendMessageBatch(queueUrl, entries) {
      const out = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: entries.map((e) => ({
            Id: e.id,
            MessageBody: e.body,
            MessageAttributes: Object.fromEntries(Object.entries(e.attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
          })),
        }),
      );
      return (out.Failed ?? []).map((f) => ({ id: f.Id ?? '', code: f.Code ?? 'Unknown', senderFault: f.SenderFault ?? false }));
    },
  };
}

export function createObjectPutPort(client: S3Client): ObjectPutPort {
  return {
    async putObject(bucket, key, body, contentType) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
    },
  };
}
