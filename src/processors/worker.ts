/**
 * The piscina worker entry (compiled to dist/processors/worker.js). The
 * context (compiled schemas, PII key) is built once per thread, on the first
 * task, from the options the pool passed as workerData.
 */
import { Piscina, move, transferableSymbol, valueSymbol } from 'piscina';
import { createProcessorContext, type ProcessorContext } from './context.js';
import { resultTransferList, unpackChunks, unpackPiece, type PieceReply } from './packing.js';
import { processPiece } from './piece.js';
import { crashHookFor, type ProcessorWorkerData } from './workerData.js';
import { lowerThreadPriority, THREAD_PRIORITY_SUPPORTED } from './threadPriority.js';
import { encodeParquet, type ParquetCompression } from '../sinks/parquet/encodeParquet.js';
import { releaseBuffers } from '../sinks/releaseBuffers.js';

let ctx: ProcessorContext | undefined;

const niceness = (Piscina.workerData as ProcessorWorkerData).niceness;
// Elsewhere than Linux the setting does nothing, as its doc line says; on Linux a refusal is worth a line on stderr.
if (niceness > 0 && THREAD_PRIORITY_SUPPORTED && lowerThreadPriority(niceness) === undefined) {
  process.emitWarning(`KL_WORKER_NICENESS=${niceness} could not be applied to a worker thread (the system refused to renice it); the workers run at the main thread's priority. Set KL_WORKER_NICENESS=0 to run every thread at one priority without this warning`, 'KinesisLakeWarning');
}

function context(): ProcessorContext {
  if (ctx === undefined) {
    const data = Piscina.workerData as ProcessorWorkerData;
    ctx = createProcessorContext(data.options, crashHookFor(data.testHooks));
  }
  return ctx;
}

export default function processTask(task: ArrayBuffer): unknown {
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

/** Encodes one event hour of a segment to Parquet, off the main thread. */
export async function encodeCleansed(task: EncodeCleansedTask): Promise<unknown> {
  const out = await encodeParquet(unpackChunks(task.packed, task.lengths), { compression: task.compression });
  // A whole segment-hour of chunks, done with: freed now, not at this thread's next full collection.
  releaseBuffers([new Uint8Array(task.packed)]);
  return Piscina.move(out);
}
