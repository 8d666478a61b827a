/**
 * One record as the pipeline sees it after GetRecords (and, once KPL
 * de-aggregation runs, one user record of an aggregate).
 */
export interface StreamRecord {
  shardId: string;
  /** Kinesis sequence number (decimal string, up to 128 bits). */
  sequenceNumber: string;
  /**
   * Index of a KPL user record inside its aggregate; undefined for a plain
   * Kinesis record. Checkpoints and lake keys carry it.
   */
  subSequenceNumber: number | undefined;
  partitionKey: string;
  /** KPL explicit hash key of a user record, when the producer set one. */
  explicitHashKey: string | undefined;
  /** ApproximateArrivalTimestamp in epoch milliseconds: the clock files are cut on. */
  arrivalMs: number;
  data: Uint8Array;
}

/** A position in a shard: sequence number plus KPL sub-sequence number. */
export interface ShardPosition {
  sequenceNumber: string;
  subSequenceNumber: number | undefined;
}

/** Compares Kinesis sequence numbers (decimal strings of different lengths). */
export function compareSequence(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares two positions; a plain record sorts as sub-sequence 0. */
export function comparePosition(a: ShardPosition, b: ShardPosition): number {
  const c = compareSequence(a.sequenceNumber, b.sequenceNumber);
  if (c !== 0) return c;
  return (a.subSequenceNumber ?? 0) - (b.subSequenceNumber ?? 0);
}
