/**
 * Worker threads for processPiece (piscina). Each piece travels as one
 * transferred ArrayBuffer and comes back as one. A piece whose worker throws
 * or dies is retried record by record in fresh tasks; a record that fails
 * again becomes a processor_crash envelope, so bad data never rejects the
 * promise. piscina replaces dead threads by itself.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { errorName } from '../errors.js';
import { createProcessorContext, type ProcessorOptions } from './context.js';
import { crashedRecordResult, mergePieces } from './merge.js';
import { packPiece } from './packing.js';
import type { PieceInput, ProcessedPiece } from './piece.js';
import type { ProcessorWorkerData, WorkerTestHooks } from './workerData.js';
import type { EncodeCleansedTask } from './worker.js';
import type { ParquetCompression } from '../sinks/parquet/encodeParquet.js';

export interface ProcessorPoolOptions extends ProcessorOptions {
  /** Worker threads (KL_WORKERS); default: the number of cores. */
  workers?: number;
  /** Test-only fault injection in the workers. */
  testHooks?: WorkerTestHooks;
}

export interface ProcessorPoolStats {
  workers: number;
  /** Share of the pool's capacity spent running tasks since start, 0..1 (piscina's utilization). */
  utilization: number;
  /** Pieces waiting for a free worker. */
  queued: number;
  completedTasks: number;
  /** Pieces whose worker threw or died (each then retried record by record). */
  crashedPieces: number;
  /** Records that crashed a worker again when retried alone (sent to the DLQ as processor_crash). */
  crashedRecords: number;
}

/**
 * dist/processors/worker.js next to the compiled pool; when this module runs
 * from TypeScript source (vitest, tsx) the compiled worker under <repo>/dist.
 */
export function workerFilename(moduleUrl: string = import.meta.url): string {
  const rel = moduleUrl.endsWith('.ts') ? '../../dist/processors/worker.js' : './worker.js';
  return fileURLToPath(new URL(rel, moduleUrl));
}

// Start-up problems are not data problems: never turn them into DLQ envelopes.
const NOT_DATA_ERRORS = new Set(['ConfigError']);
const NOT_DATA_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'ERR_UNKNOWN_FILE_EXTENSION']);

function isStartupError(err: unknown): boolean {
  if (NOT_DATA_ERRORS.has(errorName(err))) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NOT_DATA_CODES.has(code);
}

export class ProcessorPool {
  readonly #piscina: Piscina<ArrayBuffer | EncodeCleansedTask, ProcessedPiece | Uint8Array>;
  readonly #serviceVersion: string;
  readonly workers: number;
  #closed = false;
  #crashedPieces = 0;
  #crashedRecords = 0;

  /** Throws ConfigError at once when a schema does not compile or PII fields have no key. */
  constructor(opts: ProcessorPoolOptions) {
    const { workers, testHooks, ...options } = opts;
    // Validate here, on the main thread, so a bad schema folder fails start-up instead of every task.
    this.#serviceVersion = createProcessorContext(options).serviceVersion;
    this.workers = workers ?? availableParallelism();
    const workerData: ProcessorWorkerData = { options: { ...options, serviceVersion: this.#serviceVersion }, ...(testHooks ? { testHooks } : {}) };
    this.#piscina = new Piscina({
      filename: workerFilename(),
      minThreads: this.workers,
      maxThreads: this.workers,
      idleTimeout: Infinity,
      // One task per thread (the default, said here on purpose): a second task queued on a thread that dies
      // would fail with it, and a healthy record retried alone must never be blamed for its neighbour's crash.
      concurrentTasksPerWorker: 1,
      workerData,
    });
  }

  async process(input: PieceInput): Promise<ProcessedPiece> {
    try {
      return await this.#run(input);
    } catch (err) {
      if (this.#closed || isStartupError(err)) throw err;
      this.#crashedPieces++;
      return this.#retryRecordByRecord(input);
    }
  }

  async #run(input: PieceInput): Promise<ProcessedPiece> {
    const buf = packPiece(input);
    return (await this.#piscina.run(buf, { transferList: [buf] })) as ProcessedPiece;
  }

  async #retryRecordByRecord(input: PieceInput): Promise<ProcessedPiece> {
    const parts = await Promise.all(
      input.records.map(async (record) => {
        try {
          return await this.#run({ ...input, records: [record] });
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
    const task: EncodeCleansedTask = { chunks, compression };
    return (await this.#piscina.run(task, { name: 'encodeCleansed' })) as Uint8Array;
  }

  stats(): ProcessorPoolStats {
    return {
      workers: this.workers,
      utilization: this.#piscina.utilization,
      queued: this.#piscina.queueSize,
      completedTasks: this.#piscina.completed,
      crashedPieces: this.#crashedPieces,
      crashedRecords: this.#crashedRecords,
    };
  }

  /** Waits for queued pieces, then stops the threads. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#piscina.close();
  }
}
