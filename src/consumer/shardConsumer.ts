/**
 * Reads one shard and lands it in the lake (see shardStates.ts for the
 * lifecycle). Two loops run side by side:
 *  - the poller: GetRecords, paced within the shard's limits, cut into
 *    pieces by the FileCutter and handed to the processor at once;
 *  - the committer: takes sealed files in order, makes each durable
 *    (LakeWriter) and only then checkpoints its last record, fenced by the
 *    lease. "Processed" (delivered to the pipeline) and "committed"
 *    (checkpointed) are separate positions.
 */
import type { Logger } from '../log.js';
import { LeaseLostError, errorMessage, errorName, isRetriable, isThrottle } from '../errors.js';
import type { HeldLease } from '../checkpoint/heldLease.js';
import { SENTINEL, isSentinel, pendingPosition, rawAnnouncementsBeyond, windowPhaseOf } from '../checkpoint/lease.js';
import { compareSequence, type ShardPosition, type StreamRecord } from './records.js';
import type { IteratorStart, KinesisPort, ShardInfo } from './kinesisPort.js';
import type { CutRules } from './fileCutter.js';
import { SegmentCutter, type SegmentPiece } from './segmentCutter.js';
import { ReadPacer } from './readPacer.js';
import { backoffMs, sleep } from './backoff.js';
import type { MemoryBudget } from './memoryBudget.js';
import type { DeadLetter, PieceOutput, PieceProcessor } from './pieceProcessor.js';
import { RecordSizeEstimate } from './recordSizeEstimate.js';
import { BudgetFactor, OpenFileBudget, outputBytes, outputExcess, segmentShare, type FileRelease, type PieceCount } from './pieceBudget.js';
import type { LakeWriter, SealedFile, SealedSegment, WrittenFile } from '../sinks/lakeWriter.js';
import { canTransition, strongerReason, type ShardState, type ShutdownReason } from './shardStates.js';

/**
 * Most idle raw-file cuts one segment makes (each is listed in the lease
 * until the segment's checkpoint, 57 bytes apiece; DynamoDB items hold
 * 400 KB). Reached only by a trickle of records under segments hundreds of
 * raw windows long; the segment then ends at the next idle close.
 */
export const MAX_IDLE_CUTS_PER_SEGMENT = 400;

/** Payload a call asks for, at least, while the shard reads to an inherited cut whatever the budget's room. */
export const INHERITED_READ_BYTES_PER_CALL = 1024 * 1024;

export interface ShardConsumerSettings {
  streamName: string;
  /** Raw-file cuts. */
  cutRules: CutRules;
  /** Segment cuts (the cleansed zone's coarser rules); checkpoints sit only at segment ends. */
  segmentRules: CutRules;
  idleWaitMs: number;
  idleCloseGraceMs: number;
  maxRecordsPerCall: number;
  initialPosition: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  initialTimestampMs: number | undefined;
  /** Budget bytes charged per payload byte read (raw line, compressed copy, cleansed columns). */
  budgetBytesPerPayloadByte: number;
  /** Default MAX_IDLE_CUTS_PER_SEGMENT (tests lower it). */
  maxIdleCutsPerSegment?: number;
}

/** Hooks for metrics; every one is optional. */
export interface ShardObserver {
  onRecordsRead?(shardId: string, records: number, bytes: number, millisBehindLatest: number | undefined): void;
  onGetRecordsError?(shardId: string, throttled: boolean): void;
  onFileWritten?(shardId: string, file: WrittenFile, durationMs: number): void;
  onCheckpoint?(shardId: string, position: string): void;
  onStateChange?(shardId: string, from: ShardState, to: ShardState): void;
  onPieceProcessed?(shardId: string, output: PieceOutput): void;
}

export interface ShardConsumerDeps<D extends DeadLetter> {
  shard: ShardInfo;
  lease: HeldLease;
  kinesis: KinesisPort;
  processor: PieceProcessor<D>;
  writer: LakeWriter<D>;
  budget: MemoryBudget;
  /**
   * Budget bytes per payload byte (pieceBudget.ts), shared by the shards a
   * worker reads: 32 shards starting together each read for seconds before
   * their own first piece came back from the pool, all counted at the
   * configured factor, and the budget ended 30 % over its limit. Defaults
   * to one of this consumer's own.
   */
  budgetFactor?: BudgetFactor;
  settings: ShardConsumerSettings;
  logger: Logger;
  observer?: ShardObserver;
  now?: () => number;
}

interface OpenSegment {
  segment: SealedSegment;
  /** Budget bytes this segment's pieces hold: all of them until their raw file is durable, then the segment's share. */
  budgetBytes: number;
}

/**
 * One item of the commit queue: a raw file, and the segment it ends, if it
 * ends one (a segment can also end after its last raw file was already
 * written, when its window closes on an idle shard).
 */
interface Sealed<D extends DeadLetter> {
  file: SealedFile<D> | undefined;
  /** Released from `owner` (the file's segment) once the file is durable (pieceBudget.ts). */
  fileRelease: FileRelease<OpenSegment> | undefined;
  segment: OpenSegment | undefined;
  /** For a forced cut: resolves once the cut is recorded in the lease; nothing of it is written before. */
  announced?: Promise<unknown>;
  /**
   * This consumer closed the raw file because its window passed on an idle
   * shard (a cut the records do not explain): announce it as an idle cut.
   * One repeated from the lease is already listed there (file.idleCut alone).
   */
  idleCut?: boolean;
}

export interface ShardOutcome {
  reason: ShutdownReason;
  /** Child shard ids reported by GetRecords at the shard's end (real Kinesis only). */
  childShardIds: string[];
}

export class ShardConsumer<D extends DeadLetter = DeadLetter> {
  private stateValue: ShardState = 'INITIALIZING';
  private reason: ShutdownReason | undefined;
  private readonly cutter: SegmentCutter;
  /** From the lease, fixed for the shard's life: part of the cut rule. */
  private readonly windowPhaseMs: number;
  private readonly pacer: ReadPacer;
  private readonly pollAbort = new AbortController();
  private readonly writeAbort = new AbortController();
  private readonly log: Logger;
  private readonly now: () => number;
  private open: SealedFile<D> | undefined;
  private segment: OpenSegment | undefined;
  private readonly openFileBudget = new OpenFileBudget();
  private readonly sealed: Sealed<D>[] = [];
  private committerWake: (() => void) | undefined;
  private committerDone: Promise<void> | undefined;
  private lastDelivered: string | undefined;
  private childShardIds: string[] = [];
  private committerError: unknown;
  private running: Promise<ShardOutcome> | undefined;
  millisBehindLatest: number | undefined;
  lastCheckpoint: string | undefined;

  constructor(private readonly deps: ShardConsumerDeps<D>) {
    // The phase is the lease's, never the config's: it is part of the cut rule every later owner and replay repeats.
    const phaseMs = (this.windowPhaseMs = windowPhaseOf(deps.lease.lease));
    this.cutter = new SegmentCutter({ ...deps.settings.segmentRules, phaseMs }, { ...deps.settings.cutRules, phaseMs });
    this.now = deps.now ?? Date.now;
    this.pacer = new ReadPacer(deps.settings.idleWaitMs, this.now);
    this.budgetFactor = deps.budgetFactor ?? new BudgetFactor(deps.settings.budgetBytesPerPayloadByte);
    this.log = deps.logger.child({ shardId: deps.shard.shardId });
    deps.lease.onLost(() => {
      this.reason = strongerReason(this.reason, 'LEASE_LOST');
      this.pollAbort.abort();
      this.writeAbort.abort();
      this.committerWake?.();
    });
  }

  get shardId(): string {
    return this.deps.shard.shardId;
  }

  /** Sequence number of the last record handed to the pipeline ("processed", not yet "committed"). */
  get lastDeliveredSequence(): string | undefined {
    return this.lastDelivered;
  }

  get state(): ShardState {
    return this.stateValue;
  }

  private transition(to: ShardState): void {
    const from = this.stateValue;
    if (from === to) return;
    if (!canTransition(from, to)) {
      this.log.error({ from, to }, 'illegal shard state transition');
      throw new Error(`illegal shard state transition ${from} -> ${to}`);
    }
    this.stateValue = to;
    this.deps.observer?.onStateChange?.(this.shardId, from, to);
    this.log.debug({ from, to }, 'shard state');
  }

  /** Runs the shard until it ends, its lease is lost, or a stop is requested. Idempotent. */
  run(): Promise<ShardOutcome> {
    this.running ??= this.runOnce();
    return this.running;
  }

  /**
   * Graceful stop (shutdown or handoff): stop polling, cut the open file
   * (announced in the lease first), write it, checkpoint. `run()` resolves
   * when that is done.
   */
  requestStop(): void {
    this.reason = strongerReason(this.reason, 'REQUESTED');
    this.pollAbort.abort();
  }

  /** Hard stop (shutdown timeout): abandon retries; nothing more is checkpointed. */
  abort(): void {
    this.reason = strongerReason(this.reason, 'FAILED');
    this.pollAbort.abort();
    this.writeAbort.abort();
    this.committerWake?.();
  }

  private async runOnce(): Promise<ShardOutcome> {
    this.committerDone = this.commitLoop();
    try {
      const start = this.startPosition();
      if (start === 'SHARD_END') {
        this.transition('SHARD_ENDED');
        this.reason = 'SHARD_END';
      } else {
        this.deps.budget.startReading(this.shardId);
        let ended: boolean;
        try {
          ended = await this.poll(start);
        } finally {
          this.deps.budget.stopReading(this.shardId);
        }
        if (ended && this.reason === undefined) {
          this.transition('DRAINING');
          this.cutter.closeOpenSegment();
          this.sealSegment(false);
          await this.drain();
          if (this.lostOrFailed()) throw this.committerError ?? new LeaseLostError(this.shardId);
          await this.deps.lease.checkpointShardEnd();
          this.deps.observer?.onCheckpoint?.(this.shardId, SENTINEL.SHARD_END);
          this.lastCheckpoint = SENTINEL.SHARD_END;
          this.log.info({ children: this.childShardIds }, 'shard ended; SHARD_END checkpointed');
          this.reason = 'SHARD_END';
          this.transition('SHARD_ENDED');
        } else if (!this.lostOrFailed()) {
          this.transition('SHUTTING_DOWN');
          await this.forceCutOpenFile();
          await this.drain();
        }
      }
    } catch (err) {
      if (err instanceof LeaseLostError || this.deps.lease.lost) {
        this.reason = strongerReason(this.reason, 'LEASE_LOST');
      } else {
        this.reason = strongerReason(this.reason, 'FAILED');
        this.log.error({ err: errorMessage(err), errName: errorName(err) }, 'shard consumer failed');
      }
    }
    if (this.lostOrFailed()) {
      this.writeAbort.abort();
      this.committerWake?.();
      if (this.reason === 'LEASE_LOST') {
        if (this.stateValue !== 'LEASE_LOST') this.transition('LEASE_LOST');
        this.log.warn('lease lost: stopped without further writes');
      } else if (this.stateValue !== 'FAILED') this.transition('FAILED');
    }
    this.closing = true;
    this.committerWake?.();
    await this.committerDone.catch(() => undefined);
    this.releaseAllBudget();
    this.transition('SHUT_DOWN');
    return { reason: this.reason ?? 'REQUESTED', childShardIds: this.childShardIds };
  }

  private lostOrFailed(): boolean {
    return this.reason === 'LEASE_LOST' || this.reason === 'FAILED' || this.deps.lease.lost;
  }

  private startPosition(): IteratorStart | 'SHARD_END' {
    const lease = this.deps.lease.lease;
    const pending = pendingPosition(lease);
    if (pending && lease.checkpoint !== SENTINEL.SHARD_END && (isSentinel(lease.checkpoint) || compareSequence(pending.sequenceNumber, lease.checkpoint) > 0)) {
      // An earlier owner announced a forced cut and may have written its file: repeat the cut.
      this.cutter.forceCutAfter(pending.sequenceNumber);
      this.inheritedCut = pending.sequenceNumber;
      this.inheritedCutUnsettled = pending.sequenceNumber;
      this.log.info({ pending: pending.sequenceNumber }, 'honouring pending checkpoint cut');
    }
    // Raw files an earlier owner announced beyond the checkpoint may be in the lake: repeat their idle cuts,
    // and cut nothing early short of the last of them, or a forced cut would end a file inside one of its files.
    const raw = rawAnnouncementsBeyond(lease, lease.checkpoint);
    for (const cut of raw.rawIdleCuts) this.cutter.forceFileCutAfter(cut);
    const through = raw.rawWrittenThrough;
    if (through !== undefined && (this.inheritedCut === undefined || compareSequence(through, this.inheritedCut) > 0)) this.inheritedCut = through;
    if (through !== undefined) this.log.info({ rawWrittenThrough: through, rawIdleCuts: raw.rawIdleCuts.length }, 'honouring raw files announced beyond the checkpoint');
    switch (lease.checkpoint) {
      case SENTINEL.SHARD_END:
        return 'SHARD_END';
      case SENTINEL.TRIM_HORIZON:
        return { type: 'TRIM_HORIZON' };
      case SENTINEL.LATEST:
        return { type: 'LATEST' };
      case SENTINEL.AT_TIMESTAMP:
        return { type: 'AT_TIMESTAMP', timestampMs: this.deps.settings.initialTimestampMs ?? 0 };
      default:
        return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: lease.checkpoint };
    }
  }

  /** Polls until the shard ends (true) or polling is stopped (false). */
  private async poll(start: IteratorStart): Promise<boolean> {
    const { kinesis, budget } = this.deps;
    const signal = this.pollAbort.signal;
    let iterator = await this.getIterator(start, signal);
    if (iterator === undefined) return false;
    this.transition('PROCESSING');
    let attempt = 0;
    while (!signal.aborted) {
      // Short of an inherited cut the open segment cannot be cut early (forceCut), so only reaching the cut
      // frees its bytes: a pause there could last for ever. The earlier owner held those records in its budget.
      if (this.inheritedCut === undefined) await budget.waitForRoom(signal, this.shardId);
      await sleep(this.pacer.delayMs(), signal);
      if (signal.aborted) break;
      const startedAt = this.now();
      let result;
      // Reserve what the response may hold, so shards reading at once do not all count the same room.
      const limit = this.callLimit();
      const reservation = Math.ceil(this.recordSize.responseBytes(limit) * this.budgetFactor.bytesPerPayloadByte);
      const sizeWasKnown = this.recordSize.known;
      budget.reserve(reservation, this.shardId);
      try {
        result = await kinesis.getRecords(this.shardId, iterator, limit);
        attempt = 0;
      } catch (err) {
        budget.unreserve(reservation, this.shardId);
        if (signal.aborted) break;
        if ((err as { name?: string }).name === 'ExpiredIteratorException') {
          this.log.info('iterator expired; resuming after the last record delivered');
          const resume: IteratorStart = this.lastDelivered ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.lastDelivered } : start;
          const fresh = await this.getIterator(resume, signal);
          if (fresh === undefined) break;
          iterator = fresh;
          continue;
        }
        if (!isRetriable(err)) throw err;
        const throttled = isThrottle(err);
        this.deps.observer?.onGetRecordsError?.(this.shardId, throttled);
        this.pacer.penalize(Math.max(throttled ? 1000 : 0, backoffMs(attempt++, 200, 10_000)));
        this.log.warn({ err: errorMessage(err), errName: errorName(err), attempt }, 'GetRecords failed; backing off');
        continue;
      }
      budget.unreserve(reservation, this.shardId);
      // A response that arrives after the lease went (or a stop) is dropped: the next owner reads it again,
      // and this shard's metrics, already forgotten, must not come back.
      if (signal.aborted) break;
      // The first call of a shard asks for few records, sized for the largest; the next may follow at once.
      this.pacer.onResponse(startedAt, result.bytes, result.records.length, !sizeWasKnown);
      this.recordSize.observe(result.bytes, result.records.length);
      this.millisBehindLatest = result.millisBehindLatest;
      // An empty page while behind (a gap in the shard) is not the tip: records follow.
      budget.readerCaughtUp(this.shardId, result.records.length === 0 && (result.millisBehindLatest ?? 0) === 0);
      this.deps.observer?.onRecordsRead?.(this.shardId, result.records.length, result.bytes, result.millisBehindLatest);
      if (result.records.length > 0) {
        this.lastDelivered = result.records[result.records.length - 1]!.sequenceNumber;
        this.accept(result.records);
      }
      if (result.nextIterator === undefined) {
        this.childShardIds = result.childShardIds;
        return true;
      }
      iterator = result.nextIterator;
      // kinesalite always reports MillisBehindLatest 0, so "caught up" also needs an empty response.
      if (result.records.length === 0 && (result.millisBehindLatest ?? 0) === 0) this.closeIdleWindow(startedAt);
    }
    return false;
  }

  private readonly recordSize = new RecordSizeEstimate();
  /** Budget bytes counted per payload byte read: the configured factor, or what the outputs measured (deps.budgetFactor). */
  private readonly budgetFactor: BudgetFactor;

  /**
   * Records to ask for: the configured limit, or less when the memory budget
   * is close to full, so that one response cannot overshoot the budget by a
   * whole 10 MB batch per shard.
   */
  private callLimit(): number {
    const { budget, settings } = this.deps;
    const perRecord = Math.max(1, this.recordSize.bytes * this.budgetFactor.bytesPerPayloadByte);
    let fit = Math.floor(budget.readRoomBytes(this.shardId) / perRecord);
    // Short of an inherited cut the shard reads on with the budget full (poll): a MiB of payload a call gets
    // it there at 5 MB/s, where a full 10,000-record call could overshoot the budget by a 10 MiB response.
    if (this.inheritedCut !== undefined) fit = Math.max(fit, Math.floor(INHERITED_READ_BYTES_PER_CALL / this.recordSize.bytes));
    return Math.max(1, Math.min(settings.maxRecordsPerCall, fit));
  }

  private async getIterator(start: IteratorStart, signal: AbortSignal): Promise<string | undefined> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        return await this.deps.kinesis.getShardIterator(this.deps.settings.streamName, this.shardId, start);
      } catch (err) {
        if (!isRetriable(err)) throw err;
        this.log.warn({ err: errorMessage(err), attempt }, 'GetShardIterator failed; backing off');
        await sleep(backoffMs(attempt, 200, 10_000), signal);
      }
    }
    return undefined;
  }

  private accept(records: StreamRecord[]): void {
    const pieces = this.cutter.split(records);
    for (const piece of pieces) this.dispatch(piece);
    // The cutter has cut at the inherited cut (at its record, or the first after it if that one expired).
    if (this.inheritedCut !== undefined && compareSequence(records[records.length - 1]!.sequenceNumber, this.inheritedCut) >= 0) this.inheritedCut = undefined;
  }

  /**
   * A forced cut an earlier owner announced in the lease, or the end of the
   * last raw file it announced, that this consumer has not reached yet.
   * Until it does, no forced cut is made: the lease holds one pending cut,
   * and a cut short of it would both erase it and overlap the earlier
   * owner's files with different keys.
   */
  private inheritedCut: string | undefined;
  /** The inherited cut until a checkpoint reaches it: till then the lease must keep it, so no cut of our own. */
  private inheritedCutUnsettled: string | undefined;

  private dispatch(piece: SegmentPiece): void {
    const records = piece.records;
    const first = records[0]!;
    const last = records[records.length - 1]!;
    let payload = 0;
    for (const r of records) payload += r.data.byteLength;
    const counted = this.budgetFactor.count(payload);
    const budgetBytes = counted.file + counted.segment;
    this.deps.budget.acquire(budgetBytes, this.shardId);
    // The cutter already decided these cuts; only cuts made from outside the records tell it.
    if (piece.startsSegment) this.sealSegment(false);
    else if (piece.startsFile) this.sealFile();
    this.segment ??= {
      segment: { shardId: this.shardId, firstSequence: first.sequenceNumber, lastSequence: first.sequenceNumber, forced: false, outputs: [] },
      budgetBytes: 0,
    };
    this.open ??= {
      shardId: this.shardId,
      firstSequence: first.sequenceNumber,
      lastSequence: first.sequenceNumber,
      firstArrivalMs: first.arrivalMs,
      windowPhaseMs: this.windowPhaseMs,
      kinesisRecords: 0,
      payloadBytes: 0,
      forced: false,
      outputs: [],
    };
    const file = this.open;
    file.lastSequence = last.sequenceNumber;
    file.kinesisRecords += records.length;
    file.payloadBytes += payload;
    this.segment.segment.lastSequence = last.sequenceNumber;
    this.segment.budgetBytes += budgetBytes;
    this.openFileBudget.add(budgetBytes, counted.segment);
    const output = this.deps.processor.process({
      streamName: this.deps.settings.streamName,
      shardId: this.shardId,
      hashKeyRange: { startingHashKey: this.deps.shard.startingHashKey, endingHashKey: this.deps.shard.endingHashKey },
      records,
    });
    const segment = this.segment;
    output.then(
      (o) => {
        this.countOutput(file, segment, payload, counted, o);
        this.deps.observer?.onPieceProcessed?.(this.shardId, o);
      },
      () => undefined,
    );
    file.outputs.push(output);
    this.segment.segment.outputs.push(segmentShare(output));
    // An idle cut repeated from the lease is marked on its object as the first owner marked it.
    if (piece.closesAtIdleCut) file.idleCut = true;
    if (piece.closesSegment) this.sealSegment(false);
    else if (piece.closesFile) this.sealFile();
  }

  /**
   * What a piece holds is known only once it is processed (outputExcess:
   * its raw lines, column chunks and dead-letter envelopes beyond what was
   * counted when it was read). The raw file's part counts until that file
   * is durable, as part of what it releases then; the chunks' part stays
   * with the segment until its checkpoint. This runs before the file's
   * write can end (the writer awaits the same output); a file no longer
   * open or queued was let go with the lease, and nothing is counted.
   */
  private countOutput(file: SealedFile<D>, segment: OpenSegment, payloadBytes: number, counted: PieceCount, output: PieceOutput<D>): void {
    const held = outputBytes(output);
    this.budgetFactor.observe(payloadBytes, held);
    const excess = outputExcess(counted, held, output.dlq.length);
    if (excess.file + excess.segment === 0) return;
    let release: FileRelease<OpenSegment> | undefined;
    if (this.open !== file) {
      const queued = this.inCommit?.file === file ? this.inCommit : this.sealed.find((item) => item.file === file);
      release = queued?.fileRelease;
      if (release === undefined) return;
    }
    this.deps.budget.acquire(excess.file + excess.segment, this.shardId);
    segment.budgetBytes += excess.file + excess.segment;
    if (release) release.bytes += excess.file;
    else this.openFileBudget.add(excess.file);
  }

  /** Queues the open raw file for writing (the segment stays open). */
  private sealFile(idleCut = false): void {
    const file = this.open;
    if (!file) return;
    this.open = undefined;
    if (idleCut) file.idleCut = true;
    this.sealed.push({ file, fileRelease: this.openFileBudget.seal(this.segment), segment: undefined, ...(idleCut ? { idleCut } : {}) });
    this.committerWake?.();
  }

  /** Queues the open raw file together with the segment it ends; the checkpoint follows them. */
  private sealSegment(forced: boolean, announced?: Promise<unknown>): void {
    const file = this.open;
    const segment = this.segment;
    this.open = undefined;
    this.segment = undefined;
    if (!segment) return;
    if (file) file.forced = forced;
    segment.segment.forced = forced;
    const fileRelease = file ? this.openFileBudget.seal(segment) : undefined;
    this.sealed.push({ file, fileRelease, segment, ...(announced ? { announced } : {}) });
    this.committerWake?.();
  }

  /**
   * A caught-up shard closes its open raw window once it has passed (plus a
   * grace period, counted to when the empty call was made: a slow answer
   * must not shorten it), and its segment once the segment's window has passed.
   * Neither cut follows from the records: a record Kinesis shows later than
   * the grace, stamped inside the window, would join the window on a
   * replay. So both are announced in the lease before anything of them is
   * written (the segment's as a pending cut, when none is pending; else it
   * waits for a later empty response), and an owner that takes over repeats them.
   */
  private closeIdleWindow(askedAtMs: number): void {
    // The empty answer shows the shard as it was when the call was made, not when the answer was read.
    const now = askedAtMs;
    const grace = this.deps.settings.idleCloseGraceMs;
    const segmentEnd = this.cutter.openSegmentWindowEndMs();
    if (segmentEnd !== undefined && now >= segmentEnd + grace) {
      // Refused while the lease holds an earlier cut: tried again when that cut is checkpointed.
      this.heldIdleClose = this.cutSegmentEarly(false) ? undefined : { askedAtMs, lastDelivered: this.lastDelivered };
      return;
    }
    const fileEnd = this.cutter.openFileWindowEndMs();
    if (fileEnd !== undefined && this.open && now >= fileEnd + grace) {
      // The lease lists each idle cut until a checkpoint passes it; a trickle of records under long segments
      // would grow that list towards DynamoDB's item limit, so past a bound the segment ends here instead.
      if (this.idleCutsAnnounced >= (this.deps.settings.maxIdleCutsPerSegment ?? MAX_IDLE_CUTS_PER_SEGMENT) && this.cutSegmentEarly(false)) return;
      this.cutter.closeOpenFile();
      this.sealFile(true);
    }
  }

  /**
   * An idle segment close that cutSegmentEarly refused (the lease holds one
   * pending cut at a time). Once a checkpoint settles the earlier cut it is
   * made as that empty answer would have made it, if no record came since:
   * the shard's last segment is then written without waiting for the next
   * empty answer, a whole idle wait later (retryHeldIdleClose).
   */
  private heldIdleClose: { askedAtMs: number; lastDelivered: string | undefined } | undefined;

  private retryHeldIdleClose(): void {
    const held = this.heldIdleClose;
    this.heldIdleClose = undefined;
    if (held === undefined || held.lastDelivered !== this.lastDelivered || this.stopWaiting) return;
    this.closeIdleWindow(held.askedAtMs);
  }

  /** Idle cuts the lease lists beyond the checkpoint, and those sealed but not yet announced. */
  private get idleCutsAnnounced(): number {
    let sealedIdle = 0;
    for (const item of this.sealed) if (item.idleCut) sealedIdle++;
    return (this.deps.lease.lease.rawIdleCuts?.length ?? 0) + sealedIdle;
  }

  /**
   * Cuts the open segment early (shutdown, handoff, memory pressure). The cut
   * is not a function of the stream, so it is recorded in the lease as a
   * pending checkpoint before any file of it is written: whoever replays
   * from the older checkpoint repeats the same cut. The cut itself is made at
   * once, so no record read meanwhile can slip into the segment.
   * Returns false when there was nothing to cut, or an earlier forced cut is
   * not yet checkpointed (the lease holds one pending cut at a time), or an
   * inherited one is not yet checkpointed (see inheritedCutUnsettled), or
   * this consumer has not yet read past the last raw file an earlier owner
   * announced (inheritedCut). Refused at shutdown, the open segment is simply
   * not written: the next owner reads it again from the checkpoint.
   */
  forceCut(): boolean {
    return this.cutSegmentEarly(true);
  }

  /** A forced cut, or (`forced` false) an idle segment's close, announced alike. */
  private cutSegmentEarly(forced: boolean): boolean {
    const segment = this.segment;
    if (!segment || this.forcedInFlight || this.inheritedCut !== undefined || this.inheritedCutUnsettled !== undefined || this.lostOrFailed()) return false;
    const pending: ShardPosition = { sequenceNumber: segment.segment.lastSequence, subSequenceNumber: undefined };
    this.cutter.closeOpenSegment();
    const announced = this.deps.lease.prepareCheckpoint(pending);
    announced.catch(() => undefined);
    this.forcedInFlight = true;
    this.sealSegment(forced, announced);
    return true;
  }

  private forcedInFlight = false;

  /** Bytes of the budget this shard holds in its open segment (what a forced cut would start to free). */
  get openSegmentBytes(): number {
    return this.segment?.budgetBytes ?? 0;
  }

  /** Bytes of the budget held by segments already cut and being written: freed once checkpointed. */
  get drainingSegmentBytes(): number {
    let bytes = this.inCommit?.segment?.budgetBytes ?? 0;
    for (const item of this.sealed) bytes += item.segment?.budgetBytes ?? 0;
    return bytes;
  }

  /** Shutdown or handoff: wait for earlier cuts, then cut and write what is open. */
  private async forceCutOpenFile(): Promise<void> {
    await this.drain();
    this.forceCut();
  }

  /** Resolves when every sealed file has been written and checkpointed (or writing stopped). */
  private async drain(): Promise<void> {
    while ((this.sealed.length > 0 || this.committing) && !this.lostOrFailed() && !this.committerError) {
      await new Promise<void>((resolve) => {
        this.drainWaiters.push(resolve);
      });
    }
    if (this.committerError) throw this.committerError;
  }

  private committing = false;
  /** The sealed item the committer is writing now (no longer in `sealed`). */
  private inCommit: Sealed<D> | undefined;
  private drainWaiters: (() => void)[] = [];

  private notifyDrain(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private async commitLoop(): Promise<void> {
    const signal = this.writeAbort.signal;
    for (;;) {
      if (signal.aborted || this.stateValue === 'SHUT_DOWN') break;
      const next = this.sealed.shift();
      if (!next) {
        this.notifyDrain();
        if (this.stopWaiting) break;
        await new Promise<void>((resolve) => {
          this.committerWake = resolve;
          // Re-check after registering, in case work arrived in between.
          if (this.sealed.length > 0 || signal.aborted || this.stopWaiting) resolve();
        });
        this.committerWake = undefined;
        if (this.stopWaiting && this.sealed.length === 0) break;
        continue;
      }
      this.committing = true;
      this.inCommit = next;
      try {
        if (next.announced) await next.announced;
        if (next.file) {
          // A file that ends a forced cut ends where the lease's pending cut already says.
          if (!next.announced) await this.announceRawFile(next.file, next.idleCut === true);
          const written = await this.deps.writer.write(next.file, signal);
          // Durable: its raw lines are let go, and only the segment's share stays counted.
          if (next.fileRelease) {
            next.fileRelease.owner.budgetBytes -= next.fileRelease.bytes;
            this.deps.budget.release(next.fileRelease.bytes, this.shardId);
            next.fileRelease = undefined;
          }
          this.deps.observer?.onFileWritten?.(this.shardId, written, 0);
          if (signal.aborted || this.deps.lease.lost) {
            // Back in the queue, so the budget its segment holds is released with the rest (releaseAllBudget).
            this.sealed.unshift(next);
            break;
          }
        }
        const seg = next.segment;
        if (seg) {
          const lastSub = await this.deps.writer.writeSegment(seg.segment, signal);
          if (signal.aborted || this.deps.lease.lost) {
            this.sealed.unshift(next);
            break;
          }
          await this.deps.lease.checkpoint({ sequenceNumber: seg.segment.lastSequence, subSequenceNumber: lastSub });
          this.lastCheckpoint = seg.segment.lastSequence;
          this.log.info({ sequenceNumber: seg.segment.lastSequence, subSequenceNumber: lastSub, forced: seg.segment.forced || undefined }, 'checkpointed');
          this.deps.observer?.onCheckpoint?.(this.shardId, seg.segment.lastSequence);
          this.deps.budget.release(seg.budgetBytes, this.shardId);
          seg.budgetBytes = 0;
          if (next.announced) this.forcedInFlight = false;
          if (this.inheritedCutUnsettled !== undefined && compareSequence(seg.segment.lastSequence, this.inheritedCutUnsettled) >= 0) this.inheritedCutUnsettled = undefined;
          this.retryHeldIdleClose();
        }
      } catch (err) {
        if (!(err instanceof LeaseLostError) && !signal.aborted) {
          this.committerError = err;
          this.log.error({ err: errorMessage(err), errName: errorName(err) }, 'writing a file failed');
          this.reason = strongerReason(this.reason, 'FAILED');
          this.pollAbort.abort();
        }
        this.sealed.unshift(next);
        break;
      } finally {
        this.committing = false;
        this.inCommit = undefined;
      }
    }
    this.notifyDrain();
  }

  /**
   * Records the raw file's end in the lease before the file is written
   * (LeaseStore.announceRawFile), unless an earlier owner's announcement
   * already covers it: its files up to there are this consumer's too.
   */
  private async announceRawFile(file: SealedFile<D>, idleCut: boolean): Promise<void> {
    const through = this.deps.lease.lease.rawWrittenThrough;
    if (!idleCut && through !== undefined && compareSequence(file.lastSequence, through) <= 0) return;
    await this.deps.lease.announceRawFile(file.lastSequence, idleCut);
  }

  private closing = false;

  private get stopWaiting(): boolean {
    return this.closing || this.lostOrFailed();
  }

  private releaseAllBudget(): void {
    for (const item of this.sealed) if (item.segment) this.deps.budget.release(item.segment.budgetBytes, this.shardId);
    this.sealed.length = 0;
    if (this.segment) this.deps.budget.release(this.segment.budgetBytes, this.shardId);
    this.segment = undefined;
    this.open = undefined;
    this.openFileBudget.clear();
  }
}
