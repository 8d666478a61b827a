/**
 * One byte budget for everything that grows with traffic (prefetched
 * batches, pieces in the worker pool, open files, uploads, dead letters).
 * Bytes are acquired when a GetRecords response arrives and released when
 * the file holding them is durable. Above the high watermark polling pauses;
 * it resumes below the low watermark (hysteresis, so shards do not flap).
 */
export class MemoryBudget {
  private used = 0;
  private paused = false;
  private waiters: (() => void)[] = [];
  private pausedSince: number | undefined;
  private pausedTotalMs = 0;

  constructor(
    readonly limitBytes: number,
    private readonly highWatermark = 0.9,
    private readonly lowWatermark = 0.7,
  ) {}

  get usedBytes(): number {
    return this.used;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Total time polling spent paused, in ms (including a pause in progress). */
  pausedMs(now = Date.now()): number {
    return this.pausedTotalMs + (this.pausedSince !== undefined ? now - this.pausedSince : 0);
  }

  private pressureListener: (() => void) | undefined;

  /** Called when polling pauses: the owner then cuts the largest open segments early to free bytes. */
  onPressure(listener: () => void): void {
    this.pressureListener = listener;
  }

  /** Bytes left before the budget itself is exceeded (reads are sized to fit in it). */
  get roomBytes(): number {
    return Math.max(0, this.limitBytes - this.used);
  }

  /** Bytes to free to get back under the low watermark. */
  get excessBytes(): number {
    return Math.max(0, this.used - this.limitBytes * this.lowWatermark);
  }

  acquire(bytes: number): void {
    this.used += bytes;
    if (!this.paused && this.used >= this.limitBytes * this.highWatermark) {
      this.paused = true;
      this.pausedSince = Date.now();
      this.pressureListener?.();
    }
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    if (this.paused && this.used <= this.limitBytes * this.lowWatermark) {
      this.paused = false;
      if (this.pausedSince !== undefined) this.pausedTotalMs += Date.now() - this.pausedSince;
      this.pausedSince = undefined;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves when polling may go on (at once unless paused), or when the signal aborts. */
  waitForRoom(signal?: AbortSignal): Promise<void> {
    if (!this.paused || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
