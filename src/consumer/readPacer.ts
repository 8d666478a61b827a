/**
 * Keeps one shard's GetRecords inside the Kinesis limits: at most 5 calls/s
 * and 2 MB/s per shard. Each response tells how long to wait before the
 * next call: the longer of the call-rate gap and the time its bytes "cost"
 * at 2 MB/s, or the idle wait when the shard had nothing new. A shard's
 * first call (sized for records of unknown size, so small) skips the
 * call-rate gap: one extra call at the start of a lease stays well inside 5
 * a second, where the gap would delay the shard's reading by 200 ms.
 */
export const MIN_CALL_GAP_MS = 200;
export const READ_BYTES_PER_S = 2 * 1024 * 1024;

export class ReadPacer {
  private nextCallAt = 0;

  constructor(
    private readonly idleWaitMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds to wait before the next call may go out. */
  delayMs(): number {
    return Math.max(0, this.nextCallAt - this.now());
  }

  /** Records a response started at `startedAt` with `bytes` of payload and `records` records; `sizing` for a shard's first call. */
  onResponse(startedAt: number, bytes: number, records: number, sizing = false): void {
    const byteCostMs = (bytes / READ_BYTES_PER_S) * 1000;
    const gap = records === 0 ? this.idleWaitMs : Math.max(sizing ? 0 : MIN_CALL_GAP_MS, byteCostMs);
    this.nextCallAt = startedAt + gap;
  }

  /** After throttling, wait at least `ms` from now. */
  penalize(ms: number): void {
    this.nextCallAt = Math.max(this.nextCallAt, this.now() + ms);
  }
}
