/**
 * What the consumer does when the memory budget pauses polling: cut the
 * largest open segments early, until the bytes they hold (freed once they
 * are written) bring the budget back under its low watermark. Bytes already
 * on their way out (segments cut and being written) count as freed: cutting
 * for them again would only make smaller files. A paused shard
 * reads nothing, so nothing else would ever close its segment: without these
 * cuts, shards waiting for room could hold the whole budget in open
 * segments forever. (ShardConsumer.forceCut also announces each cut in the
 * shard's lease, so a replay repeats it.)
 */
export interface CuttableShard {
  readonly shardId: string;
  /** Budget bytes held by the open segment (what a cut starts to free). */
  readonly openSegmentBytes: number;
  /** Budget bytes held by segments already cut and being written (freed once they are). */
  readonly drainingSegmentBytes: number;
  /** Cuts the open segment now; false when there is nothing to cut or a cut cannot be made yet. */
  forceCut(): boolean;
}

/** Cuts the largest open segments until `excessBytes` are on their way out; returns the cuts made, largest first. */
export function cutLargestSegments(shards: readonly CuttableShard[], excessBytes: number): { shardId: string; bytes: number }[] {
  const cuts: { shardId: string; bytes: number }[] = [];
  let toFree = excessBytes;
  for (const shard of shards) toFree -= shard.drainingSegmentBytes;
  const bySize = [...shards].sort((a, b) => b.openSegmentBytes - a.openSegmentBytes);
  for (const shard of bySize) {
    if (toFree <= 0) break;
    const bytes = shard.openSegmentBytes;
    if (bytes === 0) break;
    if (shard.forceCut()) {
      toFree -= bytes;
      cuts.push({ shardId: shard.shardId, bytes });
    }
  }
  return cuts;
}
