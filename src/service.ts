/**
 * `kinesis-lake run`: assembles the service from its config, checks that the
 * stream, table, bucket and queue exist (a clear message when one does not),
 * runs the worker, and shuts down in order on SIGTERM/SIGINT within
 * KL_SHUTDOWN_TIMEOUT_MS.
 */
import { WORKER_GROWTH_BYTES, memoryBudgetProblem, processMemoryLimitBytes, workerShareWarning } from './config/memoryFit.js';
import type { Config } from './config/options.js';
import { createAwsClients, type AwsClients } from './aws/clients.js';
import { createLogger, type Logger } from './log.js';
import { SdkKinesisPort, type KinesisPort } from './consumer/kinesisPort.js';
import { DynamoLeaseStore, type LeaseStore } from './checkpoint/leaseStore.js';
import { S3ObjectStore, type ObjectStorePort } from './sinks/objectStore.js';
import { LakeWriter } from './sinks/lakeWriter.js';
import { MemoryBudget } from './consumer/memoryBudget.js';
import { StreamWorker } from './consumer/streamWorker.js';
import { resolveWorkerId } from './consumer/workerId.js';
import { checkQueue } from './sinks/queueCheck.js';
import { ConfigError, errorMessage } from './errors.js';
import { retryUntilDone } from './consumer/retry.js';
import type { PieceProcessor } from './consumer/pieceProcessor.js';
// Not the processors' index: that would load the schema compiler, which only the worker threads need.
import { startProcessorPool, type ProcessorPool } from './processors/pool.js';
import type { DlqEnvelope } from './processors/envelope.js';
import { DlqSender } from './sinks/dlqSender.js';
import { createSqsBatchPort, type SqsBatchPort } from './sinks/dlqPorts.js';
import { Metrics } from './metrics/metrics.js';
import { pipelineObserver } from './metrics/pipelineObserver.js';
import { instrumentPort } from './metrics/instrumentedPorts.js';
import { startOpsServer, type OpsServer } from './http/server.js';
import { createDynamoReadiness } from './http/readiness.js';
import { dynamoLeaseTableProbe } from './http/dynamoLeaseTableProbe.js';
import { FirehoseSink } from './sinks/firehoseSink.js';
import { BUDGET_BYTES_PER_PAYLOAD_BYTE } from './consumer/pieceBudget.js';

/** How often the memory budget learns how much the process has grown (RSS): reads cost a system call, and 100 ms is a few reads' worth. */
const PROCESS_GROWTH_SAMPLE_MS = 100;

export interface ServicePorts {
  kinesis: KinesisPort;
  leases: LeaseStore;
  store: ObjectStorePort;
  sqs: SqsBatchPort;
}

export interface Service {
  worker: StreamWorker<DlqEnvelope>;
  logger: Logger;
  metrics: Metrics;
  /** The port of /metrics, /healthz and /readyz; undefined when KL_METRICS_PORT=0 and no server was asked for. */
  opsPort: number | undefined;
  /** Ordered, idempotent shutdown. */
  close(): Promise<void>;
}

export interface StartServiceOptions {
  /** Replace the AWS adapters (tests wrap them with fault injection). */
  wrapPorts?: (ports: ServicePorts) => ServicePorts;
  logger?: Logger;
  processor?: PieceProcessor<DlqEnvelope>;
  /** Serve /metrics etc. even with KL_METRICS_PORT=0 (on a free port). */
  serveOps?: boolean;
  /** The memory this process may use, for the budget check (tests); default: its container's limit, else the machine's memory. */
  memoryLimitBytes?: number;
  /**
   * The processor pool, already starting (startProcessorPool): `run` starts
   * it before it loads this module, so the worker threads boot while the
   * AWS SDK loads. The service then owns it, and closes it if start-up
   * fails. Default: started here.
   */
  processorPool?: Promise<ProcessorPool>;
}

export async function startService(config: Config, options: StartServiceOptions = {}): Promise<Service> {
  // What the process is before it grows with traffic (Node, its modules): the budget counts growth beyond it.
  // With `run` the worker threads have been booting a while by now (some 28 MB each when done); the growth
  // expected of them (WORKER_GROWTH_BYTES, counted until more is measured) covers that.
  const startRssBytes = process.memoryUsage.rss();
  const memoryProblem = memoryBudgetProblem(config.memoryBudgetBytes, options.memoryLimitBytes ?? processMemoryLimitBytes());
  if (memoryProblem !== undefined) {
    await options.processorPool?.then((pool) => pool.close()).catch(() => undefined);
    throw new ConfigError('KL_MEMORY_BUDGET_BYTES', memoryProblem);
  }
  // The worker threads start (and compile the schemas) while the main thread makes its start-up calls.
  const poolStart = options.processorPool ?? startProcessorPool(config);
  // Awaited later; until then a failure must not count as unhandled.
  poolStart.catch(() => undefined);
  try {
    return await assembleService(config, options, poolStart, startRssBytes);
  } catch (err) {
    // Whatever stopped start-up, the threads must not outlive it (in-process callers: tests, the demo).
    await poolStart.then((pool) => pool.close()).catch(() => undefined);
    throw err;
  }
}

async function assembleService(config: Config, options: StartServiceOptions, poolStart: Promise<ProcessorPool>, startRssBytes: number): Promise<Service> {
  const workerId = await resolveWorkerId(config.workerId);
  const logger = options.logger ?? createLogger({ level: config.logLevel, workerId });
  const workerShare = workerShareWarning(config.memoryBudgetBytes, config.workers);
  if (workerShare !== undefined) logger.warn({ field: 'KL_MEMORY_BUDGET_BYTES' }, workerShare);
  const clients: AwsClients = createAwsClients({ s3ForcePathStyle: config.s3ForcePathStyle });
  const metrics = new Metrics({ workerId });
  let ports: ServicePorts = {
    kinesis: new SdkKinesisPort(clients.kinesis),
    leases: new DynamoLeaseStore(clients.dynamodb, config.appName),
    store: new S3ObjectStore(clients.s3, config.bucket),
    sqs: createSqsBatchPort(clients.sqs),
  };
  if (options.wrapPorts) ports = options.wrapPorts(ports);
  ports = {
    kinesis: instrumentPort(ports.kinesis, 'kinesis', metrics),
    leases: instrumentPort(ports.leases, 'dynamodb', metrics),
    store: instrumentPort(ports.store, 's3', metrics),
    sqs: instrumentPort(ports.sqs, 'sqs', metrics),
  };

  // Throttling or a blip at start-up is waited out; a missing resource stops start-up with its message.
  // The four checks go out together (each is a round trip or two): the first that fails for good stops the others.
  const checks = new AbortController();
  const onRetry = (err: unknown, attempt: number): void => logger.warn({ err: errorMessage(err), attempt }, 'start-up check failed; retrying');
  const check = (op: () => Promise<unknown>): Promise<unknown> => retryUntilDone(op, { onRetry, signal: checks.signal });
  try {
    await Promise.all([
      check(() => ports.kinesis.describeStream(config.streamName)),
      check(() => ports.store.checkBucket()),
      check(() => checkQueue(clients.sqs, config.dlqUrl)),
      check(() => ports.leases.ensureTable()),
    ]);
  } catch (err) {
    checks.abort();
    clients.destroy();
    throw err;
  }

  let processorPool: ProcessorPool;
  try {
    processorPool = await poolStart;
  } catch (err) {
    clients.destroy();
    throw err;
  }
  const processor: PieceProcessor<DlqEnvelope> = options.processor ?? processorPool;
  metrics.watchWorkerPool(() => {
    const st = processorPool.stats();
    return { queueDepth: st.queued, utilization: st.utilization };
  });
  const dlq = new DlqSender({
    queueUrl: config.dlqUrl,
    bucket: config.bucket,
    sqs: ports.sqs,
    s3: { putObject: (bucket, key, body, contentType) => ports.store.put(key, body, { contentType }) },
    logger,
    onSendFailure: (envelopes) => metrics.dlqSendFailed(envelopes),
  });
  const compression = config.parquetCompression === 'ZSTD' ? 'zstd' : 'snappy';
  // KL_SINK=firehose: cleansed rows go to Firehose instead of Parquet objects (docs/firehose.md).
  // Loaded only when used: its SDK client is ~0.1 s of start-up CPU that the default deployment never needs.
  const firehose = config.sink === 'FIREHOSE' ? (await import('./sinks/firehosePort.js')).createFirehosePort() : undefined;
  const writer = new LakeWriter<DlqEnvelope>({
    ...(firehose ? { cleansedSink: new FirehoseSink({ port: firehose, deliveryStream: config.firehoseStream!, logger }) } : {}),
    store: ports.store,
    streamName: config.streamName,
    table: config.tableName,
    deadLetters: dlq,
    parquet: { encode: (chunks) => processorPool.encodeParquet(chunks, compression) },
    logger,
    onObject: (zone, records, bytes, durationMs) => {
      metrics.recordsWrittenTo(zone, records);
      if (zone !== 'dlq') metrics.objectWritten(zone, bytes);
      metrics.observeFlush(zone, durationMs / 1000);
    },
  });
  const budget = new MemoryBudget(config.memoryBudgetBytes);
  budget.expectProcessGrowth(config.workers * WORKER_GROWTH_BYTES);
  // Worker threads, V8 heaps, WASM memory and malloc grow with traffic beside the records the budget counts.
  const processGrowth = setInterval(() => budget.observeProcessGrowth(process.memoryUsage.rss() - startRssBytes), PROCESS_GROWTH_SAMPLE_MS);
  processGrowth.unref();
  const worker = new StreamWorker<DlqEnvelope>({
    workerId,
    kinesis: ports.kinesis,
    leases: ports.leases,
    processor,
    writer,
    budget,
    failoverMs: config.failoverMs,
    takeIntervalMs: config.leaseTakeIntervalMs,
    maxStealsPerCycle: config.maxLeasesToSteal,
    observer: pipelineObserver(metrics),
    shardSyncIntervalMs: config.shardSyncIntervalMs,
    staggerFlushWindows: config.staggerFlushWindows,
    logger,
    settings: {
      streamName: config.streamName,
      cutRules: { intervalMs: config.flushIntervalMs, maxRecords: config.flushMaxRecords, maxBytes: config.flushMaxBytes },
      segmentRules: { intervalMs: config.cleansedFlushIntervalMs, maxRecords: config.cleansedFlushMaxRecords, maxBytes: config.cleansedFlushMaxBytes },
      idleWaitMs: config.idleWaitMs,
      idleCloseGraceMs: config.idleCloseGraceMs,
      maxRecordsPerCall: config.maxRecordsPerCall,
      initialPosition: config.initialPosition,
      initialTimestampMs: config.initialTimestampMs,
      budgetBytesPerPayloadByte: BUDGET_BYTES_PER_PAYLOAD_BYTE,
    },
  });
  let ops: OpsServer | undefined;
  if (config.metricsPort !== 0 || options.serveOps) {
    ops = await startOpsServer({
      port: config.metricsPort,
      metrics,
      logger,
      readiness: createDynamoReadiness({ tableName: config.appName, probe: dynamoLeaseTableProbe(clients.dynamodb), isLeasing: () => worker.isLeasing }),
    });
  }
  const gauges = setInterval(() => {
    metrics.setMemoryBudget(budget.usedBytes, budget.limitBytes, budget.heldBytes, budget.processBytes);
    metrics.setBackpressurePaused(budget.isPaused);
    metrics.setShardPauses(budget.ownerPauseCount);
  }, 1000);
  gauges.unref();
  await worker.start();
  logger.info({ stream: config.streamName, table: config.appName, bucket: config.bucket, opsPort: ops?.port }, 'kinesis-lake started');

  let closing: Promise<void> | undefined;
  return {
    worker,
    logger,
    metrics,
    opsPort: ops?.port,
    close() {
      closing ??= (async () => {
        logger.info('shutting down');
        try {
          await worker.close(config.shutdownTimeoutMs);
        } catch (err) {
          logger.error({ err: errorMessage(err) }, 'worker shutdown failed');
        }
        await processorPool.close().catch(() => undefined);
        clearInterval(gauges);
        clearInterval(processGrowth);
        await ops?.close().catch(() => undefined);
        clients.destroy();
        firehose?.destroy();
        logger.info('shut down');
      })();
      return closing;
    },
  };
}
