/**
 * How many records a reader has finished over time, and the rate once they
 * flow. Every reader waits for what happens once: start-up, and the first
 * round of GetRecords, which kinesalite answers for all shards together. The
 * rate from the first tenth read to the end leaves that out, for the drain
 * and the service alike, so that comparing the two compares sustained
 * throughput; the whole-run figures stay the headline.
 */

/** When (performance.now() ms) a reader had finished `done` records in all. */
export interface ProgressPoint {
  atMs: number;
  done: number;
}

/** The share of the records the steady rate leaves out. */
export const WARM_UP_SHARE = 0.1;

/**
 * Records per second once records flow: from the first point of `started`
 * at or past `warmUpShare` of `total` to the first point of `finished` that
 * reaches `total`, counting the records not yet started at the first point.
 * A bare reader is done with a record once it has read it (the same points
 * twice); the service starts a record when it reads it and finishes it when
 * a checkpoint covers it, so what it had read but not yet made durable at the
 * first point still counts, as it must for a fair comparison. NaN when the
 * points do not get that far or span no time.
 */
export function steadyRate(started: readonly ProgressPoint[], finished: readonly ProgressPoint[], total: number, warmUpShare = WARM_UP_SHARE): number {
  const from = started.find((p) => p.done >= total * warmUpShare);
  const to = finished.find((p) => p.done >= total);
  if (from === undefined || to === undefined || to.atMs <= from.atMs) return NaN;
  return (total - from.done) / ((to.atMs - from.atMs) / 1000);
}
