/**
 * Worker threads for processPiece (piscina). Each piece travels as one
 * transferred ArrayBuffer and comes back as one. A piece whose worker throws
 * or dies is retried record by record in fresh tasks; a record that fails
 * again becomes a processor_crash envelope, so bad data never rejects the
 * promise. piscina replaces dead threads by itself.
 *
 * Two tasks per thread keep a thread busy while the main thread hands it the
 * next piece: about 5 % more throughput than one task per thread, in four
 * alternating runs of the processors bench's pool mode. The price is that a thread that
 * dies also fails the task queued behind it. So the retries run in a second,
 * isolated pool with one task per thread, started on the first crash: there a
 * record that fails did fail alone, and a piece that failed only because it
 * shared a dying thread comes back whole.
 *
 * A piece is packed only when it gets one of three task slots per thread
 * (taskSlots.ts); the others wait as records. In the pipeline bench, whose
 * reader runs far ahead of the pool, this lowered the peak of ArrayBuffer
 * memory from ~190 MB to ~125 MB (the packed copies of queued pieces), and
 * a Parquet task now waits behind the pieces in flight, not behind all.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ConfigError, errorName } from '../errors.js';
import type { Config } from '../config/options.js';
import { packageVersion, processorOptionsFromConfig, type ProcessorOptions } from './processorOptions.js';
import { resolvePiiKey } from './piiKey.js';
import { crashedRecordResult, mergePieces } from './merge.js';
import { PieceBuffers, packChunks, packPiece, type PieceReply } from './packing.js';
import { TaskSlots } from './taskSlots.js';
import type { PieceInput, ProcessedPiece } from './piece.js';
import type { ProcessorWorkerData, WorkerTestHooks } from './workerData.js';
import { DEFAULT_WORKER_NICENESS, lowerBackgroundThreadPriority } from './threadPriority.js';
import type { ContextProblem, EncodeCleansedTask } from './worker.js';
import type { ParquetCompression } from '../sinks/parquet/encodeParquet.js';

export interface ProcessorPoolOptions extends ProcessorOptions {
  /** Worker threads (KL_WORKERS); default: the number of cores. */
  workers?: number;
  /**
   * Steps of lower CPU priority for the worker threads than the main thread
   * (KL_WORKER_NICENESS; threadPriority.ts); default DEFAULT_WORKER_NICENESS,
   * 0 for none. V8's background threads are the process's to lower
   * (processorPoolFromConfig), not the pool's.
   */
  niceness?: number;
  /** Test-only fault injection in the workers. */
  testHooks?: WorkerTestHooks;
}

export interface ProcessorPoolStats {
  workers: number;
  /** Share of the pool's capacity spent running tasks since start, 0..1 (piscina's utilization). */
  utilization: number;
  /** Pieces waiting for a free worker: unpacked for a task slot, or packed in piscina's queue. */
  queued: number;
  /** Pieces packed and handed to the threads (at most PIECES_IN_FLIGHT_PER_THREAD per thread). */
  piecesInFlight: number;
  completedTasks: number;
  /** Pieces whose worker threw or died (each then retried record by record). */
  crashedPieces: number;
  /** Records that crashed a worker again when retried alone (sent to the DLQ as processor_crash). */
  crashedRecords: number;
}

/**
 * The compiled worker, <package>/dist/processors/worker.js, found from a
 * module two folders below the package: the compiled pool
 * (dist/processors), its TypeScript source (src/processors: vitest, tsx) or
 * the bundled CLI (dist/bin). The worker itself is never bundled.
 */
export function workerFilename(moduleUrl: string = import.meta.url): string {
  return fileURLToPath(new URL('../../dist/processors/worker.js', moduleUrl));
}

// Start-up problems are not data problems: never turn them into DLQ envelopes.
const NOT_DATA_ERRORS = new Set(['ConfigError']);
const NOT_DATA_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'ERR_UNKNOWN_FILE_EXTENSION']);

function isStartupError(err: unknown): boolean {
  if (NOT_DATA_ERRORS.has(errorName(err))) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NOT_DATA_CODES.has(code);
}

// null: checkContext's task, which takes nothing.
type PoolTask = ArrayBuffer | EncodeCleansedTask | null;
type PoolResult = PieceReply | Uint8Array | ContextProblem | undefined;

// Two queued tasks hide the round trip through the main thread between pieces.
const TASKS_PER_THREAD = 2;
// Pieces handed to piscina at once, per thread: its two tasks and one waiting in piscina's queue, so a
// thread that finishes one finds the next already packed (the processors bench feeds three per thread).
const PIECES_IN_FLIGHT_PER_THREAD = TASKS_PER_THREAD + 1;

export class ProcessorPool {
  readonly #piscina: Piscina<PoolTask, PoolResult>;
  /** One task per thread, for retries after a crash; started on the first one. */
  #isolated: Piscina<PoolTask, PoolResult> | undefined;
  /** Pieces packed and handed to each pool at once (taskSlots.ts). */
  readonly #slots: TaskSlots;
  #isolatedSlots: TaskSlots | undefined;
  /**
   * Parquet tasks packed and handed over at once, one per thread. Each packs
   * a copy of its segment-hour's column chunks (packChunks); unlimited, the
   * segments cut together under memory pressure (the largest of every
   * shard) doubled their chunks' memory in piscina's queue, outside the
   * budget's count, until a thread was free.
   */
  readonly #parquetSlots: TaskSlots;
  readonly #piscinaOptions: ConstructorParameters<typeof Piscina>[0] & object;
  readonly #serviceVersion: string;
  readonly workers: number;
  #closed = false;
  #closing: Promise<void> | undefined;
  #crashedPieces = 0;
  #crashedRecords = 0;
  /** Piece buffers the workers handed back, for the next pieces. */
  readonly #buffers: PieceBuffers;

  /**
   * Starts the threads; each builds its context (schemas, PII key) as it
   * starts. A bad schema folder or a missing key shows only once a task
   * runs: ProcessorPool.start also waits for that check.
   */
  constructor(opts: ProcessorPoolOptions) {
    const { workers, niceness, testHooks, ...options } = opts;
    this.#serviceVersion = options.serviceVersion ?? packageVersion();
    this.workers = workers ?? availableParallelism();
    const workerData: ProcessorWorkerData = { options: { ...options, serviceVersion: this.#serviceVersion }, niceness: niceness ?? DEFAULT_WORKER_NICENESS, ...(testHooks ? { testHooks } : {}) };
    this.#piscinaOptions = { filename: workerFilename(), maxThreads: this.workers, workerData };
    this.#slots = new TaskSlots(this.workers * PIECES_IN_FLIGHT_PER_THREAD);
    this.#parquetSlots = new TaskSlots(this.workers);
    // One spare per piece that can be in flight, in this pool and in the retries' (one per thread there).
    this.#buffers = new PieceBuffers(this.#slots.capacity + this.workers);
    this.#piscina = new Piscina({ ...this.#piscinaOptions, minThreads: this.workers, idleTimeout: Infinity, concurrentTasksPerWorker: TASKS_PER_THREAD });
  }

  #isolatedPool(): Piscina<PoolTask, PoolResult> {
    // One task per thread: a healthy record retried alone must never be blamed for its neighbour's crash.
    // One thread stays once started: with none, piscina leaves queued tasks waiting after a thread dies.
    this.#isolated ??= new Piscina({ ...this.#piscinaOptions, minThreads: 1, idleTimeout: 30_000, concurrentTasksPerWorker: 1 });
    this.#isolatedSlots ??= new TaskSlots(this.workers);
    return this.#isolated;
  }

  /**
   * A started pool whose threads could build their context: throws
   * ConfigError (and stops the threads) when a schema does not compile or
   * PII fields have no key, so that a bad config fails start-up instead of
   * every piece. The schemas are compiled in a worker thread only: the main
   * thread never loads the compiler, and can make its own start-up calls
   * meanwhile.
   */
  static async start(opts: ProcessorPoolOptions): Promise<ProcessorPool> {
    const pool = new ProcessorPool(opts);
    let problem: ContextProblem | undefined;
    try {
      problem = (await pool.#piscina.run(null, { name: 'checkContext' })) as ContextProblem | undefined;
    } catch (err) {
      await pool.close().catch(() => undefined);
      throw err;
    }
    if (problem === undefined) return pool;
    await pool.close().catch(() => undefined);
    throw problem.field === undefined ? new Error(problem.message) : new ConfigError(problem.field, problem.message);
  }

  async process(input: PieceInput): Promise<ProcessedPiece> {
    try {
      return await this.#run(this.#piscina, this.#slots, input);
    } catch (err) {
      if (this.#closed || isStartupError(err)) throw err;
      this.#crashedPieces++;
      return this.#retryRecordByRecord(input);
    }
  }

  async #run(pool: Piscina<PoolTask, PoolResult>, slots: TaskSlots, input: PieceInput): Promise<ProcessedPiece> {
    await slots.acquire();
    try {
      const buf = packPiece(input, this.#buffers);
      const reply = (await pool.run(buf, { transferList: [buf] })) as PieceReply;
      this.#buffers.give(reply.spare);
      return reply.piece;
    } finally {
      slots.release();
    }
  }

  async #retryRecordByRecord(input: PieceInput): Promise<ProcessedPiece> {
    const isolated = this.#isolatedPool();
    const slots = this.#isolatedSlots!;
    const parts = await Promise.all(
      input.records.map(async (record) => {
        try {
          return await this.#run(isolated, slots, { ...input, records: [record] });
        } catch (err) {
          if (this.#closed || isStartupError(err)) throw err;
          this.#crashedRecords++;
          return crashedRecordResult(record, input.streamName, this.#serviceVersion, errorName(err));
        }
      }),
    );
    return mergePieces(parts);
  }

  /** Encodes one event hour's column chunks to a Parquet file in a worker thread. */
  async encodeParquet(chunks: Uint8Array[], compression: ParquetCompression): Promise<Uint8Array> {
    // Handed over in the same turn when a slot is free, so it goes no later than the pieces already in flight.
    if (!this.#parquetSlots.tryAcquire()) await this.#parquetSlots.acquire();
    try {
      return await ProcessorPool.#encodeOn(this.#piscina, chunks, compression);
    } catch (err) {
      // The thread may have died of the task queued beside this one: try once more where it runs alone.
      if (this.#closed || isStartupError(err)) throw err;
      return await ProcessorPool.#encodeOn(this.#isolatedPool(), chunks, compression);
    } finally {
      this.#parquetSlots.release();
    }
  }

  // Packed afresh for each attempt: the copy handed to a thread that died went with it.
  static async #encodeOn(pool: Piscina<PoolTask, PoolResult>, chunks: Uint8Array[], compression: ParquetCompression): Promise<Uint8Array> {
    const { packed, lengths } = packChunks(chunks);
    const task: EncodeCleansedTask = { packed, lengths, compression };
    return (await pool.run(task, { name: 'encodeCleansed', transferList: [packed] })) as Uint8Array;
  }

  stats(): ProcessorPoolStats {
    return {
      workers: this.workers,
      utilization: this.#piscina.utilization,
      queued: this.#piscina.queueSize + this.#slots.waiting + this.#parquetSlots.waiting,
      piecesInFlight: this.#slots.held,
      completedTasks: this.#piscina.completed,
      crashedPieces: this.#crashedPieces,
      crashedRecords: this.#crashedRecords,
    };
  }

  /** Waits for queued pieces, then stops the threads. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= (async () => {
      // Pieces still waiting for a slot are not in piscina's queue yet: let them through first.
      await Promise.all([this.#slots.whenIdle(), this.#parquetSlots.whenIdle(), this.#isolatedSlots?.whenIdle()]);
      await Promise.all([this.#piscina.close(), this.#isolated?.close()]);
    })();
    return this.#closing;
  }
}

/**
 * The pool a command of this process runs on (`run`, `replay`), from its
 * configuration: the PII key is resolved (KL_PII_KEY or Secrets Manager),
 * then the threads the process has so far (V8's, libuv's) go below the main
 * thread with the workers (KL_WORKER_NICENESS), before the workers start.
 * Throws ConfigError as ProcessorPool.start does, or as resolvePiiKey does.
 */
export async function startProcessorPool(config: Config): Promise<ProcessorPool> {
  const piiKey = await resolvePiiKey(config);
  lowerBackgroundThreadPriority(config.workerNiceness);
  return ProcessorPool.start({ ...processorOptionsFromConfig(config, piiKey), workers: config.workers, niceness: config.workerNiceness });
}
