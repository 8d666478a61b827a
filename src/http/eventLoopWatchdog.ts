/**
 * Liveness from timer drift: a repeating timer that fires late means the
 * event loop was blocked (a runaway synchronous loop, a huge JSON.parse, GC
 * thrash). A blocked loop cannot answer /healthz itself while it is blocked,
 * so a stall is remembered for `windowMs` and reported on the next probe.
 */

export interface WatchdogOptions {
  /** A tick later than this is a stall. */
  thresholdMs: number;
  /** Tick period; small enough that a stall is noticed soon after it ends. */
  intervalMs?: number;
  /** How long one stall keeps liveness failing. */
  windowMs?: number;
  now?: () => number;
}

export interface LivenessStatus {
  healthy: boolean;
  /** Largest delay seen within the window, or the current one if larger (ms). */
  eventLoopDelayMs: number;
}

export class EventLoopWatchdog {
  private readonly thresholdMs: number;
  private readonly intervalMs: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private lastTickMs = 0;
  private lastStall: { atMs: number; delayMs: number } | undefined;

  constructor(options: WatchdogOptions) {
    this.thresholdMs = options.thresholdMs;
    this.intervalMs = options.intervalMs ?? Math.max(10, Math.min(1000, Math.floor(options.thresholdMs / 5)));
    this.windowMs = options.windowMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    if (this.timer) return;
    this.lastTickMs = this.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    // The watchdog must never be what keeps the process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  status(): LivenessStatus {
    const t = this.now();
    const current = Math.max(0, t - this.lastTickMs - this.intervalMs);
    const recent = this.lastStall && t - this.lastStall.atMs <= this.windowMs ? this.lastStall.delayMs : 0;
    const delay = Math.max(current, recent);
    return { healthy: delay <= this.thresholdMs, eventLoopDelayMs: delay };
  }

  private tick(): void {
    const t = this.now();
    const delay = t - this.lastTickMs - this.intervalMs;
    if (delay > this.thresholdMs) this.lastStall = { atMs: t, delayMs: delay };
    this.lastTickMs = t;
  }
}
