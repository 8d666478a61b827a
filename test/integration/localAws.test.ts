/**
 * The local stack's emulator choices start and answer: the npm-only
 * fallback (fauxqs for S3 and SQS, for laptops without moto) and fauxqs
 * serving SQS beside moto (KL_LOCAL_SQS=fauxqs).
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/aws/clients.js';
import { motoAvailable, startLocalAws, type LocalAwsStack } from '../../src/local/localAws.js';
import { tempDir } from '../support/env.js';

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
