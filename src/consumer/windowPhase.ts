/**
 * Where a shard's flush windows start. With every window aligned to the
 * epoch, all shards seal a raw file at the same instant, and their last
 * pieces, gzip and PUTs queue behind each other: the files sealed last are
 * the freshness tail (docs/performance.md, "staggered windows"). A phase per
 * shard spreads those moments over the window.
 *
 * The phase is part of the cut rule a replay repeats, so it is chosen once,
 * when the shard's lease is created, and stored there (`flushWindowPhaseMs`);
 * a lease without it (an older version's, or the KCL's) keeps phase 0.
 */

/** Fractional part of the golden ratio: consecutive multiples mod 1 spread evenly for any count. */
const GOLDEN_FRACTION = 0.6180339887498949;

/**
 * The phase, in [0, intervalMs), that a new lease of `shardId` gets. Shard
 * ids end in a running number (shardId-000000000017), and the golden-ratio
 * sequence over that number keeps the shards of any stream, and those added
 * by resharding, spread over the window; other ids fall back to a hash.
 */
export function staggeredPhaseMs(shardId: string, intervalMs: number): number {
  const digits = /(\d+)$/.exec(shardId)?.[1];
  const index = digits !== undefined && digits.length <= 15 ? Number(digits) : fnv1a(shardId);
  const fraction = (index * GOLDEN_FRACTION) % 1;
  return Math.min(intervalMs - 1, Math.floor(fraction * intervalMs));
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
