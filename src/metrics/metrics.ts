/**
 * Every metric the service exports, on a registry of its own (never the
 * prom-client global one, so tests and embedded uses can hold several).
 *
 * Naming follows the Prometheus conventions: `kinesis_lake_` prefix, base
 * units (`_seconds`, `_bytes`), `_total` on counters. The one exception is
 * `kinesis_lake_millis_behind_latest`, which keeps the unit of Kinesis'
 * `MillisBehindLatest` because that is the number KCL users already watch
 * and alert on.
 *
 * Cardinality: `shard_id` series exist only for shards this worker owns;
 * call `forgetShard` when a lease is lost or released. Every other label has
 * a closed vocabulary (see labels.ts).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isThrottle } from '../errors.js';
import { checkReasonCode, type AwsService, type LeaseEvent, type ReasonCode, type RequestOutcome, type Zone } from './labels.js';
import { registerProcessMetrics } from './processMetrics.js';

export interface MetricsOptions {
  /** Register Node's process metrics too (default true). */
  processMetrics?: boolean;
  /** Identity of this worker in the lease table; exported as `kinesis_lake_worker_info`. */
  workerId?: string;
  /** Clock in epoch milliseconds; tests pass a fake one. */
  now?: () => number;
}

/** Read at scrape time, e.g. from piscina's `queueSize` and `utilization`. */
export interface WorkerPoolStats {
  queueDepth: number;
  /** 0..1: share of the pool's capacity in use. */
  utilization: number;
}

// AWS calls range from a few ms (DynamoDB) to tens of seconds (a large multipart S3 upload).
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// A flush covers encode + upload + checkpoint, so it is slower than a single request.
const FLUSH_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

const SHARD = ['shard_id'] as const;

export class Metrics {
  readonly registry: Registry;
  private readonly now: () => number;
  private readonly lastCheckpointMs = new Map<string, number>();
  private pausedSinceMs: number | undefined;
  private workerPoolSource: (() => WorkerPoolStats) | undefined;

  // Per shard (owned shards only).
  private readonly recordsRead: Counter<'shard_id'>;
  private readonly bytesRead: Counter<'shard_id'>;
  private readonly millisBehindLatest: Gauge<'shard_id'>;
  private readonly getRecordsThrottles: Counter<'shard_id'>;
  private readonly getRecordsRetries: Counter<'shard_id'>;
  private readonly checkpointAge: Gauge<'shard_id'>;
  private readonly shardErrors: Counter<'shard_id'>;
  private readonly shardLastError: Gauge<'shard_id'>;

  // Output.
  private readonly recordsWritten: Counter<'zone'>;
  private readonly objectsWritten: Counter<'zone'>;
  private readonly bytesWritten: Counter<'zone'>;
  private readonly dlqRecords: Counter<'reason'>;
  private readonly dlqSendFailures: Counter;
  private readonly shardPauses: Counter;
  private shardPausesSeen = 0;
  private readonly recordsDropped: Counter<'reason'>;
  private readonly flushDuration: Histogram<'zone'>;

  // Leases.
  private readonly leasesHeld: Gauge;
  private readonly leaseEvents: Counter<'event'>;
  private readonly unownedShards: Gauge;

  // Dependencies.
  private readonly requestDuration: Histogram<'service' | 'operation' | 'outcome'>;

  // Memory and CPU pressure.
  private readonly memoryUsed: Gauge;
  private readonly memoryLimit: Gauge;
  private readonly memoryHeld: Gauge;
  private readonly memoryProcess: Gauge;
  private readonly paused: Gauge;
  private readonly pausedSeconds: Counter;
  private readonly poolQueueDepth: Gauge;
  private readonly poolUtilization: Gauge;

  constructor(options: MetricsOptions = {}) {
    this.registry = new Registry();
    this.now = options.now ?? Date.now;
    if (options.processMetrics ?? true) registerProcessMetrics(this.registry);
    const registers = [this.registry];
    const now = this.now;
    const lastCheckpointMs = this.lastCheckpointMs;

    this.recordsRead = new Counter({ name: 'kinesis_lake_records_read_total', help: 'Kinesis records read, per owned shard (a KPL aggregate counts once; its user records count in kinesis_lake_records_written_total).', labelNames: SHARD, registers });
    this.bytesRead = new Counter({ name: 'kinesis_lake_bytes_read_total', help: 'Payload bytes read from Kinesis, per owned shard.', labelNames: SHARD, registers });
    this.millisBehindLatest = new Gauge({ name: 'kinesis_lake_millis_behind_latest', help: 'MillisBehindLatest of the last GetRecords response, per owned shard (milliseconds, as Kinesis reports it).', labelNames: SHARD, registers });
    this.getRecordsThrottles = new Counter({ name: 'kinesis_lake_get_records_throttles_total', help: 'GetRecords calls throttled by Kinesis, per owned shard.', labelNames: SHARD, registers });
    this.getRecordsRetries = new Counter({ name: 'kinesis_lake_get_records_retries_total', help: 'GetRecords calls retried after a retriable error, per owned shard.', labelNames: SHARD, registers });
    this.checkpointAge = new Gauge({
      name: 'kinesis_lake_checkpoint_age_seconds',
      help: 'Seconds since the last successful checkpoint, per owned shard (computed at scrape time).',
      labelNames: SHARD,
      registers,
      // Computed when scraped so a stuck shard shows a growing age without any code path running.
      collect() {
        this.reset();
        const t = now();
        for (const [shardId, at] of lastCheckpointMs) this.set({ shard_id: shardId }, Math.max(0, (t - at) / 1000));
      },
    });
    this.shardErrors = new Counter({ name: 'kinesis_lake_shard_errors_total', help: 'Errors that interrupted processing of a shard, per shard, kept after its lease goes.', labelNames: SHARD, registers });
    this.shardLastError = new Gauge({ name: 'kinesis_lake_shard_last_error_timestamp_seconds', help: 'Unix time of the last error on a shard, per shard, kept after its lease goes.', labelNames: SHARD, registers });

    this.recordsWritten = new Counter({ name: 'kinesis_lake_records_written_total', help: 'Records durably written, per zone (raw, cleansed, dlq).', labelNames: ['zone'], registers });
    this.objectsWritten = new Counter({ name: 'kinesis_lake_objects_written_total', help: 'Objects (S3 files or DLQ batches) written, per zone.', labelNames: ['zone'], registers });
    this.bytesWritten = new Counter({ name: 'kinesis_lake_bytes_written_total', help: 'Bytes written (as stored, after compression), per zone.', labelNames: ['zone'], registers });
    this.dlqRecords = new Counter({ name: 'kinesis_lake_dlq_records_total', help: 'Records sent to the dead-letter queue, by reason code.', labelNames: ['reason'], registers });
    this.dlqSendFailures = new Counter({
      name: 'kinesis_lake_dlq_send_failures_total',
      help: 'Dead-letter envelopes whose send attempt failed and will be retried; their shard does not checkpoint meanwhile.',
      registers,
    });
    this.recordsDropped = new Counter({ name: 'kinesis_lake_records_dropped_total', help: 'Records deliberately not written anywhere, by reason code.', labelNames: ['reason'], registers });
    this.flushDuration = new Histogram({ name: 'kinesis_lake_flush_duration_seconds', help: 'Time to flush one buffer to its zone, end to end.', labelNames: ['zone'], buckets: FLUSH_BUCKETS, registers });

    this.leasesHeld = new Gauge({ name: 'kinesis_lake_leases_held', help: 'Shard leases this worker holds.', registers });
    this.leaseEvents = new Counter({ name: 'kinesis_lake_lease_events_total', help: 'Lease transitions seen by this worker: taken (expired or new), stolen (from a live owner), lost, released.', labelNames: ['event'], registers });
    this.unownedShards = new Gauge({ name: 'kinesis_lake_lease_unowned_shards', help: 'Leases in the lease table with no live owner at the last scan (not finished shards).', registers });

    this.requestDuration = new Histogram({ name: 'kinesis_lake_aws_request_duration_seconds', help: 'Duration of AWS requests, by service, operation and outcome.', labelNames: ['service', 'operation', 'outcome'], buckets: REQUEST_BUCKETS, registers });

    this.memoryUsed = new Gauge({
      name: 'kinesis_lake_memory_budget_used_bytes',
      help: 'Bytes counted against the memory budget: buffered records, room reserved for GetRecords responses in flight, and the process growth beside them (kinesis_lake_memory_budget_process_bytes).',
      registers,
    });
    this.memoryLimit = new Gauge({ name: 'kinesis_lake_memory_budget_limit_bytes', help: 'Memory budget: what the process may grow by beyond its start-up size (KL_MEMORY_BUDGET_BYTES).', registers });
    this.memoryHeld = new Gauge({
      name: 'kinesis_lake_memory_budget_held_bytes',
      help: 'Bytes of buffered records counted against the memory budget, without room reserved for reads in flight. The watermarks judge these plus kinesis_lake_memory_budget_process_bytes (shards pause from 80% of the limit, everyone at 90%).',
      registers,
    });
    this.memoryProcess = new Gauge({
      name: 'kinesis_lake_memory_budget_process_bytes',
      help: 'Process growth since start-up (RSS) that the buffered records do not explain (worker threads, V8 heaps, WASM memory, malloc), counted against the memory budget up to 65% of it.',
      registers,
    });
    this.paused = new Gauge({ name: 'kinesis_lake_backpressure_paused', help: '1 while reading is paused because the memory budget is full, else 0.', registers });
    this.pausedSeconds = new Counter({
      name: 'kinesis_lake_backpressure_paused_seconds_total',
      help: 'Seconds reading has been paused for backpressure.',
      registers,
      // Accrues an ongoing pause at scrape time, so a long pause shows up before it ends.
      collect: () => this.accruePause(),
    });
    this.shardPauses = new Counter({
      name: 'kinesis_lake_backpressure_shard_pauses_total',
      help: 'Times one shard held back its reads because it held more of the nearly full memory budget than the average shard (biggest shards pause first).',
      registers,
    });
    this.poolQueueDepth = new Gauge({
      name: 'kinesis_lake_worker_pool_queue_depth',
      help: 'Tasks waiting for a worker thread (encoding, compression).',
      registers,
      collect: () => this.readWorkerPool(),
    });
    this.poolUtilization = new Gauge({
      name: 'kinesis_lake_worker_pool_utilization_ratio',
      help: 'Share of worker-thread capacity in use, 0 to 1.',
      registers,
      collect: () => this.readWorkerPool(),
    });

    const workerInfo = new Gauge({ name: 'kinesis_lake_worker_info', help: 'Always 1; carries the worker id so dashboards can name tasks.', labelNames: ['worker_id'], registers });
    if (options.workerId !== undefined) workerInfo.set({ worker_id: options.workerId }, 1);
  }

  // ---- reading ----

  /** After a GetRecords response: records (user records after de-aggregation) and payload bytes. */
  recordRead(shardId: string, records: number, bytes: number): void {
    this.recordsRead.inc({ shard_id: shardId }, records);
    this.bytesRead.inc({ shard_id: shardId }, bytes);
  }

  setMillisBehindLatest(shardId: string, millis: number): void {
    this.millisBehindLatest.set({ shard_id: shardId }, millis);
  }

  getRecordsThrottled(shardId: string): void {
    this.getRecordsThrottles.inc({ shard_id: shardId });
  }

  getRecordsRetried(shardId: string): void {
    this.getRecordsRetries.inc({ shard_id: shardId });
  }

  /** A checkpoint write succeeded; the age gauge counts from this moment. */
  checkpointSucceeded(shardId: string, atMs: number = this.now()): void {
    this.lastCheckpointMs.set(shardId, atMs);
  }

  /** An error interrupted a shard (it will be retried or the lease dropped). */
  shardFailed(shardId: string, atMs: number = this.now()): void {
    this.shardErrors.inc({ shard_id: shardId });
    this.shardLastError.set({ shard_id: shardId }, atMs / 1000);
  }

  /**
   * Removes a shard's series; call when its lease is lost or released. Its
   * error series stay: a failed shard's lease is released at once, and
   * removed with it they would vanish before any scrape saw them (a shard
   * that fails, is taken again and fails again would never show). They grow
   * only with the shards this worker ever failed on.
   */
  forgetShard(shardId: string): void {
    const labels = { shard_id: shardId };
    for (const m of [this.recordsRead, this.bytesRead, this.getRecordsThrottles, this.getRecordsRetries]) m.remove(labels);
    this.millisBehindLatest.remove(labels);
    this.lastCheckpointMs.delete(shardId);
  }

  // ---- writing ----

  /** Records made durable in a zone (counted once, when the object or batch is acknowledged). */
  recordsWrittenTo(zone: Zone, records: number): void {
    this.recordsWritten.inc({ zone }, records);
  }

  /** One object (or DLQ batch) written, with its stored size. */
  objectWritten(zone: Zone, bytes: number): void {
    this.objectsWritten.inc({ zone });
    this.bytesWritten.inc({ zone }, bytes);
  }

  dlqRecord(reason: ReasonCode, records = 1): void {
    this.dlqRecords.inc({ reason: checkReasonCode(reason) }, records);
  }

  /** Envelopes of a failed DLQ send attempt (the call failed, or SQS rejected them); they are retried. */
  dlqSendFailed(envelopes = 1): void {
    this.dlqSendFailures.inc(envelopes);
  }

  recordDropped(reason: ReasonCode, records = 1): void {
    this.recordsDropped.inc({ reason: checkReasonCode(reason) }, records);
  }

  observeFlush(zone: Zone, seconds: number): void {
    this.flushDuration.observe({ zone }, seconds);
  }

  /** Runs a flush and records its duration, whether it succeeds or throws. */
  async timeFlush<T>(zone: Zone, fn: () => Promise<T>): Promise<T> {
    const end = this.flushDuration.startTimer({ zone });
    try {
      return await fn();
    } finally {
      end();
    }
  }

  // ---- leases ----

  setLeasesHeld(count: number): void {
    this.leasesHeld.set(count);
  }

  leaseEvent(event: LeaseEvent): void {
    this.leaseEvents.inc({ event });
  }

  /** From the lease-table scan: leases nobody live holds (excluding finished shards). */
  setUnownedShards(count: number): void {
    this.unownedShards.set(count);
  }

  // ---- dependencies ----

  observeRequest(service: AwsService, operation: string, outcome: RequestOutcome, seconds: number): void {
    this.requestDuration.observe({ service, operation, outcome }, seconds);
  }

  /** Runs one AWS request and records its duration and outcome; rethrows its error. */
  async timeRequest<T>(service: AwsService, operation: string, fn: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    let outcome: RequestOutcome = 'success';
    try {
      return await fn();
    } catch (err) {
      outcome = isThrottle(err) ? 'throttled' : 'error';
      throw err;
    } finally {
      this.observeRequest(service, operation, outcome, (performance.now() - startedAt) / 1000);
    }
  }

  // ---- memory and CPU pressure ----

  setMemoryBudget(usedBytes: number, limitBytes: number, heldBytes: number, processBytes = 0): void {
    this.memoryUsed.set(usedBytes);
    this.memoryLimit.set(limitBytes);
    this.memoryHeld.set(heldBytes);
    this.memoryProcess.set(processBytes);
  }

  /** Call on every pause/resume transition; repeated calls with the same value are harmless. */
  setBackpressurePaused(paused: boolean): void {
    this.accruePause();
    if (paused && this.pausedSinceMs === undefined) this.pausedSinceMs = this.now();
    if (!paused) this.pausedSinceMs = undefined;
    this.paused.set(paused ? 1 : 0);
  }

  /** The budget's running count of single-shard pauses; only its growth is added. */
  setShardPauses(total: number): void {
    const now = this.shardPausesSeen;
    if (total > now) this.shardPauses.inc(total - now);
    this.shardPausesSeen = Math.max(now, total);
  }

  setWorkerPoolStats(stats: WorkerPoolStats): void {
    this.poolQueueDepth.set(stats.queueDepth);
    this.poolUtilization.set(stats.utilization);
  }

  /** Reads the pool at every scrape instead of being pushed (e.g. `() => ({ queueDepth: pool.queueSize, utilization: pool.utilization })`). */
  watchWorkerPool(source: () => WorkerPoolStats): void {
    this.workerPoolSource = source;
  }

  /** The text exposition, as served on /metrics. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private accruePause(): void {
    if (this.pausedSinceMs === undefined) return;
    const t = this.now();
    this.pausedSeconds.inc(Math.max(0, (t - this.pausedSinceMs) / 1000));
    this.pausedSinceMs = t;
  }

  private readWorkerPool(): void {
    if (this.workerPoolSource) this.setWorkerPoolStats(this.workerPoolSource());
  }
}
