/**
 * What the consumer asks of the processing stage: turn a piece (consecutive
 * Kinesis records of one shard, all bound for the same file) into finished
 * bytes for each zone. The worker-thread pool implements it; so does the
 * inline raw-only processor used when no pool is configured.
 */
import type { StreamRecord } from './records.js';

export interface PieceInput {
  streamName: string;
  shardId: string;
  hashKeyRange: { startingHashKey: string; endingHashKey: string } | undefined;
  records: StreamRecord[];
}

/** A dead-letter envelope as far as the consumer cares: an id and a reason. */
export interface DeadLetter {
  id: string;
  reason: string;
}

export interface PieceOutput<D extends DeadLetter = DeadLetter> {
  /** Raw-zone JSONL lines of every user record, bad ones included, in order. */
  raw: Uint8Array;
  rawRecords: number;
  /** Valid records per UTC event hour, as binary column chunks (lake/columnChunk.ts). */
  cleansed: { hour: string; rows: number; chunk: Uint8Array }[];
  dlq: D[];
  /** Sub-sequence number of the last user record when the last record was a KPL aggregate. */
  lastSubSequenceNumber: number | undefined;
  counts: { userRecords: number; valid: number; invalid: number; droppedOutOfRange: number; byReason: Record<string, number> };
}

export interface PieceProcessor<D extends DeadLetter = DeadLetter> {
  process(input: PieceInput): Promise<PieceOutput<D>>;
  close(): Promise<void>;
}
