/**
 * A lease this worker holds. Renewals, pending cuts, checkpoints and the
 * release all increment the lease counter under a condition on its current
 * value, so they are serialized here; the first failed condition marks the
 * lease lost, and from then on every write is refused locally too (the
 * fence holds even before DynamoDB is asked).
 */
import { LeaseLostError } from '../errors.js';
import type { ShardPosition } from '../consumer/records.js';
import type { Lease } from './lease.js';
import type { LeaseStore } from './leaseStore.js';

export class HeldLease {
  private current: Lease;
  private chain: Promise<unknown> = Promise.resolve();
  private lostFlag = false;
  private released = false;
  private readonly lostListeners: ((err: LeaseLostError) => void)[] = [];

  constructor(
    private readonly store: LeaseStore,
    readonly owner: string,
    lease: Lease,
  ) {
    this.current = lease;
  }

  get shardId(): string {
    return this.current.leaseKey;
  }

  get lease(): Lease {
    return this.current;
  }

  get lost(): boolean {
    return this.lostFlag;
  }

  onLost(listener: (err: LeaseLostError) => void): void {
    this.lostListeners.push(listener);
  }

  /** Marks the lease lost without a write (e.g. seen expired or taken by the coordinator). */
  markLost(cause?: unknown): void {
    if (this.lostFlag) return;
    this.lostFlag = true;
    const err = new LeaseLostError(this.shardId, cause);
    for (const l of this.lostListeners) l(err);
  }

  private run<T>(op: (lease: Lease) => Promise<Lease | void>, map: (lease: Lease) => T): Promise<T> {
    const next = this.chain.then(async () => {
      if (this.lostFlag || this.released) throw new LeaseLostError(this.shardId);
      try {
        const updated = await op(this.current);
        if (updated) this.current = updated;
        return map(this.current);
      } catch (err) {
        if (err instanceof LeaseLostError) this.markLost(err.cause);
        throw err;
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  renew(): Promise<Lease> {
    return this.run((l) => this.store.renewLease(l, this.owner), (l) => l);
  }

  prepareCheckpoint(pending: ShardPosition): Promise<Lease> {
    return this.run((l) => this.store.prepareCheckpoint(l, this.owner, pending), (l) => l);
  }

  /** Announces a raw file's end before it is written (LeaseStore.announceRawFile). */
  announceRawFile(lastSequence: string, idleCut: boolean): Promise<Lease> {
    return this.run((l) => this.store.announceRawFile(l, this.owner, lastSequence, idleCut), (l) => l);
  }

  checkpoint(position: ShardPosition): Promise<Lease> {
    return this.run((l) => this.store.checkpoint(l, this.owner, position.sequenceNumber, position.subSequenceNumber ?? 0), (l) => l);
  }

  checkpointShardEnd(): Promise<Lease> {
    return this.run((l) => this.store.checkpoint(l, this.owner, 'SHARD_END', 0), (l) => l);
  }

  /** Releases the lease (to `transferTo`, when a worker asked for it) so it moves at once. */
  release(transferTo?: string): Promise<void> {
    return this.run(
      async (l) => {
        await this.store.releaseLease(l, this.owner, transferTo);
        this.released = true;
      },
      () => undefined,
    );
  }

  get isReleased(): boolean {
    return this.released;
  }
}
