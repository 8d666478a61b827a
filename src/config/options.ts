/**
 * Every setting of the service: its environment variable (the contract with
 * the ECS task definition), its default, its unit and a doc line. The README's
 * configuration table is checked against this list by a test.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import { parseIsoTimestamp } from '../processors/timestamp.js';
import { DEFAULT_WORKER_NICENESS } from '../processors/threadPriority.js';

export type InitialPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

export interface Config {
  /** Kinesis stream to consume. */
  streamName: string;
  /** Application name: names the DynamoDB lease table, like a KCL application name. */
  appName: string;
  /** S3 bucket of the lake (raw/, cleansed/ and dlq/ prefixes). */
  bucket: string;
  /** SQS queue URL of the dead-letter queue. */
  dlqUrl: string;
  initialPosition: InitialPosition;
  /** Epoch ms; only with AT_TIMESTAMP. */
  initialTimestampMs: number | undefined;
  flushIntervalMs: number;
  flushMaxRecords: number;
  flushMaxBytes: number;
  /** New leases get a per-shard window phase (consumer/windowPhase.ts); existing leases keep theirs. */
  staggerFlushWindows: boolean;
  shutdownTimeoutMs: number;
  metricsPort: number;
  s3ForcePathStyle: boolean;
  idleWaitMs: number;
  maxRecordsPerCall: number;
  idleCloseGraceMs: number;
  shardSyncIntervalMs: number;
  failoverMs: number;
  leaseTakeIntervalMs: number;
  maxLeasesToSteal: number;
  memoryBudgetBytes: number;
  cleansedFlushIntervalMs: number;
  cleansedFlushMaxRecords: number;
  cleansedFlushMaxBytes: number;
  /** Cleansed table name (cleansed/<table>/); defaults to the stream name in snake case. */
  tableName: string;
  parquetCompression: 'SNAPPY' | 'ZSTD';
  workerId: string | undefined;
  logLevel: string;
  /** Processor worker threads. */
  workers: number;
  /** Steps of lower CPU priority for the worker threads than the main thread. */
  workerNiceness: number;
  /** Folder of `<event_type>.schema.json` files. */
  schemaDir: string;
  maxRecordBytes: number;
  maxJsonDepth: number;
  maxFutureMs: number;
  /** Top-level fields replaced by HMAC tokens in the cleansed zone; empty when none. */
  piiFields: string[];
  piiKey: string | undefined;
  piiKeySecretArn: string | undefined;
  /** Where cleansed rows go: Parquet objects in the bucket, or a Firehose delivery stream. */
  sink: 'S3' | 'FIREHOSE';
  /** Firehose delivery stream; required with sink FIREHOSE. */
  firehoseStream: string | undefined;
}

type Parser<T> = (raw: string, env: string) => T;

export interface OptionSpec<K extends keyof Config = keyof Config> {
  env: string;
  key: K;
  doc: string;
  /** Shown in the README; undefined means required. */
  defaultText: string | undefined;
  parse: Parser<Config[K]>;
  defaultValue: (() => Config[K]) | undefined;
}

function fail(env: string, raw: string, expected: string): never {
  throw new ConfigError(env, `${env}=${JSON.stringify(raw)} is invalid: expected ${expected}`);
}

export function integer(min: number, max: number, unit: string): Parser<number> {
  return (raw, env) => {
    const trimmed = raw.trim();
    if (!/^-?\d+$/.test(trimmed)) fail(env, raw, `a whole number of ${unit} between ${min} and ${max}`);
    const n = Number(trimmed);
    if (!Number.isSafeInteger(n) || n < min || n > max) fail(env, raw, `a whole number of ${unit} between ${min} and ${max}`);
    return n;
  };
}

export function nonEmpty(what: string, pattern?: RegExp): Parser<string> {
  return (raw, env) => {
    const v = raw.trim();
    if (v === '' || (pattern && !pattern.test(v))) fail(env, raw, what);
    return v;
  };
}

export function boolean(): Parser<boolean> {
  return (raw, env) => {
    const v = raw.trim().toLowerCase();
    if (v === 'true' || v === '1' || v === 'yes') return true;
    if (v === 'false' || v === '0' || v === 'no' || v === '') return false;
    return fail(env, raw, 'true or false');
  };
}

export function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (raw, env) => {
    const v = raw.trim().toUpperCase();
    if (!(values as readonly string[]).includes(v)) fail(env, raw, `one of ${values.join(', ')}`);
    return v as T;
  };
}

export function isoTimestamp(): Parser<number | undefined> {
  return (raw, env) => {
    // The events' own strict reading: an offset or Z is required (no local time), and the date must exist.
    const ms = parseIsoTimestamp(raw.trim());
    if (ms === undefined) fail(env, raw, 'an ISO-8601 timestamp with Z or an offset, such as 2026-01-31T12:00:00Z');
    return ms;
  };
}

export function fieldList(): Parser<string[]> {
  return (raw, env) => {
    const v = raw.trim();
    if (v.toLowerCase() === 'none') return [];
    const fields = v.split(',').map((f) => f.trim());
    if (fields.some((f) => !/^[A-Za-z0-9_.-]{1,128}$/.test(f))) fail(env, raw, 'a comma-separated list of field names, or none');
    return [...new Set(fields)];
  };
}

/** A secret: the error message must not echo the value. */
export function secret(minChars: number): Parser<string | undefined> {
  return (raw, env) => {
    if (raw.length < minChars) throw new ConfigError(env, `${env} is invalid: expected at least ${minChars} characters (value not shown)`);
    return raw;
  };
}

// The shipped schemas; the same relative path from src/config and dist/config.
const DEFAULT_SCHEMA_DIR = fileURLToPath(new URL('../../schemas/clickstream', import.meta.url));

function opt<K extends keyof Config>(
  env: string,
  key: K,
  doc: string,
  parse: Parser<Config[K]>,
  def?: { text: string; value: () => Config[K] },
): OptionSpec<K> {
  return { env, key, doc, parse, defaultText: def?.text, defaultValue: def?.value };
}

const MiB = 1024 * 1024;
/** The smallest KL_MEMORY_BUDGET_BYTES the service accepts (the ECS stack and the start-up check size against it too). */
export const MIN_MEMORY_BUDGET_BYTES = 16 * MiB;
const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const OPTIONS: readonly OptionSpec[] = [
  opt('KL_STREAM_NAME', 'streamName', 'Kinesis data stream to consume.', nonEmpty('a Kinesis stream name (1-128 of a-z A-Z 0-9 _ . -)', STREAM_NAME)),
  opt('KL_APP_NAME', 'appName', 'Application name; names the DynamoDB lease table, like a KCL application name.', nonEmpty('a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)', TABLE_NAME), { text: 'kinesis-lake', value: () => 'kinesis-lake' }),
  opt('KL_BUCKET', 'bucket', 'S3 bucket of the lake (raw/, cleansed/ and dlq/ prefixes).', nonEmpty('an S3 bucket name (3-63 of a-z 0-9 . -)', BUCKET_NAME)),
  opt('KL_DLQ_URL', 'dlqUrl', 'URL of the SQS dead-letter queue for records that fail processing.', nonEmpty('an SQS queue URL such as https://sqs.eu-west-1.amazonaws.com/123456789012/kinesis-lake-dlq', /^https?:\/\/\S+\/\S+$/)),
  opt('KL_INITIAL_POSITION', 'initialPosition', 'Where to start a shard that has no checkpoint yet.', oneOf(['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'] as const), { text: 'TRIM_HORIZON', value: () => 'TRIM_HORIZON' }),
  opt('KL_INITIAL_TIMESTAMP', 'initialTimestampMs', 'ISO-8601 start time; required with KL_INITIAL_POSITION=AT_TIMESTAMP.', isoTimestamp(), { text: '(none)', value: () => undefined }),
  opt('KL_FLUSH_INTERVAL_MS', 'flushIntervalMs', 'Raw-zone flush window on record arrival time; each shard\'s windows start at the phase in its lease (KL_STAGGER_FLUSH_WINDOWS).', integer(1000, 3_600_000, 'milliseconds'), { text: '60000', value: () => 60_000 }),
  opt('KL_FLUSH_MAX_RECORDS', 'flushMaxRecords', 'A raw file closes when it holds this many records.', integer(1, 10_000_000, 'records'), { text: '100000', value: () => 100_000 }),
  opt('KL_FLUSH_MAX_BYTES', 'flushMaxBytes', 'A raw file closes when its uncompressed lines reach this many bytes.', integer(64 * 1024, 1024 * MiB, 'bytes'), { text: '67108864', value: () => 64 * MiB }),
  opt('KL_STAGGER_FLUSH_WINDOWS', 'staggerFlushWindows', 'Give each new shard lease its own window phase, spread over KL_FLUSH_INTERVAL_MS, so shards do not all seal files at the same instant; false aligns new leases\' windows to the epoch (then, with an interval that divides a minute, each raw file lies inside its minute partition). Recorded in the lease when it is created: changing it never re-cuts a shard that already has one.', boolean(), { text: 'true', value: () => true }),
  opt('KL_SHUTDOWN_TIMEOUT_MS', 'shutdownTimeoutMs', 'Longest a SIGTERM/SIGINT shutdown may take (flush, checkpoint, release).', integer(1000, 600_000, 'milliseconds'), { text: '25000', value: () => 25_000 }),
  opt('KL_METRICS_PORT', 'metricsPort', 'Port of /metrics, /healthz and /readyz (0 disables the server).', integer(0, 65535, 'a TCP port'), { text: '9464', value: () => 9464 }),
  opt('KL_S3_FORCE_PATH_STYLE', 's3ForcePathStyle', 'Use path-style S3 addressing (local S3 emulators need it).', boolean(), { text: 'false', value: () => false }),
  opt('KL_IDLE_WAIT_MS', 'idleWaitMs', 'Wait after a GetRecords call that returned nothing.', integer(200, 60_000, 'milliseconds'), { text: '1000', value: () => 1000 }),
  opt('KL_MAX_RECORDS_PER_CALL', 'maxRecordsPerCall', 'Limit of one GetRecords call.', integer(1, 10_000, 'records'), { text: '10000', value: () => 10_000 }),
  opt('KL_IDLE_CLOSE_GRACE_MS', 'idleCloseGraceMs', 'A caught-up shard closes its open window this long after the window ended (the cut is announced in the lease, so a replay repeats it). A record Kinesis makes readable later than this after its arrival time starts a second, small file in that window: keep it above the stream\'s delivery delay (local emulators: a few hundred ms).', integer(0, 600_000, 'milliseconds'), { text: '2000', value: () => 2000 }),
  opt('KL_SHARD_SYNC_INTERVAL_MS', 'shardSyncIntervalMs', 'How often the shard list is read to find new shards.', integer(1000, 3_600_000, 'milliseconds'), { text: '30000', value: () => 30_000 }),
  opt('KL_FAILOVER_MS', 'failoverMs', 'A lease whose counter has not moved for this long is expired; renewal runs every third of it.', integer(1000, 600_000, 'milliseconds'), { text: '10000', value: () => 10_000 }),
  opt('KL_LEASE_TAKE_INTERVAL_MS', 'leaseTakeIntervalMs', 'How often the lease table is scanned to take expired or released leases and to balance (at most a third of KL_FAILOVER_MS).', integer(100, 600_000, 'milliseconds'), { text: '1000', value: () => 1000 }),
  opt('KL_MAX_LEASES_TO_STEAL', 'maxLeasesToSteal', 'Most leases one worker asks other workers to hand over in one balancing cycle.', integer(1, 100, 'leases'), { text: '2', value: () => 2 }),
  opt('KL_MEMORY_BUDGET_BYTES', 'memoryBudgetBytes', 'One budget for prefetched batches, the worker queue, open files, uploads and dead letters, and for what else the process grows by beyond its start-up size (worker threads, heaps, WASM memory; measured, up to 65% of the budget); above 80% of it the biggest shards pause, above 90% all of them. Start-up refuses a budget that leaves less than 400 MiB of the container\'s memory limit (else the machine\'s memory) for the process itself and headroom.', integer(MIN_MEMORY_BUDGET_BYTES, 64 * 1024 * MiB, 'bytes'), { text: '805306368 (768 MiB, for a 2 GiB task)', value: () => 768 * MiB }),
  opt('KL_CLEANSED_FLUSH_INTERVAL_MS', 'cleansedFlushIntervalMs', 'Cleansed-zone (segment) window on arrival time, starting at the shard\'s phase like the raw windows; checkpoints move at its cuts.', integer(1000, 3_600_000, 'milliseconds'), { text: '300000', value: () => 300_000 }),
  opt('KL_CLEANSED_FLUSH_MAX_RECORDS', 'cleansedFlushMaxRecords', 'A segment (and its cleansed files) closes after this many Kinesis records.', integer(1, 50_000_000, 'records'), { text: '2000000', value: () => 2_000_000 }),
  opt('KL_CLEANSED_FLUSH_MAX_BYTES', 'cleansedFlushMaxBytes', 'A segment closes when its payload bytes reach this; bounds the memory a shard holds between checkpoints.', integer(64 * 1024, 4096 * MiB, 'bytes'), { text: '134217728', value: () => 128 * MiB }),
  opt('KL_TABLE_NAME', 'tableName', 'Cleansed table name: objects go under cleansed/<table>/ and the DDL names it.', nonEmpty('a table name of a-z, 0-9 and _', /^[a-z][a-z0-9_]{0,127}$/), { text: 'the stream name in snake case', value: () => '' }),
  opt('KL_PARQUET_COMPRESSION', 'parquetCompression', 'Parquet compression of the cleansed zone: ZSTD files are about half the size of SNAPPY ones and cost about a quarter more CPU per row to write on the bench\'s clickstream (docs/performance.md).', oneOf(['SNAPPY', 'ZSTD'] as const), { text: 'SNAPPY', value: () => 'SNAPPY' }),
  opt('KL_WORKER_ID', 'workerId', 'Identity of this worker in the lease table.', nonEmpty('a non-empty worker id'), { text: 'ECS task ARN, else host name + pid', value: () => undefined }),
  opt('KL_WORKERS', 'workers', 'Worker threads that parse, validate and normalize records; the memory budget counts at least 160 MiB of process growth for each.', integer(1, 256, 'threads'), { text: 'the number of CPU cores', value: () => availableParallelism() }),
  opt('KL_WORKER_NICENESS', 'workerNiceness', 'How much nicer (lower CPU priority) the worker threads and V8\'s background threads (garbage collection, compilation) run than the main thread, so polling, lease renewals, checkpoints and uploads come first when the cores are busy, and processing yields to other processes on the same cores; 0 runs every thread at one priority. Linux only (elsewhere ignored).', integer(0, 19, 'niceness steps'), { text: String(DEFAULT_WORKER_NICENESS), value: () => DEFAULT_WORKER_NICENESS }),
  opt('KL_SCHEMA_DIR', 'schemaDir', 'Folder of JSON Schemas, one <event_type>.schema.json per event type; records dispatch on event_type.', nonEmpty('a folder path'), { text: 'schemas/clickstream in the package', value: () => DEFAULT_SCHEMA_DIR }),
  opt('KL_MAX_RECORD_BYTES', 'maxRecordBytes', 'A user record larger than this goes to the DLQ as too_large.', integer(1024, 10 * MiB, 'bytes'), { text: '1000000', value: () => 1_000_000 }),
  opt('KL_MAX_JSON_DEPTH', 'maxJsonDepth', 'A payload nested deeper than this goes to the DLQ as too_deep.', integer(2, 1000, 'levels'), { text: '64', value: () => 64 }),
  opt('KL_MAX_FUTURE_MS', 'maxFutureMs', 'An event timestamp more than this after the record\'s arrival time goes to the DLQ as future_timestamp. At most a day: the Glue tables\' partition projection reaches one day ahead, and rows dated later would land where Athena does not look.', integer(0, 24 * 3_600_000, 'milliseconds'), { text: '3600000', value: () => 3_600_000 }),
  opt('KL_PII_FIELDS', 'piiFields', 'Top-level fields replaced by an HMAC-SHA256 token in the cleansed zone (comma list, or none).', fieldList(), { text: 'user_id,session_id', value: () => ['user_id', 'session_id'] }),
  opt('KL_PII_KEY', 'piiKey', 'HMAC key for KL_PII_FIELDS (at least 16 characters); required when fields are listed and KL_PII_KEY_SECRET_ARN is not set.', secret(16), { text: '(none)', value: () => undefined }),
  opt('KL_PII_KEY_SECRET_ARN', 'piiKeySecretArn', 'Secrets Manager secret holding the HMAC key; read once at start-up, wins over KL_PII_KEY.', nonEmpty('a Secrets Manager secret ARN or name'), { text: '(none)', value: () => undefined }),
  opt('KL_SINK', 'sink', 'Cleansed-zone sink: s3 writes Parquet under cleansed/ with deterministic keys; firehose sends JSON lines to KL_FIREHOSE_STREAM (at-least-once, see docs/firehose.md).', oneOf(['S3', 'FIREHOSE'] as const), { text: 's3', value: () => 'S3' }),
  opt('KL_FIREHOSE_STREAM', 'firehoseStream', 'Firehose delivery stream of the cleansed rows; required when KL_SINK=firehose.', nonEmpty('a Firehose delivery stream name (1-64 of a-z A-Z 0-9 _ . -)', /^[a-zA-Z0-9_.-]{1,64}$/), { text: '(none)', value: () => undefined }),
  opt('LOG_LEVEL', 'logLevel', 'pino log level.', oneOf(['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE', 'SILENT'] as const) as unknown as Parser<string>, { text: 'info', value: () => 'INFO' }),
] as unknown as readonly OptionSpec[];
