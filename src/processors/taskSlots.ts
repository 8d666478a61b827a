/**
 * A first-come, first-served limit on the pieces handed to piscina at once.
 * A piece is packed into its transfer buffer only when it gets a slot, so
 * pieces waiting behind a busy pool stay as the records the consumer
 * already holds, instead of each holding a packed copy of its payloads
 * too; and the few packed buffers in flight are the ones the workers hand
 * back for reuse (PieceBuffers). A Parquet task, which takes no slot, waits
 * behind at most the pieces in flight, not behind every piece queued.
 */
export class TaskSlots {
  #free: number;
  readonly #waiters: (() => void)[] = [];
  #idle: (() => void)[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`task slots must be a whole number of at least 1, got ${capacity}`);
    this.#free = capacity;
  }

  /** Resolves when the caller holds a slot; callers are served in the order they asked. */
  acquire(): Promise<void> {
    // A released slot goes straight to the longest waiter (release), so free slots and waiters never coexist.
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Takes a free slot now, if there is one (no waiter can be ahead: free slots and waiters never coexist). */
  tryAcquire(): boolean {
    if (this.#free === 0) return false;
    this.#free--;
    return true;
  }

  /** Gives a slot back: to the longest waiter, else to the free count. */
  release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) {
      next();
      return;
    }
    this.#free++;
    if (this.#free > this.capacity) throw new Error('a task slot was released more often than it was acquired');
    if (this.#free === this.capacity) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Slots held now. */
  get held(): number {
    return this.capacity - this.#free;
  }

  /** Resolves once every slot is free and nobody waits. */
  whenIdle(): Promise<void> {
    if (this.#free === this.capacity) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idle.push(resolve));
  }
}
