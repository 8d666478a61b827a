import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MissingResourceError } from '../errors.js';

/** Fails start-up with a clear message when the dead-letter queue does not exist. */
export async function checkQueue(client: SQSClient, queueUrl: string): Promise<void> {
  try {
    await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    if (/NonExistentQueue|QueueDoesNotExist/.test(name)) {
      throw new MissingResourceError(`KL_DLQ_URL=${JSON.stringify(queueUrl)}: the SQS queue does not exist; create it or fix the URL`, err);
    }
    throw err;
  }
}
