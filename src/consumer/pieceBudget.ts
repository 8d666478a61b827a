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
 * into smaller Parquet files, for memory the process no longer held. These
 * factors are the counts before a piece is processed; its output then
 * raises them to what it measures (outputExcess).
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

/** Budget bytes a piece was counted for when read: `file` until its raw file is durable, `segment` until the checkpoint. */
export interface PieceCount {
  file: number;
  segment: number;
}

/**
 * What a processed piece holds beyond what it was counted for when it was
 * read: the factors above fit clickstream events of about 270 bytes, but a
 * raw line's metadata (~190 bytes) and a row's fixed columns are per user
 * record, so smaller events, and KPL aggregates whose user records the
 * consumer cannot count before a worker opens them, hold more. Measured on
 * 160-byte events: raw lines 2.2 and column chunks 1.7 bytes per payload
 * byte, against 1.5 and 1.5; with a 256 MiB budget and aggregates, the main
 * thread held 530 MB of outputs while the budget counted 231
 * (bench/memory.ts, 2026-11-23). So each piece's count rises to what its
 * output holds: `file` (its raw lines and dead letters) until its raw file
 * is durable, `segment` (its column chunks) until the checkpoint. Never
 * lowered: the records and the packed copy were counted in the same bytes
 * and may not be collected yet.
 */
export function outputExcess(counted: PieceCount, held: PieceCount, deadLetters: number): PieceCount {
  return {
    file: Math.max(0, held.file - counted.file) + deadLetters * BUDGET_BYTES_PER_DEAD_LETTER,
    segment: Math.max(0, held.segment - counted.segment),
  };
}

/** The memory a processed piece's output holds (its buffers, not its views): `file` its raw lines, `segment` its column chunks. */
export function outputBytes(output: Pick<PieceOutput, 'raw' | 'cleansed'>): PieceCount {
  let segment = 0;
  for (const c of output.cleansed) segment += c.chunk.buffer.byteLength;
  return { file: output.raw.buffer.byteLength, segment };
}

/**
 * Payload of a piece whose ratio counts in full. A small piece's column
 * chunks are mostly their fixed headers: 4.7 bytes per payload byte for a
 * single 160-byte event against 1.8 for 100 of them. Taken in full, a
 * shard's first call (one record, recordSizeEstimate.ts) set every later
 * read's count at 2.5 times what it held, and pushed a 16 MiB budget 40 %
 * past its limit (test/integration/backpressure.test.ts, 2026-11-23).
 */
const FULL_WEIGHT_PAYLOAD_BYTES = 64 * 1024;

/**
 * A ratio that moves all the way to a larger value and a fifth of the way
 * to a smaller one, each scaled down for a piece under
 * FULL_WEIGHT_PAYLOAD_BYTES; never below its floor.
 */
class Ratio {
  constructor(
    readonly floor: number,
    public value: number,
  ) {}

  observe(ratio: number, payloadBytes: number): void {
    const weight = Math.min(1, payloadBytes / FULL_WEIGHT_PAYLOAD_BYTES) * (ratio >= this.value ? 1 : 0.2);
    this.value = Math.max(this.floor, this.value + weight * (ratio - this.value));
  }
}

/**
 * Budget bytes to count per payload byte when a piece is read, in two
 * parts: what its raw file holds until durable (records, packed copy, raw
 * lines) and what its segment holds until the checkpoint (column chunks).
 * Never less than the configured factor (split as SEGMENT_BUDGET_BYTES_PER_PAYLOAD_BYTE
 * for the segment and the rest for the file), and as much as the outputs
 * have been measured to hold, so that a stream of small events or KPL
 * aggregates does not fill memory while the budget still shows room; a
 * small piece moves it less (FULL_WEIGHT_PAYLOAD_BYTES). A piece counted
 * low is raised once processed (outputExcess), and the budget may then
 * pass its limit. Before any output, half a byte more for
 * each part: every shard's first reads go out together, and counted at the
 * floor, 32 shards of 160-byte events took the budget 19 % past its limit
 * once their outputs were measured (bench/memory.ts, 2026-11-23).
 */
export class BudgetFactor {
  readonly #file: Ratio;
  readonly #segment: Ratio;

  constructor(
    readonly floor: number,
    unmeasuredExtra = 1,
  ) {
    const segmentFloor = Math.min(SEGMENT_BUDGET_BYTES_PER_PAYLOAD_BYTE, floor);
    const fileFloor = floor - segmentFloor;
    this.#file = new Ratio(fileFloor, fileFloor + unmeasuredExtra / 2);
    this.#segment = new Ratio(segmentFloor, segmentFloor + unmeasuredExtra / 2);
  }

  get bytesPerPayloadByte(): number {
    return this.#file.value + this.#segment.value;
  }

  /** What a piece of `payloadBytes` counts when read. */
  count(payloadBytes: number): PieceCount {
    return { file: Math.ceil(payloadBytes * this.#file.value), segment: Math.ceil(payloadBytes * this.#segment.value) };
  }

  /** A piece of `payloadBytes` whose output holds `held` (outputBytes). */
  observe(payloadBytes: number, held: PieceCount): void {
    if (payloadBytes <= 0) return;
    this.#file.observe(held.file / payloadBytes, payloadBytes);
    this.#segment.observe(held.segment / payloadBytes, payloadBytes);
  }
}

/** What a raw file gives back once durable: `bytes`, taken off its segment's (`owner`) count. */
export interface FileRelease<O extends { budgetBytes: number }> {
  owner: O;
  bytes: number;
}

/** The budget bytes acquired by the open raw file's pieces, until the file is sealed. */
export class OpenFileBudget {
  #held = 0;
  #segmentShare = 0;

  /** `bytes` acquired for the open file's pieces, of which `segmentShare` stays with the segment once the file is durable. */
  add(bytes: number, segmentShare = 0): void {
    this.#held += bytes;
    this.#segmentShare += segmentShare;
  }

  /**
   * Seals the open file: what to release from `owner` once it is durable,
   * i.e. all its pieces acquired less the segment's share. The count starts
   * again for the next file.
   */
  seal<O extends { budgetBytes: number }>(owner: O | undefined): FileRelease<O> | undefined {
    const held = this.#held;
    const share = this.#segmentShare;
    this.clear();
    if (owner === undefined) return undefined;
    return { owner, bytes: Math.max(0, held - share) };
  }

  clear(): void {
    this.#held = 0;
    this.#segmentShare = 0;
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
