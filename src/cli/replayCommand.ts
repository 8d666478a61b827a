/**
 * `kinesis-lake replay --from ISO --to ISO [--table T] [--restart]`: a
 * one-off batch job (an ECS task with the service's environment) that
 * rebuilds the cleansed zone from the raw zone for an arrival-time range.
 * Prints a JSON summary on stdout; exit status 1 when some part of the range
 * could not be replayed safely (diverged or conflicting shards).
 */
import { loadConfig } from '../config/loadConfig.js';
import { createAwsClients } from '../aws/clients.js';
import { createLogger } from '../log.js';
import { S3ObjectStore } from '../sinks/objectStore.js';
import { LakeWriter } from '../sinks/lakeWriter.js';
import { DynamoLeaseStore } from '../checkpoint/leaseStore.js';
import { startProcessorPool, type ProcessorPool, type DlqEnvelope } from '../processors/index.js';
import { parseIsoTimestamp } from '../processors/timestamp.js';
import { replay } from '../batch/replay.js';
import { ReplayMarker } from '../batch/replayMarker.js';
import { s3ObjectDeleter } from '../batch/objectDelete.js';
import { terminalProgress } from '../batch/progressBar.js';
import { UsageError } from './duration.js';

export interface ReplayCommandOptions {
  configFile: string | undefined;
  from: string | undefined;
  to: string | undefined;
  table: string | undefined;
  restart: boolean;
}

function parseTime(text: string | undefined, flag: string): number {
  if (text === undefined) throw new UsageError(`replay needs ${flag} TIME (ISO-8601, e.g. 2026-01-31T12:00:00Z)`);
  const ms = parseIsoTimestamp(text.trim());
  if (ms === undefined) throw new UsageError(`${flag} ${JSON.stringify(text)} is invalid: expected an ISO-8601 time with Z or an offset, such as 2026-01-31T12:00:00Z`);
  return ms;
}

export async function replayCommand(options: ReplayCommandOptions): Promise<number> {
  const fromMs = parseTime(options.from, '--from');
  const toMs = parseTime(options.to, '--to');
  if (toMs <= fromMs) throw new UsageError('--to must be later than --from');
  if (options.table !== undefined && !/^[a-z][a-z0-9_]{0,127}$/.test(options.table)) throw new UsageError(`--table ${JSON.stringify(options.table)} is invalid: expected a table name of a-z, 0-9 and _`);
  const config = loadConfig(process.env, options.configFile);
  const table = options.table ?? config.tableName;
  const logger = createLogger({ level: config.logLevel, workerId: 'replay' });
  const clients = createAwsClients({ s3ForcePathStyle: config.s3ForcePathStyle });
  const store = new S3ObjectStore(clients.s3, config.bucket);
  const deleter = s3ObjectDeleter(clients.s3, config.bucket);
  let pool: ProcessorPool | undefined;
  try {
    await store.checkBucket();
    pool = await startProcessorPool(config);
    const processorPool = pool;
    const compression = config.parquetCompression === 'ZSTD' ? 'zstd' : 'snappy';
    // Always Parquet on S3: replay rebuilds the cleansed zone itself, whatever KL_SINK the service uses.
    const writer = new LakeWriter<DlqEnvelope>({
      store,
      streamName: config.streamName,
      table,
      deadLetters: undefined,
      parquet: { encode: (chunks) => processorPool.encodeParquet(chunks, compression) },
      logger,
    });
    const marker = await ReplayMarker.load(store, deleter, { stream: config.streamName, table, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() }, fromMs, toMs, options.restart);
    if (marker.resumed) logger.info({ marker: marker.key }, 'resuming an interrupted replay');
    const leases = new DynamoLeaseStore(clients.dynamodb, config.appName);
    const stall = process.env.KL_TEST_REPLAY_STALL_AFTER_SEGMENTS;
    const summary = await replay(
      {
        store,
        deleter,
        processor: processorPool,
        writer,
        // No lease table (a lake whose service is gone): no trailing segment is proven closed.
        checkpoints: async () => new Map((await leases.listLeases().catch(() => [])).map((l) => [l.leaseKey, l.checkpoint])),
        marker,
        progress: terminalProgress(),
        logger,
        ...(stall ? { stallAfterSegments: Number(stall) } : {}),
      },
      {
        stream: config.streamName,
        table,
        fromMs,
        toMs,
        segmentRules: { intervalMs: config.cleansedFlushIntervalMs, maxRecords: config.cleansedFlushMaxRecords, maxBytes: config.cleansedFlushMaxBytes },
        fileRules: { intervalMs: config.flushIntervalMs, maxRecords: config.flushMaxRecords, maxBytes: config.flushMaxBytes },
      },
    );
    process.stdout.write(JSON.stringify({ ...summary, resumed: marker.resumed }) + '\n');
    return summary.diverged.length > 0 || summary.conflicts.length > 0 ? 1 : 0;
  } finally {
    await pool?.close().catch(() => undefined);
    clients.destroy();
  }
}
