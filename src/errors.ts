/**
 * A small error taxonomy. Every error the service raises on purpose says
 * whether retrying the same operation can help (`retriable`) and keeps the
 * underlying error as `cause`, so the crash handler can decide between
 * "back off and try again" and "exit with a clear message".
 */
export class KinesisLakeError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration value is missing or malformed. Exit status 2, one line. */
export class ConfigError extends KinesisLakeError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message, { retriable: false });
    this.field = field;
  }
}

/** A resource the config names (stream, table, bucket, queue) does not exist. Exit status 2. */
export class MissingResourceError extends KinesisLakeError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: false, cause });
  }
}

/**
 * The conditional write on a lease failed: another worker owns it now, or it
 * was released. The shard must stop at once: no further checkpoint or file.
 */
export class LeaseLostError extends KinesisLakeError {
  readonly shardId: string;
  constructor(shardId: string, cause?: unknown) {
    super(`lease for ${shardId} was lost`, { retriable: false, cause });
    this.shardId = shardId;
  }
}

/** A transient failure of a dependency (throttling, 5xx, reset). */
export class TransientError extends KinesisLakeError {
  constructor(message: string, cause?: unknown) {
    super(message, { retriable: true, cause });
  }
}

/** Exit status used for configuration and missing-resource errors. */
export const EXIT_CONFIG = 2;

const RETRIABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'LimitExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'KMSThrottlingException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TransactionInProgressException',
]);

const RETRIABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);

/** True when an error from the AWS SDK or the network is worth retrying. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof KinesisLakeError) return err.retriable;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (e.$retryable) return true;
  if (e.name && RETRIABLE_NAMES.has(e.name)) return true;
  if (e.code && RETRIABLE_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  return false;
}

/** True for Kinesis/DynamoDB throttling specifically (counted separately). */
export function isThrottle(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return (
    name === 'ProvisionedThroughputExceededException' ||
    name === 'ThrottlingException' ||
    name === 'LimitExceededException' ||
    name === 'SlowDown'
  );
}

export function errorName(err: unknown): string {
  if (err instanceof Error) return err.name;
  return typeof err;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
