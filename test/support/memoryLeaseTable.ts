/**
 * An in-memory lease table fenced like DynamoLeaseStore: every write needs
 * the lease's current counter and owner, and bumps the counter; a
 * checkpoint clears an announced cut it reaches. For unit tests of the
 * consumer and the worker; the store itself is tested against dynalite.
 * `hang(op, key)` makes a call wait for ever (a DynamoDB call that never
 * answers), `delayMs(op, key)` makes it wait a while.
 */
import { rawAnnouncementsBeyond, type Lease } from '../../src/checkpoint/lease.js';
import type { LeaseStore } from '../../src/checkpoint/leaseStore.js';
import { comparePosition, compareSequence } from '../../src/consumer/records.js';
import { LeaseLostError } from '../../src/errors.js';

/** 'renew' stands for every fenced update of a held lease: renewals and checkpoints. */
export type LeaseOp = 'take' | 'renew' | 'release';

const NEVER = new Promise<never>(() => undefined);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class MemoryLeaseTable implements LeaseStore {
  readonly tableName = 'memory';
  readonly leases = new Map<string, Lease>();
  hang: (op: LeaseOp, key: string) => boolean = () => false;
  delayMs: (op: LeaseOp, key: string) => number = () => 0;
  /** Releases as asked for: the lease and whom it was handed to. */
  readonly releases: { key: string; to: string | undefined }[] = [];
  /** Forced cuts announced (prepareCheckpoint), in order. */
  readonly announced: { key: string; sequenceNumber: string }[] = [];
  /** Renewals answer with the lease as it was before any handoff request (one raced the other). */
  renewHidesHandoff = false;

  constructor(...leases: Lease[]) {
    for (const l of leases) this.leases.set(l.leaseKey, l);
  }

  private async before(op: LeaseOp, key: string): Promise<void> {
    if (this.hang(op, key)) await NEVER;
    const ms = this.delayMs(op, key);
    if (ms > 0) await sleep(ms);
  }

  private async fenced(op: LeaseOp, held: Lease, owner: string, change: (current: Lease) => Partial<Lease>): Promise<Lease> {
    await this.before(op, held.leaseKey);
    const current = this.leases.get(held.leaseKey)!;
    if (held.leaseCounter !== current.leaseCounter || current.leaseOwner !== owner) throw new LeaseLostError(held.leaseKey);
    const next = { ...current, ...change(current), leaseCounter: current.leaseCounter + 1 };
    this.leases.set(next.leaseKey, next);
    return { ...next };
  }

  ensureTable = (): Promise<void> => Promise.resolve();
  listLeases = (): Promise<Lease[]> => Promise.resolve([...this.leases.values()].map((l) => ({ ...l })));
  getLease = (key: string): Promise<Lease | undefined> => Promise.resolve(this.leases.get(key));
  createLeaseIfNotExists = (lease: Lease): Promise<boolean> => {
    if (this.leases.has(lease.leaseKey)) return Promise.resolve(false);
    this.leases.set(lease.leaseKey, lease);
    return Promise.resolve(true);
  };
  takeLease = async (observed: Lease, owner: string): Promise<Lease | undefined> => {
    await this.before('take', observed.leaseKey);
    const current = this.leases.get(observed.leaseKey)!;
    if (current.leaseCounter !== observed.leaseCounter) return undefined;
    const next = { ...current, leaseOwner: owner, leaseCounter: current.leaseCounter + 1, handoffTo: undefined };
    this.leases.set(next.leaseKey, next);
    return { ...next };
  };
  renewLease = async (held: Lease, owner: string): Promise<Lease> => {
    const lease = await this.fenced('renew', held, owner, () => ({}));
    return this.renewHidesHandoff ? { ...lease, handoffTo: undefined } : lease;
  };
  prepareCheckpoint = async (held: Lease, owner: string, p: { sequenceNumber: string; subSequenceNumber: number | undefined }): Promise<Lease> => {
    const lease = await this.fenced('renew', held, owner, () => ({ pendingCheckpoint: p.sequenceNumber, pendingCheckpointSubSequenceNumber: p.subSequenceNumber ?? 0 }));
    this.announced.push({ key: held.leaseKey, sequenceNumber: p.sequenceNumber });
    return lease;
  };
  /** Raw files announced (announceRawFile), in order. */
  readonly rawAnnounced: { key: string; lastSequence: string; idleCut: boolean }[] = [];
  announceRawFile = async (held: Lease, owner: string, lastSequence: string, idleCut: boolean): Promise<Lease> => {
    const lease = await this.fenced('renew', held, owner, (current) => ({
      rawWrittenThrough: current.rawWrittenThrough !== undefined && compareSequence(current.rawWrittenThrough, lastSequence) > 0 ? current.rawWrittenThrough : lastSequence,
      ...(idleCut ? { rawIdleCuts: [...new Set([...(current.rawIdleCuts ?? []), lastSequence])].sort(compareSequence) } : {}),
    }));
    this.rawAnnounced.push({ key: held.leaseKey, lastSequence, idleCut });
    return lease;
  };
  checkpoint = (held: Lease, owner: string, checkpoint: string, sub: number): Promise<Lease> =>
    this.fenced('renew', held, owner, (current) => {
      const keepPending =
        current.pendingCheckpoint !== undefined &&
        checkpoint !== 'SHARD_END' &&
        comparePosition({ sequenceNumber: checkpoint, subSequenceNumber: sub }, { sequenceNumber: current.pendingCheckpoint, subSequenceNumber: current.pendingCheckpointSubSequenceNumber }) < 0;
      const raw = rawAnnouncementsBeyond(current, checkpoint);
      return {
        checkpoint,
        checkpointSubSequenceNumber: sub,
        rawWrittenThrough: raw.rawWrittenThrough,
        rawIdleCuts: raw.rawIdleCuts.length > 0 ? raw.rawIdleCuts : undefined,
        ...(keepPending ? {} : { pendingCheckpoint: undefined, pendingCheckpointSubSequenceNumber: undefined }),
      };
    });
  releaseLease = async (held: Lease, owner: string, transferTo?: string): Promise<void> => {
    await this.fenced('release', held, owner, () => ({ leaseOwner: transferTo, handoffTo: undefined }));
    this.releases.push({ key: held.leaseKey, to: transferTo });
  };
  requestHandoff = (observed: Lease, requester: string): Promise<boolean> => {
    const current = this.leases.get(observed.leaseKey)!;
    if (current.leaseOwner !== observed.leaseOwner || current.handoffTo !== undefined) return Promise.resolve(false);
    this.leases.set(current.leaseKey, { ...current, handoffTo: requester });
    return Promise.resolve(true);
  };
  setChildShardIds = (): Promise<void> => Promise.resolve();
  deleteLease = (): Promise<void> => Promise.resolve();

  owner(key: string): string | undefined {
    return this.leases.get(key)?.leaseOwner;
  }

  counter(key: string): number {
    return this.leases.get(key)!.leaseCounter;
  }

  lease(key: string): Lease {
    return this.leases.get(key)!;
  }
}
