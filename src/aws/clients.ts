/**
 * The four AWS SDK clients the service uses, built with the project's shared
 * settings (sdkDefaults.ts). A command that needs only Kinesis or DynamoDB
 * imports kinesisClient.ts or dynamoClient.ts instead, and loads one SDK
 * package rather than four.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoClient } from './dynamoClient.js';
import { createKinesisClient } from './kinesisClient.js';
import { DEFAULT_MAX_SOCKETS, MAX_ATTEMPTS, SILENT_SDK_LOGGER, httpHandler } from './sdkDefaults.js';

export { SILENT_SDK_LOGGER } from './sdkDefaults.js';

export interface AwsClients {
  kinesis: KinesisClient;
  dynamodb: DynamoDBClient;
  s3: S3Client;
  sqs: SQSClient;
  destroy(): void;
}

export interface ClientOptions {
  s3ForcePathStyle: boolean;
  /** Socket cap per client. */
  maxSockets?: number;
}

/**
 * With an SQS endpoint configured (AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL:
 * a VPC endpoint, a proxy, an emulator), requests go there, not to the host
 * named in the queue URL, which the SDK would otherwise prefer. Some
 * emulators name hosts in queue URLs that do not resolve.
 */
export function sqsEndpointConfig(env: NodeJS.ProcessEnv = process.env): { useQueueUrlAsEndpoint?: boolean } {
  return env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL ? { useQueueUrlAsEndpoint: false } : {};
}

export function createAwsClients(options: ClientOptions): AwsClients {
  const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
  const kinesis = createKinesisClient(maxSockets);
  const dynamodb = createDynamoClient(maxSockets);
  const s3 = new S3Client({ requestHandler: httpHandler(maxSockets, 120_000), forcePathStyle: options.s3ForcePathStyle, maxAttempts: MAX_ATTEMPTS, logger: SILENT_SDK_LOGGER });
  const sqs = new SQSClient({ requestHandler: httpHandler(maxSockets, 30_000), maxAttempts: MAX_ATTEMPTS, logger: SILENT_SDK_LOGGER, ...sqsEndpointConfig() });
  return {
    kinesis,
    dynamodb,
    s3,
    sqs,
    destroy() {
      kinesis.destroy();
      dynamodb.destroy();
      s3.destroy();
      sqs.destroy();
    },
  };
}
