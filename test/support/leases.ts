import type { Lease } from '../../src/checkpoint/lease.js';

/** A lease as a fresh, unowned one of the shard, with the given fields changed. */
export function leaseOf(leaseKey: string, fields: Partial<Lease> = {}): Lease {
  return {
    leaseKey,
    leaseOwner: undefined,
    leaseCounter: 0,
    checkpoint: 'TRIM_HORIZON',
    checkpointSubSequenceNumber: 0,
    pendingCheckpoint: undefined,
    pendingCheckpointSubSequenceNumber: undefined,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [],
    childShardIds: [],
    startingHashKey: undefined,
    endingHashKey: undefined,
    handoffTo: undefined,
    checkpointTimeMs: undefined,
    ...fields,
  };
}
