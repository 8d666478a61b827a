/**
 * How a piece counts against the memory budget over its life, shared by the
 * consumer and the bench's ShardDriver.
 *
 * From the moment it is read until its raw file is durable, a piece holds
 * its records, the packed copy in a worker (only while it is one of the few
 * pieces in flight, processors/taskSlots.ts), its raw lines (~1.7 bytes per
 * payload byte for clickstream events) and its column chunks (~1.35): three
 * bytes per payload byte are counted, the records and packed copy being
 * short-lived. Once the raw file is written its lines are let go (the
 * segment keeps only the cleansed part of each output, segmentShare), and
 * only the column chunks wait for the segment's Parquet files and its
 * checkpoint: 1.5 bytes per payload byte stay counted until then. Counting
 * all three until the checkpoint paused reading, and cut segments early
 * into smaller Parquet files, for memory the process no longer held.
 */
import type { DeadLetter, PieceOutput } from './pieceProcessor.js';
import type { SegmentPieceOutput } from '../sinks/lakeWriter.js';

/** Budget bytes per payload byte while a piece's raw file is not yet durable. */
export const BUDGET_BYTES_PER_PAYLOAD_BYTE = 3;

/** Budget bytes per payload byte that stay counted from the raw file's write to the segment's checkpoint. */
export const SEGMENT_BUDGET_BYTES_PER_PAYLOAD_BYTE = 1.5;

/**
 * Budget bytes per dead-letter envelope on top of its record's payload
 * share: the envelope's fixed fields (id, position, reason, times; about
 * 600 bytes as JS strings and object) do not shrink with the payload, so a
 * flood of tiny bad records would hold far more than three bytes per
 * payload byte until their raw file is durable (the envelopes leave with
 * it). Its base64 payload fits in the share the record's missing column
 * chunks leave.
 */
export const BUDGET_BYTES_PER_DEAD_LETTER = 1024;

/** What a raw file gives back once durable: `bytes`, taken off its segment's (`owner`) count. */
export interface FileRelease<O extends { budgetBytes: number }> {
  owner: O;
  bytes: number;
}

/** The budget bytes acquired by the open raw file's pieces, until the file is sealed. */
export class OpenFileBudget {
  #held = 0;

  add(bytes: number): void {
    this.#held += bytes;
  }

  /**
   * Seals the open file (of `payloadBytes`): what to release from `owner`
   * once it is durable, i.e. all its pieces acquired less the segment's
   * share. The count starts again for the next file.
   */
  seal<O extends { budgetBytes: number }>(payloadBytes: number, owner: O | undefined): FileRelease<O> | undefined {
    const held = this.#held;
    this.#held = 0;
    if (owner === undefined) return undefined;
    return { owner, bytes: Math.max(0, held - Math.ceil(payloadBytes * SEGMENT_BUDGET_BYTES_PER_PAYLOAD_BYTE)) };
  }

  clear(): void {
    this.#held = 0;
  }
}

/**
 * The part of a piece's output its segment needs: the cleansed rows and the
 * last sub-sequence number. The raw lines and dead letters leave with the
 * raw file; keeping the whole output would keep them until the checkpoint.
 */
export function segmentShare<D extends DeadLetter>(output: Promise<PieceOutput<D>>): Promise<SegmentPieceOutput> {
  const share = output.then((o): SegmentPieceOutput => ({ cleansed: o.cleansed, lastSubSequenceNumber: o.lastSubSequenceNumber }));
  // Awaited only when the segment is written; until then a failed piece must not count as an unhandled rejection.
  share.catch(() => undefined);
  return share;
}
