/**
 * `kinesis-lake redrive [--reason R] [--max N] [--dry-run] [--visibility-timeout 300s]`:
 * a one-off job with the service's environment that re-processes DLQ
 * envelopes with the current schemas and code (see batch/redrive.ts).
 * Prints a JSON summary on stdout.
 */
import { loadConfig } from '../config/loadConfig.js';
import { createAwsClients } from '../aws/clients.js';
import { createLogger } from '../log.js';
import { S3ObjectStore } from '../sinks/objectStore.js';
import { checkQueue } from '../sinks/queueCheck.js';
import { encodeParquet } from '../sinks/parquet/encodeParquet.js';
import { createProcessorContext, processorOptionsFromConfig, resolvePiiKey } from '../processors/index.js';
import { redrive } from '../batch/redrive.js';
import { RawLookup } from '../batch/rawLookup.js';
import { sqsRedriveQueue } from '../batch/redrivePorts.js';

export interface RedriveCommandOptions {
  configFile: string | undefined;
  reason: string | undefined;
  max: number;
  dryRun: boolean;
  visibilityTimeoutMs: number;
}

export async function redriveCommand(options: RedriveCommandOptions): Promise<number> {
  const config = loadConfig(process.env, options.configFile);
  const logger = createLogger({ level: config.logLevel, workerId: 'redrive' });
  const clients = createAwsClients({ s3ForcePathStyle: config.s3ForcePathStyle });
  try {
    const store = new S3ObjectStore(clients.s3, config.bucket);
    await store.checkBucket();
    await checkQueue(clients.sqs, config.dlqUrl);
    // Inline processing: a redrive handles one record at a time, and ConfigError from bad schemas surfaces here.
    const context = createProcessorContext(processorOptionsFromConfig(config, await resolvePiiKey(config)));
    const compression = config.parquetCompression === 'ZSTD' ? 'zstd' : 'snappy';
    const stall = process.env.KL_TEST_REDRIVE_STALL_AFTER_MESSAGES;
    const summary = await redrive(
      {
        queue: sqsRedriveQueue(clients.sqs, config.dlqUrl),
        store,
        rawLookup: new RawLookup(store, config.streamName, config.flushIntervalMs),
        context,
        encodeParquet: (chunks) => encodeParquet(chunks, { compression }),
        logger,
        ...(stall ? { stallAfterMessages: Number(stall) } : {}),
      },
      {
        stream: config.streamName,
        table: config.tableName,
        bucket: config.bucket,
        reason: options.reason,
        max: options.max,
        dryRun: options.dryRun,
        visibilityTimeoutS: Math.max(1, Math.round(options.visibilityTimeoutMs / 1000)),
      },
    );
    process.stdout.write(JSON.stringify(summary) + '\n');
    return 0;
  } finally {
    clients.destroy();
  }
}
