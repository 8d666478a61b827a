/**
 * The lifecycle of one shard consumer, as an explicit state machine.
 *
 *   WAITING_ON_PARENTS ─► INITIALIZING ─► PROCESSING ─► DRAINING ─► SHARD_ENDED ─► SHUT_DOWN
 *                              │              │    │                                 ▲
 *                              │              │    └─ stop/handoff ─► SHUTTING_DOWN ─┤
 *                              └──────────────┴────── lease lost ───► LEASE_LOST ────┘
 *                                             └────── fatal error ──► FAILED ────────┘
 *
 * WAITING_ON_PARENTS: a child shard waits until every parent is at SHARD_END.
 * INITIALIZING: reads the checkpoint and gets an iterator.
 * PROCESSING: polls, cuts files, writes them, checkpoints.
 * DRAINING: the shard has ended (no next iterator); the last file is written.
 * SHARD_ENDED: SHARD_END is checkpointed; children may start.
 * SHUTTING_DOWN: polling stopped on request; the open file is cut (announced
 *   in the lease first), written and checkpointed.
 * LEASE_LOST: a conditional write failed; nothing more is written.
 * FAILED: an unexpected error; nothing more is checkpointed, the lease is
 *   released so the shard is retried.
 */
export type ShardState =
  | 'WAITING_ON_PARENTS'
  | 'INITIALIZING'
  | 'PROCESSING'
  | 'DRAINING'
  | 'SHARD_ENDED'
  | 'SHUTTING_DOWN'
  | 'LEASE_LOST'
  | 'FAILED'
  | 'SHUT_DOWN';

const TRANSITIONS: Record<ShardState, readonly ShardState[]> = {
  WAITING_ON_PARENTS: ['INITIALIZING', 'SHUTTING_DOWN', 'LEASE_LOST', 'SHUT_DOWN'],
  INITIALIZING: ['PROCESSING', 'SHARD_ENDED', 'SHUTTING_DOWN', 'LEASE_LOST', 'FAILED'],
  PROCESSING: ['DRAINING', 'SHUTTING_DOWN', 'LEASE_LOST', 'FAILED'],
  DRAINING: ['SHARD_ENDED', 'LEASE_LOST', 'FAILED', 'SHUTTING_DOWN'],
  SHARD_ENDED: ['SHUT_DOWN'],
  SHUTTING_DOWN: ['SHUT_DOWN', 'LEASE_LOST', 'FAILED'],
  LEASE_LOST: ['SHUT_DOWN'],
  FAILED: ['SHUT_DOWN'],
  SHUT_DOWN: [],
};

export function canTransition(from: ShardState, to: ShardState): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Why a shard consumer stopped, ranked: a lost lease outranks everything
 * (no write may follow), a shard end outranks a requested stop (the
 * SHARD_END checkpoint must still be made).
 */
export type ShutdownReason = 'LEASE_LOST' | 'FAILED' | 'SHARD_END' | 'REQUESTED';

const RANK: Record<ShutdownReason, number> = { LEASE_LOST: 0, FAILED: 1, SHARD_END: 2, REQUESTED: 3 };

export function strongerReason(a: ShutdownReason | undefined, b: ShutdownReason): ShutdownReason {
  if (a === undefined) return b;
  return RANK[a] <= RANK[b] ? a : b;
}
