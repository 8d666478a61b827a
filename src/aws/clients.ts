/**
 * Builds the AWS SDK clients. Endpoints, region and credentials come from the
 * SDK's own variables and provider chain (AWS_ENDPOINT_URL_KINESIS,
 * AWS_REGION, ...). Every client uses the HTTP/1.1 handler: the Kinesis
 * client's default HTTP/2 handler fails against http:// emulators, and keep-
 * alive agents with a socket cap keep connection churn low under load.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Logger as SdkLogger } from '@smithy/types';
import { KinesisJsonProtocol } from './kinesisProtocol.js';

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

function handler(maxSockets: number, requestTimeoutMs: number): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    connectionTimeout: 5_000,
    requestTimeout: requestTimeoutMs,
  });
}

const ignore = (): void => undefined;

/**
 * A logger with no `info`. The SDK's default logger has an empty `info`, and
 * the SDK builds a redacted copy of every response to pass to it (for a
 * GetRecords of 10,000 records, a walk over all of them); without the
 * method it skips that work. The SDK logs nothing else we read.
 */
export const SILENT_SDK_LOGGER = { debug: ignore, warn: ignore, error: ignore } as unknown as SdkLogger;

const DEFAULT_MAX_SOCKETS = 64;
// The SDK's own retries stay on (standard mode, 3 attempts); our loops add
// jittered backoff on top for throttling and outages that last longer.
const MAX_ATTEMPTS = 3;

/** The Kinesis client every command uses: HTTP/1.1, GetRecords read by hand (kinesisProtocol.ts). */
export function createKinesisClient(maxSockets = DEFAULT_MAX_SOCKETS): KinesisClient {
  return new KinesisClient({ requestHandler: handler(maxSockets, 30_000), maxAttempts: MAX_ATTEMPTS, logger: SILENT_SDK_LOGGER, protocol: KinesisJsonProtocol });
}

/** The DynamoDB client of the lease table, for the service and for the commands that read it. */
export function createDynamoClient(maxSockets = DEFAULT_MAX_SOCKETS): DynamoDBClient {
  return new DynamoDBClient({ requestHandler: handler(maxSockets, 10_000), maxAttempts: MAX_ATTEMPTS, logger: SILENT_SDK_LOGGER });
}

export function createAwsClients(options: ClientOptions): AwsClients {
  const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
  const kinesis = createKinesisClient(maxSockets);
  const dynamodb = createDynamoClient(maxSockets);
  const s3 = new S3Client({ requestHandler: handler(maxSockets, 120_000), forcePathStyle: options.s3ForcePathStyle, maxAttempts: MAX_ATTEMPTS, logger: SILENT_SDK_LOGGER });
  const sqs = new SQSClient({ requestHandler: handler(maxSockets, 30_000), maxAttempts: MAX_ATTEMPTS, logger: SILENT_SDK_LOGGER, ...sqsEndpointConfig() });
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
