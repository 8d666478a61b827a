/** The SQS calls redrive makes, behind a port (tests wrap it to kill or fail at chosen points). */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface QueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
}

export interface RedriveQueuePort {
  receive(max: number, visibilityTimeoutS: number, waitS: number): Promise<QueueMessage[]>;
  /** Returns the new message's id. */
  send(body: string, attributes: Record<string, string>): Promise<string>;
  delete(receiptHandle: string): Promise<void>;
  /** Makes a held message visible again now (0) or later. */
  setVisibility(receiptHandle: string, seconds: number): Promise<void>;
}

export function sqsRedriveQueue(client: SQSClient, queueUrl: string): RedriveQueuePort {
  return {
    async receive(max, visibilityTimeoutS, waitS) {
      const out = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: max, VisibilityTimeout: visibilityTimeoutS, WaitTimeSeconds: waitS }));
      return (out.Messages ?? []).map((m) => ({ messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, body: m.Body ?? '' }));
    },
    async send(body, attributes) {
      const out = await client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          MessageAttributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])),
        }),
      );
      return out.MessageId!;
    },
    async delete(receiptHandle) {
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle }));
    },
    async setVisibility(receiptHandle, seconds) {
      await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },
  };
}
