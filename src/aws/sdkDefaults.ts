/**
 * What every AWS SDK client of the project shares: the HTTP/1.1 handler (the
 * Kinesis client's default HTTP/2 handler fails against http:// emulators;
 * keep-alive agents with a socket cap keep connection churn low under load),
 * the retry count and a quiet logger. Endpoints, region and credentials come
 * from the SDK's own variables and provider chain (AWS_ENDPOINT_URL_KINESIS,
 * AWS_REGION, ...). Kept apart from the clients so that a command needing one
 * client loads only that client's SDK package.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Logger as SdkLogger } from '@smithy/types';

export const DEFAULT_MAX_SOCKETS = 64;
// The SDK's own retries stay on (standard mode, 3 attempts); our loops add
// jittered backoff on top for throttling and outages that last longer.
export const MAX_ATTEMPTS = 3;

export function httpHandler(maxSockets: number, requestTimeoutMs: number): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
    connectionTimeout: 5_000,
    requestTimeout: requestTimeoutMs,
    // Without it a request past its timeout is only logged (by a logger we silence) and waits for ever:
    // one hung socket would stall a shard's reads, its lease writes or an upload for good.
    throwOnRequestTimeout: true,
    socketTimeout: requestTimeoutMs,
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
