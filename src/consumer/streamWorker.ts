/**
 * One worker of the stream: keeps the lease table in step with the shard
 * list, takes and renews leases, runs a ShardConsumer for each lease it
 * holds (children only after all their parents reached SHARD_END), and shuts
 * down in order: stop taking, stop polling, flush, checkpoint, release.
 */
import type { Logger } from '../log.js';
import { errorMessage, LeaseLostError } from '../errors.js';
import { SENTINEL, type Lease } from '../checkpoint/lease.js';
import { staggeredPhaseMs } from './windowPhase.js';
import type { LeaseStore } from '../checkpoint/leaseStore.js';
import { HeldLease } from '../checkpoint/heldLease.js';
import { LeaseObserver } from '../checkpoint/leaseObserver.js';
import { planLeaseTaking } from '../checkpoint/leaseBalancer.js';
import type { KinesisPort, ShardInfo } from './kinesisPort.js';
import { ShardConsumer, type ShardConsumerSettings, type ShardObserver, type ShardOutcome } from './shardConsumer.js';
import type { MemoryBudget } from './memoryBudget.js';
import { BudgetFactor } from './pieceBudget.js';
import type { DeadLetter, PieceProcessor } from './pieceProcessor.js';
import type { LakeWriter } from '../sinks/lakeWriter.js';
import { sleep } from './backoff.js';
import { retryUntilDone } from './retry.js';
import { cutLargestSegments } from './pressureRelief.js';
import { settleAll } from './settleAll.js';

export interface StreamWorkerOptions<D extends DeadLetter> {
  workerId: string;
  kinesis: KinesisPort;
  leases: LeaseStore;
  processor: PieceProcessor<D>;
  writer: LakeWriter<D>;
  budget: MemoryBudget;
  settings: ShardConsumerSettings;
  failoverMs: number;
  /** How often the lease table is scanned to take, balance and notice released leases. */
  takeIntervalMs: number;
  shardSyncIntervalMs: number;
  /** New leases get a staggered window phase (windowPhase.ts); a consumer always cuts on its lease's phase. */
  staggerFlushWindows: boolean;
  /** Most leases stolen from other workers in one cycle. */
  maxStealsPerCycle?: number;
  logger: Logger;
  observer?: ShardObserver & WorkerObserver;
  /** Wall clock for the consumers; default Date.now. */
  now?: () => number;
  /** Monotonic clock (ms) for lease timing; default performance.now. */
  elapsed?: () => number;
}

export interface WorkerObserver {
  onLeaseEvent?(event: 'taken' | 'lost' | 'stolen' | 'released' | 'renewed', shardId: string): void;
  onLeasesHeld?(count: number): void;
  onUnownedShards?(count: number): void;
}

interface Running<D extends DeadLetter> {
  held: HeldLease;
  consumer: ShardConsumer<D> | undefined;
  done: Promise<void> | undefined;
  /** When the last successful renewal (or the take) was sent: the fence counts from there. */
  lastRenewedMs: number;
  /** When the last renewal was started, and the renewal in flight, if any (one at a time per lease). */
  renewStartedMs: number;
  renewing: Promise<void> | undefined;
  handingOff: boolean;
  /** The worker the lease is being handed to, as the request was seen (the held copy may not show it yet). */
  handOffTo: string | undefined;
}

export class StreamWorker<D extends DeadLetter = DeadLetter> {
  private readonly running = new Map<string, Running<D>>();
  private readonly observer: LeaseObserver;
  private readonly log: Logger;
  /** Wall-clock time, for the consumers (windows of arrival time). */
  private readonly now: () => number;
  /** Monotonic time, for every lease timing (expiry, renewal, fence): a clock step must not move a fence. */
  private readonly elapsed: () => number;
  private readonly stopAbort = new AbortController();
  private shards = new Map<string, ShardInfo>();
  private lastShardSync = 0;
  private loops: Promise<void>[] = [];
  private closing: Promise<void> | undefined;
  private wakeTake: (() => void) | undefined;
  /** Handoffs this worker asked for: shard id -> (owner asked, when). */
  private readonly pendingSteals = new Map<string, { owner: string; sinceMs: number }>();
  /** Last error per shard, for `status` and logs. */
  readonly lastErrors = new Map<string, string>();

  constructor(private readonly options: StreamWorkerOptions<D>) {
    this.now = options.now ?? Date.now;
    this.elapsed = options.elapsed ?? (() => performance.now());
    this.observer = new LeaseObserver(options.failoverMs, this.elapsed);
    this.log = options.logger;
    this.budgetFactor = new BudgetFactor(options.settings.budgetBytesPerPayloadByte);
  }

  /** One for all shards: what one shard's outputs measured counts at once for every shard's next reads. */
  private readonly budgetFactor: BudgetFactor;

  get workerId(): string {
    return this.options.workerId;
  }

  /** Shard ids whose leases this worker holds now. */
  heldShardIds(): string[] {
    return [...this.running.keys()];
  }

  consumers(): ShardConsumer<D>[] {
    return [...this.running.values()].flatMap((r) => (r.consumer ? [r.consumer] : []));
  }

  /** Started (the first lease cycle done) and not shutting down. */
  get isLeasing(): boolean {
    return this.started && !this.stopAbort.signal.aborted;
  }

  private started = false;

  /** Polling paused on the memory budget: cut the largest open segments early (see pressureRelief.ts). */
  relievePressure(): void {
    for (const { shardId, bytes } of cutLargestSegments(this.consumers(), this.options.budget.excessBytes)) {
      this.log.info({ shardId, bytes }, 'memory budget full: cutting the open segment early');
    }
  }

  async start(): Promise<void> {
    this.options.budget.onPressure(() => {
      // Runs as a microtask of its own: a throw here must cost a round of cuts, not the process.
      try {
        this.relievePressure();
      } catch (err) {
        this.log.error({ err: errorMessage(err) }, 'cutting segments for memory pressure failed');
      }
    });
    const onRetry = (err: unknown, attempt: number): void => this.log.warn({ err: errorMessage(err), attempt }, 'first lease cycle failed; retrying');
    let table = await retryUntilDone(() => this.syncShards(), { onRetry });
    // Renewing (and fencing) from the first lease taken: the first take cycle may retry a while after it.
    this.loops = [this.renewLoop()];
    await retryUntilDone(
      () => {
        // The table as the sync just left it saves the first cycle a scan; a retry scans afresh.
        const seen = table;
        table = undefined;
        return this.takeCycle(seen);
      },
      { onRetry },
    );
    this.loops.push(this.takeLoop());
    this.started = true;
  }

  /** Ordered, idempotent shutdown: one cached promise. */
  close(timeoutMs: number): Promise<void> {
    this.closing ??= this.closeOnce(timeoutMs);
    return this.closing;
  }

  private async closeOnce(timeoutMs: number): Promise<void> {
    const deadline = this.elapsed() + timeoutMs;
    // 1. stop taking leases
    this.stopAbort.abort();
    this.wakeTake?.();
    // 2-4. stop polling, flush the open files, checkpoint (each consumer does this in order)
    const entries = [...this.running.values()];
    for (const r of entries) r.consumer?.requestStop();
    const all = Promise.all(entries.map((r) => r.done ?? Promise.resolve()));
    const timedOut = await Promise.race([all.then(() => false), sleep(Math.max(0, deadline - this.elapsed() - 500)).then(() => true)]);
    if (timedOut) {
      this.log.error({ timeoutMs }, 'shutdown timeout: abandoning unfinished shards without checkpoint');
      for (const r of entries) r.consumer?.abort();
      await Promise.race([all, sleep(300)]);
    }
    // 5. release the leases still held, so other workers take them at once; within the deadline, as a
    // release queues behind any lease write in flight, and a lease not released simply expires.
    const released = Promise.all(
      [...this.running.values()].map(async (r) => {
        await this.release(r);
      }),
    );
    await Promise.race([released, sleep(Math.max(0, deadline - this.elapsed()))]);
    await Promise.race([Promise.all(this.loops), sleep(1000)]);
  }

  private async release(r: Running<D>, transferTo?: string): Promise<void> {
    const shardId = r.held.shardId;
    this.running.delete(shardId);
    if (r.held.lost || r.held.isReleased) return;
    try {
      await r.held.release(transferTo);
      this.options.observer?.onLeaseEvent?.('released', shardId);
      this.log.info({ shardId }, 'lease released');
    } catch (err) {
      if (!(err instanceof LeaseLostError)) {
        this.log.warn({ shardId, err: errorMessage(err) }, 'lease release failed');
        // Not ours any more (it expires, the release having not got through): its series go, as on a loss.
        this.options.observer?.onLeaseEvent?.('lost', shardId);
      }
    }
    this.options.observer?.onLeasesHeld?.(this.running.size);
  }

  /**
   * Renews each lease every third of the failover time, each on its own (a
   * DynamoDB call that hangs for one lease delays no other), and checks the
   * fence twice as often, whatever is in flight: a worker that has not had a
   * renewal through for nearly a failover period (frozen, partitioned, a call
   * hung) drops the lease before another worker may take it. Counted from
   * when the last successful renewal was sent, since the others' clocks
   * start no earlier than its write.
   */
  private renewIntervalMs(): number {
    return Math.max(100, Math.floor(this.options.failoverMs / 3));
  }

  private async renewLoop(): Promise<void> {
    const interval = this.renewIntervalMs();
    const tick = Math.max(50, Math.floor(interval / 2));
    const fenceMs = this.options.failoverMs - tick;
    while (!this.stopAbort.signal.aborted || this.running.size > 0) {
      await sleep(tick, this.closing ? undefined : this.stopAbort.signal);
      if (this.stopAbort.signal.aborted && this.running.size === 0) break;
      const now = this.elapsed();
      for (const r of this.running.values()) {
        if (r.held.lost || r.held.isReleased) continue;
        if (now - r.lastRenewedMs >= fenceMs) {
          this.log.warn({ shardId: r.held.shardId }, 'lease not renewed within failover time; dropping it');
          r.held.markLost('renewal overdue');
          continue;
        }
        // Half a tick early is on time: timers fire a little early or late, and a renewal due on this tick
        // must not slip to the next (a third later), or one failed renewal would already reach the fence.
        if (r.renewing === undefined && now - r.renewStartedMs >= interval - tick / 2) {
          r.renewing = this.renew(r).finally(() => {
            r.renewing = undefined;
          });
        }
      }
      if (this.options.budget.isPaused) this.relievePressure();
      if (this.closing && this.running.size === 0) break;
    }
  }

  private async renew(r: Running<D>): Promise<void> {
    const sentMs = this.elapsed();
    r.renewStartedMs = sentMs;
    try {
      const lease = await r.held.renew();
      r.lastRenewedMs = Math.max(r.lastRenewedMs, sentMs);
      this.maybeHandOff(r, lease);
    } catch (err) {
      if (err instanceof LeaseLostError) {
        this.log.warn({ shardId: r.held.shardId }, 'lease lost on renewal');
      } else {
        this.log.warn({ shardId: r.held.shardId, err: errorMessage(err) }, 'lease renewal failed; will retry');
        // Again on the next tick, not a whole interval later: the fence leaves room for about one miss.
        r.renewStartedMs = sentMs - this.renewIntervalMs();
      }
    }
  }

  /** Another worker asked for this lease to balance load: finish and checkpoint, then let go. */
  private maybeHandOff(r: Running<D>, lease: Lease): void {
    if (!lease.handoffTo || lease.handoffTo === this.options.workerId || r.handingOff || !r.consumer) return;
    if (lease.leaseOwner !== this.options.workerId) return;
    r.handingOff = true;
    r.handOffTo = lease.handoffTo;
    this.log.info({ shardId: r.held.shardId, to: lease.handoffTo }, 'handing lease over');
    r.consumer.requestStop();
  }

  private async takeLoop(): Promise<void> {
    const interval = Math.max(100, Math.min(this.options.takeIntervalMs, Math.floor(this.options.failoverMs / 3)));
    while (!this.stopAbort.signal.aborted) {
      await new Promise<void>((resolve) => {
        this.wakeTake = resolve;
        void sleep(interval, this.stopAbort.signal).then(resolve);
      });
      this.wakeTake = undefined;
      if (this.stopAbort.signal.aborted) break;
      try {
        const table = this.elapsed() - this.lastShardSync >= this.options.shardSyncIntervalMs ? await this.syncShards() : undefined;
        await this.takeCycle(table);
      } catch (err) {
        this.log.warn({ err: errorMessage(err) }, 'lease cycle failed; will retry');
      }
    }
  }

  /**
   * Creates leases for shards the table does not know yet. Returns the
   * table as it then stands (the scan plus the leases created), or
   * undefined when another worker created one of them first.
   */
  async syncShards(): Promise<Lease[] | undefined> {
    const shards = await this.options.kinesis.listShards(this.options.settings.streamName);
    this.shards = new Map(shards.map((s) => [s.shardId, s]));
    this.lastShardSync = this.elapsed();
    const scanned = await this.options.leases.listLeases();
    const existing = new Set(scanned.map((l) => l.leaseKey));
    const table = [...scanned];
    let raced = false;
    const initial = this.options.settings.initialPosition;
    const known = new Set(shards.map((s) => s.shardId));
    const creates: Array<() => Promise<void>> = [];
    for (const shard of shards) {
      if (existing.has(shard.shardId)) continue;
      const parents = [shard.parentShardId, shard.adjacentParentShardId].filter((p): p is string => p !== undefined);
      const hasLiveParent = parents.some((p) => known.has(p));
      // With LATEST or AT_TIMESTAMP only the open shards are read; a child of a
      // shard we read always starts at its beginning.
      if (initial !== 'TRIM_HORIZON' && shard.endingSequenceNumber !== undefined) continue;
      const checkpoint = hasLiveParent ? SENTINEL.TRIM_HORIZON : SENTINEL[initial];
      const lease: Lease = {
        leaseKey: shard.shardId,
        leaseOwner: undefined,
        leaseCounter: 0,
        checkpoint,
        checkpointSubSequenceNumber: 0,
        pendingCheckpoint: undefined,
        pendingCheckpointSubSequenceNumber: undefined,
        ownerSwitchesSinceCheckpoint: 0,
        parentShardIds: parents,
        childShardIds: [],
        startingHashKey: shard.startingHashKey,
        endingHashKey: shard.endingHashKey,
        handoffTo: undefined,
        checkpointTimeMs: undefined,
        flushWindowPhaseMs: this.options.staggerFlushWindows ? staggeredPhaseMs(shard.shardId, this.options.settings.cutRules.intervalMs) : 0,
      };
      creates.push(async () => {
        if (await this.options.leases.createLeaseIfNotExists(lease)) {
          table.push({ ...lease });
          this.log.info({ shardId: shard.shardId, checkpoint, parents }, 'lease created');
        } else raced = true;
      });
    }
    // Each create is conditional on the key alone, so they need no order: one round trip for all, not one per shard.
    await settleAll(creates);
    return raced ? undefined : table;
  }

  /** One cycle: observe the table (`seen`: a scan just made), take expired leases (and steal toward balance), start consumers. */
  async takeCycle(seen?: Lease[]): Promise<void> {
    const leases = seen ?? (await this.options.leases.listLeases());
    const observed = this.observer.observe(leases);
    const byKey = new Map(leases.map((l) => [l.leaseKey, l]));
    const unowned = observed.filter((o) => o.lease.checkpoint !== SENTINEL.SHARD_END && o.expired).length;
    this.options.observer?.onUnownedShards?.(unowned);
    this.log.debug({ leases: leases.map((l) => `${l.leaseKey.slice(-3)}:${l.leaseOwner ?? '-'}:${l.leaseCounter}`), held: [...this.running.keys()].map((k) => k.slice(-3)) }, 'lease cycle');
    const adoptions: Array<() => Promise<void>> = [];
    for (const lease of leases) {
      const r = this.running.get(lease.leaseKey);
      // Handoff requests for leases we hold show up in the scan before the next renewal does.
      if (r) this.maybeHandOff(r, lease);
      // A lease handed straight to us (or ours from before a restart with the same id): adopt it.
      else if (lease.leaseOwner === this.options.workerId && lease.checkpoint !== SENTINEL.SHARD_END && !this.stopAbort.signal.aborted && this.parentsEnded(lease, byKey)) {
        adoptions.push(() => this.take(lease));
      }
    }
    await settleAll(adoptions);
    // Forget handoff requests that are settled (taken by us, or the owner changed).
    for (const [key, req] of this.pendingSteals) {
      const lease = byKey.get(key);
      if (!lease || this.running.has(key) || lease.leaseOwner !== req.owner) this.pendingSteals.delete(key);
    }
    const plan = planLeaseTaking({
      workerId: this.options.workerId,
      observed,
      held: new Set([...this.running.keys(), ...this.pendingSteals.keys()]),
      maxSteals: this.options.maxStealsPerCycle ?? 1,
      isReady: (lease) => this.parentsEnded(lease, byKey),
    });
    const expiredKeys = new Set(observed.filter((o) => o.expired).map((o) => o.lease.leaseKey));
    const takes: Array<() => Promise<void>> = [];
    for (const lease of plan.take) {
      if (this.stopAbort.signal.aborted) break;
      const owner = lease.leaseOwner;
      if (owner !== undefined && owner !== this.options.workerId && !expiredKeys.has(lease.leaseKey)) {
        // A live owner: ask it to hand over gracefully rather than take the lease from under it.
        takes.push(async () => {
          if (await this.options.leases.requestHandoff(lease, this.options.workerId)) {
            this.pendingSteals.set(lease.leaseKey, { owner, sinceMs: this.elapsed() });
            this.log.info({ shardId: lease.leaseKey, owner }, 'asked for lease handoff');
          }
        });
        continue;
      }
      takes.push(() => this.take(lease));
    }
    // Each write is conditional on its own lease's counter, so they go out together: a worker starting on a
    // stream of many shards reads them all after one round trip, not one per shard.
    await settleAll(takes);
    // An owner that ignores a handoff request for two failover periods loses the lease the hard way.
    for (const [key, req] of this.pendingSteals) {
      const lease = byKey.get(key);
      if (this.stopAbort.signal.aborted) break;
      if (lease && lease.leaseOwner === req.owner && this.elapsed() - req.sinceMs >= 2 * this.options.failoverMs) {
        this.pendingSteals.delete(key);
        await this.take(lease);
      }
    }
    this.options.observer?.onLeasesHeld?.(this.running.size);
  }

  private async take(lease: Lease): Promise<void> {
    const sentMs = this.elapsed();
    const taken = await this.options.leases.takeLease(lease, this.options.workerId);
    if (!taken) return;
    if (this.stopAbort.signal.aborted) {
      // Shutdown began while the take was on its way: give the lease straight back instead of reading the shard.
      await this.options.leases.releaseLease(taken, this.options.workerId).catch(() => undefined);
      return;
    }
    const stolen = lease.leaseOwner !== undefined && lease.leaseOwner !== this.options.workerId;
    this.options.observer?.onLeaseEvent?.(stolen ? 'stolen' : 'taken', lease.leaseKey);
    this.log.info({ shardId: lease.leaseKey, from: lease.leaseOwner, checkpoint: lease.checkpoint }, stolen ? 'lease stolen' : 'lease taken');
    this.adopt(taken, sentMs);
  }

  /** A child is read only after every parent was read to its end. */
  private parentsEnded(lease: Lease, byKey: Map<string, Lease>): boolean {
    return lease.parentShardIds.every((p) => {
      const parent = byKey.get(p);
      if (parent) return parent.checkpoint === SENTINEL.SHARD_END;
      // A parent without a lease has aged out of the stream, or was skipped on purpose
      // (LATEST/AT_TIMESTAMP read open shards only).
      return !this.shards.has(p) || this.options.settings.initialPosition !== 'TRIM_HORIZON';
    });
  }

  /** `takenMs`: when the take was sent (the fence counts from there). */
  private adopt(lease: Lease, takenMs: number): void {
    const held = new HeldLease(this.options.leases, this.options.workerId, lease);
    const r: Running<D> = { held, consumer: undefined, done: undefined, lastRenewedMs: takenMs, renewStartedMs: takenMs, renewing: undefined, handingOff: false, handOffTo: undefined };
    this.running.set(lease.leaseKey, r);
    held.onLost(() => {
      this.options.observer?.onLeaseEvent?.('lost', lease.leaseKey);
    });
    const shard = this.shards.get(lease.leaseKey) ?? {
      shardId: lease.leaseKey,
      parentShardId: lease.parentShardIds[0],
      adjacentParentShardId: lease.parentShardIds[1],
      startingHashKey: lease.startingHashKey ?? '0',
      endingHashKey: lease.endingHashKey ?? '340282366920938463463374607431768211455',
      endingSequenceNumber: undefined,
    };
    const consumer = new ShardConsumer<D>({
      shard,
      lease: held,
      kinesis: this.options.kinesis,
      processor: this.options.processor,
      writer: this.options.writer,
      budget: this.options.budget,
      budgetFactor: this.budgetFactor,
      settings: this.options.settings,
      logger: this.log,
      observer: this.options.observer,
      now: this.now,
    });
    r.consumer = consumer;
    r.done = consumer.run().then(
      (outcome) => this.onConsumerDone(r, outcome),
      (err: unknown) => {
        this.log.error({ shardId: lease.leaseKey, err: errorMessage(err) }, 'shard consumer crashed');
      },
    );
  }

  private async onConsumerDone(r: Running<D>, outcome: ShardOutcome): Promise<void> {
    const shardId = r.held.shardId;
    switch (outcome.reason) {
      case 'SHARD_END':
        if (outcome.childShardIds.length > 0) await this.options.leases.setChildShardIds(shardId, outcome.childShardIds).catch(() => undefined);
        await this.release(r);
        // New children become readable now: look for them at once.
        if (!this.stopAbort.signal.aborted) {
          this.lastShardSync = 0;
          this.wakeTake?.();
        }
        break;
      case 'LEASE_LOST':
        this.running.delete(shardId);
        this.options.observer?.onLeasesHeld?.(this.running.size);
        break;
      case 'FAILED':
        this.lastErrors.set(shardId, 'shard consumer failed; lease released for retry');
        await this.release(r);
        break;
      case 'REQUESTED':
        // A handoff: released now so the requester takes it on its next cycle. (close() releases its own.)
        if (!this.closing) {
          // As seen by the scan or renewal that started the handoff: a release to nobody would leave the
          // lease unowned, and the requester, owning nothing, would not count as a live worker.
          const to = r.handingOff ? r.handOffTo : undefined;
          await this.release(r, to);
          this.log.info({ shardId, to }, 'lease handed over');
        }
        break;
    }
  }
}
