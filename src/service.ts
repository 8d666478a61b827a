/**
 * `kinesis-lake run`: assembles the service from its config, checks that the
 * stream, table, bucket and queue exist (a clear message when one does not),
 * runs the worker, and shuts down in order on SIGTERM/SIGINT within
 * KL_SHUTDOWN_TIMEOUT_MS.
 */
import type { Config } from './config/options.js';
import { createAwsClients, type AwsClients } from './aws/clients.js';
import { createLogger, type Logger } from './log.js';
import { SdkKinesisPort, type KinesisPort } from './consumer/kinesisPort.js';
import { DynamoLeaseStore, type LeaseStore } from './checkpoint/leaseStore.js';
import { S3ObjectStore, type ObjectStorePort } from './sinks/objectStore.js';
import { LakeWriter } from './sinks/lakeWriter.js';
import { MemoryBudget } from './consumer/memoryBudget.js';
import { StreamWorker } from './consumer/streamWorker.js';
import { RawOnlyProcessor } from './consumer/rawOnlyProcessor.js';
import { resolveWorkerId } from './consumer/workerId.js';
import { checkQueue } from './sinks/queueCheck.js';
import { errorMessage } from './errors.js';
import type { PieceProcessor } from './consumer/pieceProcessor.js';

export interface ServicePorts {
  kinesis: KinesisPort;
  leases: LeaseStore;
  store: ObjectStorePort;
}

export interface Service {
  worker: StreamWorker;
  logger: Logger;
  /** Ordered, idempotent shutdown. */
  close(): Promise<void>;
}

export interface StartServiceOptions {
  /** Replace the AWS adapters (tests wrap them with fault injection). */
  wrapPorts?: (ports: ServicePorts) => ServicePorts;
  logger?: Logger;
  processor?: PieceProcessor;
}

export async function startService(config: Config, options: StartServiceOptions = {}): Promise<Service> {
  const workerId = await resolveWorkerId(config.workerId);
  const logger = options.logger ?? createLogger({ level: config.logLevel, workerId });
  const clients: AwsClients = createAwsClients({ s3ForcePathStyle: config.s3ForcePathStyle });
  let ports: ServicePorts = {
    kinesis: new SdkKinesisPort(clients.kinesis),
    leases: new DynamoLeaseStore(clients.dynamodb, config.appName),
    store: new S3ObjectStore(clients.s3, config.bucket),
  };
  if (options.wrapPorts) ports = options.wrapPorts(ports);

  try {
    await ports.kinesis.describeStream(config.streamName);
    await ports.store.checkBucket();
    await checkQueue(clients.sqs, config.dlqUrl);
    await ports.leases.ensureTable();
  } catch (err) {
    clients.destroy();
    throw err;
  }

  const processor = options.processor ?? new RawOnlyProcessor();
  const writer = new LakeWriter({ store: ports.store, streamName: config.streamName, deadLetters: undefined, logger });
  const budget = new MemoryBudget(512 * 1024 * 1024);
  const worker = new StreamWorker({
    workerId,
    kinesis: ports.kinesis,
    leases: ports.leases,
    processor,
    writer,
    budget,
    failoverMs: config.failoverMs,
    shardSyncIntervalMs: config.shardSyncIntervalMs,
    logger,
    settings: {
      streamName: config.streamName,
      cutRules: { intervalMs: config.flushIntervalMs, maxRecords: config.flushMaxRecords, maxBytes: config.flushMaxBytes },
      idleWaitMs: config.idleWaitMs,
      idleCloseGraceMs: config.idleCloseGraceMs,
      maxRecordsPerCall: config.maxRecordsPerCall,
      initialPosition: config.initialPosition,
      initialTimestampMs: config.initialTimestampMs,
      budgetBytesPerPayloadByte: 3,
    },
  });
  await worker.start();
  logger.info({ stream: config.streamName, table: config.appName, bucket: config.bucket }, 'kinesis-lake started');

  let closing: Promise<void> | undefined;
  return {
    worker,
    logger,
    close() {
      closing ??= (async () => {
        logger.info('shutting down');
        try {
          await worker.close(config.shutdownTimeoutMs);
        } catch (err) {
          logger.error({ err: errorMessage(err) }, 'worker shutdown failed');
        }
        await processor.close().catch(() => undefined);
        clients.destroy();
        logger.info('shut down');
      })();
      return closing;
    },
  };
}
