/**
 * A lease as stored in the KCL-compatible lease table: one item per shard,
 * with the KCL's attribute names and checkpoint sentinels, so a team can
 * point kinesis-lake at an existing KCL application's table.
 */
import { compareSequence, type ShardPosition } from '../consumer/records.js';

export const SENTINEL = {
  TRIM_HORIZON: 'TRIM_HORIZON',
  LATEST: 'LATEST',
  AT_TIMESTAMP: 'AT_TIMESTAMP',
  SHARD_END: 'SHARD_END',
} as const;

export interface Lease {
  /** Hash key: the shard id. */
  leaseKey: string;
  leaseOwner: string | undefined;
  leaseCounter: number;
  /** A sequence number or one of the SENTINEL values. */
  checkpoint: string;
  checkpointSubSequenceNumber: number;
  /** A forced cut that was announced but not yet made durable (section 3 of the exactly-once notes). */
  pendingCheckpoint: string | undefined;
  pendingCheckpointSubSequenceNumber: number | undefined;
  /**
   * The last record of the last raw file announced beyond the checkpoint
   * (our attribute `rawWrittenThrough`): every raw file is announced here
   * before it is written, so an owner that takes over knows how far its
   * predecessor may have written, and cuts nothing early short of it.
   */
  rawWrittenThrough?: string | undefined;
  /**
   * Raw-file cuts beyond the checkpoint that the records alone do not
   * explain (our attribute `rawIdleCuts`: an idle window closed while caught
   * up); an owner that takes over repeats them. Sequence order.
   */
  rawIdleCuts?: string[] | undefined;
  ownerSwitchesSinceCheckpoint: number;
  parentShardIds: string[];
  childShardIds: string[];
  startingHashKey: string | undefined;
  endingHashKey: string | undefined;
  /**
   * A worker that wants this lease to balance load (not a KCL attribute; KCL
   * ignores it). The owner finishes and checkpoints what it has, then lets go.
   */
  handoffTo: string | undefined;
  /** When the checkpoint last moved, epoch ms (our attribute `checkpointTime`; for `status`). */
  checkpointTimeMs: number | undefined;
  /**
   * Where this shard's flush windows start past the epoch's multiples of the
   * interval (our attribute, set once when the lease is created;
   * consumer/windowPhase.ts). Absent: 0, windows aligned to the epoch.
   */
  flushWindowPhaseMs?: number | undefined;
}

/** The lease's window phase; 0 for a lease created without one. */
export function windowPhaseOf(lease: Pick<Lease, 'flushWindowPhaseMs'>): number {
  return lease.flushWindowPhaseMs ?? 0;
}

export function isSentinel(checkpoint: string): boolean {
  return checkpoint === SENTINEL.TRIM_HORIZON || checkpoint === SENTINEL.LATEST || checkpoint === SENTINEL.AT_TIMESTAMP || checkpoint === SENTINEL.SHARD_END;
}

/** The checkpoint as a shard position, or undefined for a sentinel. */
export function checkpointPosition(lease: Pick<Lease, 'checkpoint' | 'checkpointSubSequenceNumber'>): ShardPosition | undefined {
  if (isSentinel(lease.checkpoint)) return undefined;
  return {
    sequenceNumber: lease.checkpoint,
    subSequenceNumber: lease.checkpointSubSequenceNumber > 0 ? lease.checkpointSubSequenceNumber : undefined,
  };
}

export function pendingPosition(lease: Lease): ShardPosition | undefined {
  if (lease.pendingCheckpoint === undefined || isSentinel(lease.pendingCheckpoint)) return undefined;
  return { sequenceNumber: lease.pendingCheckpoint, subSequenceNumber: lease.pendingCheckpointSubSequenceNumber };
}

/** The lease's raw-zone announcements beyond `checkpoint` (all of them for a sentinel other than SHARD_END). */
export function rawAnnouncementsBeyond(
  lease: Pick<Lease, 'rawWrittenThrough' | 'rawIdleCuts'>,
  checkpoint: string,
): { rawWrittenThrough: string | undefined; rawIdleCuts: string[] } {
  if (checkpoint === SENTINEL.SHARD_END) return { rawWrittenThrough: undefined, rawIdleCuts: [] };
  const beyond = (seq: string): boolean => isSentinel(checkpoint) || compareSequence(seq, checkpoint) > 0;
  const through = lease.rawWrittenThrough;
  return {
    rawWrittenThrough: through !== undefined && beyond(through) ? through : undefined,
    rawIdleCuts: (lease.rawIdleCuts ?? []).filter(beyond).sort(compareSequence),
  };
}
