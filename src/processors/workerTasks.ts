/**
 * What the worker threads run (loaded by worker.ts, the piscina entry, once
 * the thread's priority is lowered). The context (compiled schemas, PII
 * key) is built once per thread, as the thread starts, from the options the
 * pool passed as workerData: the main thread never compiles the schemas
 * itself, and learns of a bad schema folder or a missing PII key from
 * checkContext (ProcessorPool.start).
 */
import { Piscina, move, transferableSymbol, valueSymbol } from 'piscina';
import { createProcessorContext, type ProcessorContext } from './context.js';
import { resultTransferList, unpackChunks, unpackPiece, type PieceReply } from './packing.js';
import { processPiece } from './piece.js';
import { crashHookFor, type ProcessorWorkerData } from './workerData.js';
import type { ParquetCompression } from '../sinks/parquet/encodeParquet.js';
import { releaseBuffers } from '../sinks/releaseBuffers.js';

const data = Piscina.workerData as ProcessorWorkerData;

// Built now, while the main thread still waits on its start-up calls, not on the first piece.
let ctx: ProcessorContext | undefined;
let ctxError: unknown;
try {
  ctx = createProcessorContext(data.options, crashHookFor(data.testHooks));
} catch (err) {
  ctxError = err;
}

function context(): ProcessorContext {
  if (ctx === undefined) throw ctxError;
  return ctx;
}

/** Why this thread's context could not be built (a ConfigError's field and message), or undefined when it was. */
export interface ContextProblem {
  field: string | undefined;
  message: string;
}

/** The pool's start-up check: errors do not cross threads whole, so the problem comes back as data. */
export function checkContext(): ContextProblem | undefined {
  if (ctx !== undefined) return undefined;
  const field = (ctxError as { field?: unknown } | null)?.field;
  return { field: typeof field === 'string' ? field : undefined, message: ctxError instanceof Error ? ctxError.message : String(ctxError) };
}

export function processTask(task: ArrayBuffer): unknown {
  const piece = processPiece(unpackPiece(task), context());
  // The result is cloned, except its byte arrays, whose memory moves to the main thread. The piece's own
  // buffer goes back too, for the next piece: nothing in the result points into it (raw lines, chunks
  // and envelopes hold copies).
  const reply: PieceReply = { piece, spare: task };
  return move({ [transferableSymbol]: [...resultTransferList(piece), task], [valueSymbol]: reply });
}

export interface EncodeCleansedTask {
  /** The hour's column chunks, packed (packChunks). */
  packed: ArrayBuffer;
  lengths: number[];
  compression: ParquetCompression;
}

// Loaded on the first segment, not as the thread starts: compiling parquet-wasm is ~40 ms a thread of start-up.
let parquetModule: Promise<typeof import('../sinks/parquet/encodeParquet.js')> | undefined;

/** Encodes one event hour of a segment to Parquet, off the main thread. */
export async function encodeCleansed(task: EncodeCleansedTask): Promise<unknown> {
  const { encodeParquet } = await (parquetModule ??= import('../sinks/parquet/encodeParquet.js'));
  const out = await encodeParquet(unpackChunks(task.packed, task.lengths), { compression: task.compression });
  // A whole segment-hour of chunks, done with: freed now, not at this thread's next full collection.
  releaseBuffers([new Uint8Array(task.packed)]);
  return Piscina.move(out);
}
