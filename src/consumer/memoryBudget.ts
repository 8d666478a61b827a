/** The most of the budget that process growth beside the records may take (see observeProcessGrowth). */
export const MAX_PROCESS_SHARE = 0.65;

/** How fast a peak of measured process growth is let go (see observeProcessGrowth). */
export const PROCESS_PEAK_HALF_LIFE_MS = 10_000;

/**
 * One byte budget for everything that grows with traffic (prefetched
 * batches, pieces in the worker pool, open files, uploads, dead letters).
 * Bytes are acquired when a GetRecords response arrives and released when
 * the file holding them is durable, each under its owner (the shard).
 *
 * Polling slows down in two steps, biggest shards first:
 *
 *   judged:  0 ........ soft (80%) ........ high (90%) ........ limit
 *            all poll   | shards holding more than    | nobody polls until
 *                       | the average owner pause;    | judged <= low (70%)
 *                       | the others go on            | (hysteresis)
 *
 * so a hot shard with a big backlog stops before the quiet ones do, and
 * only a budget that keeps filling stops everyone. What is judged is the
 * records held and the process growth beside them (below).
 *
 * The records are not all the process grows by: the worker threads' heaps
 * and Parquet WASM memory, and malloc's free lists, grow with traffic too
 * (about 230 MB beside a full 256 MiB budget with two workers, in the
 * `memory` bench). `observeProcessGrowth` is told how much the process has
 * grown since start-up; what of that the records do not explain counts
 * against the watermarks beside them ("process" bytes), up to
 * `maxProcessShare` of the limit, so the records always keep room to move
 * and a pause always ends once they are written.
 */
export class MemoryBudget {
  /** Bytes that arrived and are held; the watermarks judge these plus `process`. */
  private used = 0;
  /** Room reserved for GetRecords responses in flight: it limits reads (roomBytes) but pauses nobody. */
  private reserved = 0;
  private paused = false;
  private readonly held = new Map<string, number>();
  private waiters: { owner: string | undefined; wake: () => void }[] = [];
  private pausedSince: number | undefined;
  private pausedTotalMs = 0;
  private ownerPauses = 0;
  private softEpisode = false;
  /** Process growth the records do not explain, capped (observeProcessGrowth). */
  private process = 0;
  /** Process growth counted before (and whenever) less is measured: see expectProcessGrowth. */
  private expectedProcess = 0;
  /** The highest process growth measured lately, and when: it decays (observeProcessGrowth). */
  private processPeak = 0;
  private processPeakAtMs = 0;

  constructor(
    readonly limitBytes: number,
    private readonly highWatermark = 0.9,
    private readonly lowWatermark = 0.7,
    private readonly softWatermark = 0.8,
    /** The most of the limit that process growth beside the records may take; below the low watermark, so a pause can end. */
    private readonly maxProcessShare = MAX_PROCESS_SHARE,
  ) {
    if (!(maxProcessShare >= 0 && maxProcessShare < lowWatermark)) throw new RangeError(`maxProcessShare must be in [0, lowWatermark), got ${maxProcessShare}`);
  }

  /** Bytes held, plus room reserved for reads in flight, plus the process's other growth: all that counts against the limit. */
  get usedBytes(): number {
    return this.used + this.reserved + this.process;
  }

  /** Process growth beside the records that counts against the budget (see observeProcessGrowth). */
  get processBytes(): number {
    return this.process;
  }

  /** What the watermarks judge: the records held and the process's other growth. */
  private get judged(): number {
    return this.used + this.process;
  }

  /**
   * The process has grown by `bytes` since start-up (RSS now less RSS then).
   * The part the records held do not explain counts against the watermarks,
   * at most `maxProcessShare` of the limit: it may pause reading (and cut
   * the largest segments, whose written records free room), or end a pause.
   * A peak is let go by half every PROCESS_PEAK_HALF_LIFE_MS, not at once:
   * the measure dips whenever new records reuse memory that earlier ones
   * freed, and taken at its dips it let each burst of reads refill the
   * room the grown workers need (the `memory` bench at a 512 MiB budget).
   */
  observeProcessGrowth(bytes: number, nowMs = Date.now()): void {
    const measured = bytes - this.used;
    const decayedPeak = this.processPeak * 0.5 ** (Math.max(0, nowMs - this.processPeakAtMs) / PROCESS_PEAK_HALF_LIFE_MS);
    if (measured >= decayedPeak) {
      this.processPeak = measured;
      this.processPeakAtMs = nowMs;
    }
    this.countProcess(Math.max(measured, decayedPeak));
  }

  /**
   * Counts at least `bytes` of process growth from now on, measured or not
   * (the worker threads' expected growth under load). Without it the first
   * reads of every shard, sized before the workers have grown, fill the room
   * below the low watermark, and the workers' growth then comes on top: the
   * `memory` bench's RSS peaked at start-up, 90 MB above where it settled.
   */
  expectProcessGrowth(bytes: number): void {
    this.expectedProcess = Math.max(0, bytes);
    this.countProcess(this.process);
  }

  /** Counts `bytes` of process growth (at least the expected, at most the cap) and judges the watermarks again. */
  private countProcess(bytes: number): void {
    this.process = Math.min(this.limitBytes * this.maxProcessShare, Math.max(this.expectedProcess, bytes));
    this.judgeRise();
    this.judgeFall();
  }

  /** Bytes that arrived and are held, without reserved room (the watermarks judge these plus processBytes). */
  get heldBytes(): number {
    return this.used;
  }

  /** True while nobody may poll (from the high watermark down to the low one). */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Times a single owner was held back because it was among the biggest (between soft and high). */
  get ownerPauseCount(): number {
    return this.ownerPauses;
  }

  /** Bytes an owner holds now. */
  heldBy(owner: string): number {
    return this.held.get(owner) ?? 0;
  }

  /** Total time polling spent paused for everyone, in ms (including a pause in progress). */
  pausedMs(now = Date.now()): number {
    return this.pausedTotalMs + (this.pausedSince !== undefined ? now - this.pausedSince : 0);
  }

  private pressureListener: (() => void) | undefined;

  /**
   * Called when polling pauses, for everyone or (once per stretch above the
   * soft watermark) for the biggest owners: the listener then cuts the
   * largest open segments early, so their bytes free up once written. A
   * paused shard reads nothing, so nothing else would ever close its segment.
   */
  onPressure(listener: () => void): void {
    this.pressureListener = listener;
  }

  /** Bytes left before the budget itself is exceeded (reads are sized to fit in it). */
  get roomBytes(): number {
    return Math.max(0, this.limitBytes - this.used - this.reserved - this.process);
  }

  /** Owners that poll, and whether their last read found them caught up (nothing new). */
  private readonly readers = new Map<string, boolean>();
  private caughtUpReaders = 0;

  /** `owner` polls from now on (until stopReading): it counts in everyone's share of the room to read into. */
  startReading(owner: string): void {
    if (!this.readers.has(owner)) this.readers.set(owner, false);
  }

  /**
   * After each read: a caught-up owner (at the tip, nothing new) leaves the
   * shares of those with records to read, so a hot shard among many idle
   * ones is not held to a sliver of the room. Its next read that brings
   * records counts it again.
   */
  readerCaughtUp(owner: string, caughtUp: boolean): void {
    const was = this.readers.get(owner);
    if (was === undefined || was === caughtUp) return;
    this.readers.set(owner, caughtUp);
    this.caughtUpReaders += caughtUp ? 1 : -1;
  }

  stopReading(owner: string): void {
    if (this.readers.get(owner) === true) this.caughtUpReaders--;
    this.readers.delete(owner);
  }

  /**
   * Bytes one more GetRecords response of `owner` may bring: an even share
   * of what is left below the low watermark (above it, of half the room),
   * and never more than the room. An owner with records to read shares with
   * the others that have records to read; a caught-up owner, with every
   * owner that polls, as a burst may wake them all at once. (Reads sized to
   * half the room left, before 2026-11-23, starved shards whose reads
   * overlap: each reservation halved the room for the next, and with 32
   * shards and a slow Kinesis most calls asked for a record or two while the
   * budget held almost nothing.)
   */
  readRoomBytes(owner?: string): number {
    const caughtUp = owner !== undefined && this.readers.get(owner) === true;
    const readers = Math.max(1, caughtUp ? this.readers.size : this.readers.size - this.caughtUpReaders);
    const share = (this.limitBytes * this.lowWatermark - this.judged) / readers;
    return Math.min(this.roomBytes, Math.max(share, this.roomBytes / (2 * readers)));
  }

  /** Bytes of records to free to get back under the low watermark (never more than the records held). */
  get excessBytes(): number {
    return Math.min(this.used, Math.max(0, this.judged - this.limitBytes * this.lowWatermark));
  }

  /**
   * Counts bytes that may arrive (a GetRecords call in flight) without
   * judging the watermarks: a shard allowed to poll in the soft zone would
   * otherwise push the budget over the high one with room it may never use,
   * and pause every shard. The bytes that do arrive are acquired.
   */
  reserve(bytes: number, owner?: string): void {
    this.reserved += bytes;
    if (owner !== undefined) this.held.set(owner, (this.held.get(owner) ?? 0) + bytes);
  }

  /** Gives back room reserved with reserve() (the response arrived and its bytes were acquired, or the call failed). */
  unreserve(bytes: number, owner?: string): void {
    this.reserved = Math.max(0, this.reserved - bytes);
    this.dropHeld(owner, bytes);
    this.wakeWaiters();
  }

  private dropHeld(owner: string | undefined, bytes: number): void {
    if (owner === undefined) return;
    const left = (this.held.get(owner) ?? 0) - bytes;
    if (left > 0) this.held.set(owner, left);
    else this.held.delete(owner);
  }

  acquire(bytes: number, owner?: string): void {
    this.used += bytes;
    if (owner !== undefined) this.held.set(owner, (this.held.get(owner) ?? 0) + bytes);
    this.judgeRise();
  }

  private judgeRise(): void {
    if (!this.paused && this.judged >= this.limitBytes * this.highWatermark) {
      this.paused = true;
      this.pausedSince = Date.now();
      // Never inside acquire: a consumer acquires while it dispatches a batch its cutter has already split,
      // and a forced cut made in the middle of that would cut where no replay of the stream cuts again.
      const listener = this.pressureListener;
      if (listener) queueMicrotask(listener);
    }
  }

  release(bytes: number, owner?: string): void {
    this.used = Math.max(0, this.used - bytes);
    this.dropHeld(owner, bytes);
    this.judgeFall();
  }

  private judgeFall(): void {
    if (this.judged < this.limitBytes * this.softWatermark) this.softEpisode = false;
    if (this.paused && this.judged <= this.limitBytes * this.lowWatermark) {
      this.paused = false;
      if (this.pausedSince !== undefined) this.pausedTotalMs += Date.now() - this.pausedSince;
      this.pausedSince = undefined;
    }
    this.wakeWaiters();
  }

  /** True when `owner` should not poll now (see the diagram above). */
  mustWait(owner?: string): boolean {
    return this.mustWaitAbove(owner, this.averageHeld());
  }

  /** Bytes held per owner on average, or Infinity when fewer than two owners hold any (nobody is "bigger"). */
  private averageHeld(): number {
    if (this.held.size < 2) return Infinity;
    let total = 0;
    for (const b of this.held.values()) total += b;
    return total / this.held.size;
  }

  private mustWaitAbove(owner: string | undefined, average: number): boolean {
    if (this.paused) return true;
    if (owner === undefined || this.judged < this.limitBytes * this.softWatermark) return false;
    return (this.held.get(owner) ?? 0) > average;
  }

  /** Resolves when `owner` may poll (at once unless it must wait), or when the signal aborts. */
  waitForRoom(signal?: AbortSignal, owner?: string): Promise<void> {
    if (signal?.aborted || !this.mustWait(owner)) return Promise.resolve();
    if (!this.paused) {
      this.ownerPauses++;
      if (!this.softEpisode) {
        this.softEpisode = true;
        this.pressureListener?.();
      }
    }
    return new Promise((resolve) => {
      const waiter = {
        owner,
        wake: (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.wake();
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0 || this.paused) return;
    const average = this.averageHeld();
    const ready: typeof this.waiters = [];
    const waiting: typeof this.waiters = [];
    for (const w of this.waiters) (this.mustWaitAbove(w.owner, average) ? waiting : ready).push(w);
    if (ready.length === 0) return;
    this.waiters = waiting;
    for (const w of ready) w.wake();
  }
}
