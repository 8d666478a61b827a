/**
 * The consumer's processing path for one shard without Kinesis or leases:
 * batches in, SegmentCutter pieces to the processor, sealed raw files and
 * segments committed in order by the real LakeWriter. Mirrors the dispatch
 * rules of src/consumer/shardConsumer.ts (kept out of it on purpose: the
 * bench must not need a lease table to measure the CPU path), including the
 * early segment cut under memory pressure (src/consumer/pressureRelief.ts),
 * without the lease announcement that makes it replayable. Windows start at
 * the phase a new lease of the shard would get with the default config
 * (src/consumer/windowPhase.ts).
 */
import type { CutRules } from '../../src/consumer/fileCutter.js';
import type { MemoryBudget } from '../../src/consumer/memoryBudget.js';
import type { PieceProcessor } from '../../src/consumer/pieceProcessor.js';
import type { StreamRecord } from '../../src/consumer/records.js';
import type { CuttableShard } from '../../src/consumer/pressureRelief.js';
import { SegmentCutter, type SegmentPiece } from '../../src/consumer/segmentCutter.js';
import { staggeredPhaseMs } from '../../src/consumer/windowPhase.js';
import type { DlqEnvelope } from '../../src/processors/envelope.js';
import type { LakeWriter, SealedFile, SealedSegment } from '../../src/sinks/lakeWriter.js';
import { BUDGET_BYTES_PER_PAYLOAD_BYTE, BudgetFactor, OpenFileBudget, outputBytes, outputExcess, segmentShare, type FileRelease, type PieceCount } from '../../src/consumer/pieceBudget.js';
import type { PieceOutput } from '../../src/consumer/pieceProcessor.js';

interface DriverSegment {
  segment: SealedSegment;
  budgetBytes: number;
  /** Sealed: its bytes count in drainingSegmentBytes. */
  draining: boolean;
}

/** One factor per budget: the drivers sharing a budget share it, as a stream worker's shards do (StreamWorker). */
const factors = new WeakMap<MemoryBudget, BudgetFactor>();
function factorOf(budget: MemoryBudget): BudgetFactor {
  let factor = factors.get(budget);
  if (factor === undefined) factors.set(budget, (factor = new BudgetFactor(BUDGET_BYTES_PER_PAYLOAD_BYTE)));
  return factor;
}

export class ShardDriver implements CuttableShard {
  private readonly cutter: SegmentCutter;
  private readonly windowPhaseMs: number;
  private open: SealedFile<DlqEnvelope> | undefined;
  /** Arrival times of the open file's records, kept only when someone listens for raw files. */
  private openArrivals: number[] = [];
  private segment: DriverSegment | undefined;
  private readonly openFileBudget = new OpenFileBudget();
  private readonly budgetFactor: BudgetFactor;
  /** Sealed raw files not yet durable, and what each releases then. */
  private readonly queuedReleases = new Map<SealedFile<DlqEnvelope>, FileRelease<DriverSegment>>();
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  committedRecords = 0;

  constructor(
    readonly shardId: string,
    private readonly deps: {
      processor: PieceProcessor<DlqEnvelope>;
      writer: LakeWriter<DlqEnvelope>;
      budget: MemoryBudget;
      streamName: string;
      /** Called when a raw file is durable, with the arrival times of its records. */
      onRawDurable?: (arrivalsMs: readonly number[]) => void;
    },
    segmentRules: CutRules,
    fileRules: CutRules,
  ) {
    const phaseMs = (this.windowPhaseMs = staggeredPhaseMs(shardId, fileRules.intervalMs));
    this.budgetFactor = factorOf(deps.budget);
    this.cutter = new SegmentCutter({ ...segmentRules, phaseMs }, { ...fileRules, phaseMs });
  }

  accept(records: StreamRecord[]): void {
    if (this.failure) throw this.failure;
    for (const piece of this.cutter.split(records)) this.dispatch(piece);
  }

  /** Closes the open segment and resolves when everything sealed is written. */
  async finish(): Promise<void> {
    this.cutter.closeOpenSegment();
    this.sealSegment();
    await this.chain;
    if (this.failure) throw this.failure;
  }

  get openSegmentBytes(): number {
    return this.segment?.budgetBytes ?? 0;
  }

  /** Budget bytes of sealed segments not yet written. */
  drainingSegmentBytes = 0;

  /** Cuts the open segment now, as the consumer does when the memory budget pauses polling. */
  forceCut(): boolean {
    if (!this.segment || this.failure) return false;
    this.cutter.closeOpenSegment();
    this.sealSegment();
    return true;
  }

  private dispatch(piece: SegmentPiece): void {
    const records = piece.records;
    const first = records[0]!;
    const last = records[records.length - 1]!;
    let payload = 0;
    for (const r of records) payload += r.data.byteLength;
    const counted = this.budgetFactor.count(payload);
    const budgetBytes = counted.file + counted.segment;
    this.deps.budget.acquire(budgetBytes);
    if (piece.startsSegment) this.sealSegment();
    else if (piece.startsFile) this.sealFile();
    this.segment ??= { segment: { shardId: this.shardId, firstSequence: first.sequenceNumber, lastSequence: first.sequenceNumber, forced: false, outputs: [] }, budgetBytes: 0, draining: false };
    this.open ??= { shardId: this.shardId, firstSequence: first.sequenceNumber, lastSequence: first.sequenceNumber, firstArrivalMs: first.arrivalMs, windowPhaseMs: this.windowPhaseMs, kinesisRecords: 0, payloadBytes: 0, forced: false, outputs: [] };
    this.open.lastSequence = last.sequenceNumber;
    this.open.kinesisRecords += records.length;
    this.open.payloadBytes += payload;
    if (this.deps.onRawDurable) for (const r of records) this.openArrivals.push(r.arrivalMs);
    this.segment.segment.lastSequence = last.sequenceNumber;
    this.segment.budgetBytes += budgetBytes;
    this.openFileBudget.add(budgetBytes, counted.segment);
    const output = this.deps.processor.process({ streamName: this.deps.streamName, shardId: this.shardId, hashKeyRange: undefined, records });
    const file = this.open;
    const segment = this.segment;
    output.then(
      (o) => this.countOutput(file, segment, payload, counted, o),
      () => undefined,
    );
    this.open.outputs.push(output);
    this.segment.segment.outputs.push(segmentShare(output));
    if (piece.closesSegment) this.sealSegment();
    else if (piece.closesFile) this.sealFile();
  }

  /** As the consumer does (ShardConsumer.countOutput): what the output holds beyond what its read counted. */
  private countOutput(file: SealedFile<DlqEnvelope>, segment: DriverSegment, payloadBytes: number, counted: PieceCount, output: PieceOutput<DlqEnvelope>): void {
    const held = outputBytes(output);
    this.budgetFactor.observe(payloadBytes, held);
    const excess = outputExcess(counted, held, output.dlq.length);
    if (excess.file + excess.segment === 0) return;
    const release = this.open === file ? undefined : this.queuedReleases.get(file);
    if (this.open !== file && release === undefined) return;
    this.deps.budget.acquire(excess.file + excess.segment);
    segment.budgetBytes += excess.file + excess.segment;
    if (segment.draining) this.drainingSegmentBytes += excess.file + excess.segment;
    if (release) release.bytes += excess.file;
    else this.openFileBudget.add(excess.file);
  }

  private sealFile(): void {
    const file = this.open;
    this.open = undefined;
    if (file) this.commit(file, this.openFileBudget.seal(this.segment), undefined, this.takeArrivals());
  }

  private sealSegment(): void {
    const file = this.open;
    const segment = this.segment;
    this.open = undefined;
    this.segment = undefined;
    if (segment) this.commit(file, file ? this.openFileBudget.seal(segment) : undefined, segment, this.takeArrivals());
  }

  private takeArrivals(): number[] {
    const a = this.openArrivals;
    this.openArrivals = [];
    return a;
  }

  // In order, one at a time per shard, like the consumer's commit loop.
  private commit(file: SealedFile<DlqEnvelope> | undefined, fileRelease: FileRelease<DriverSegment> | undefined, segment: DriverSegment | undefined, arrivals: number[]): void {
    if (segment) {
      segment.draining = true;
      this.drainingSegmentBytes += segment.budgetBytes;
    }
    if (file && fileRelease) this.queuedReleases.set(file, fileRelease);
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        if (file) {
          const written = await this.deps.writer.write(file);
          this.queuedReleases.delete(file);
          // As the consumer does: durable, so only the segment's share of its pieces stays counted.
          if (fileRelease) {
            fileRelease.owner.budgetBytes -= fileRelease.bytes;
            if (fileRelease.owner.draining) this.drainingSegmentBytes -= fileRelease.bytes;
            this.deps.budget.release(fileRelease.bytes);
          }
          this.committedRecords += written.userRecords;
          this.deps.onRawDurable?.(arrivals);
        }
        if (segment) {
          await this.deps.writer.writeSegment(segment.segment);
          this.deps.budget.release(segment.budgetBytes);
          this.drainingSegmentBytes -= segment.budgetBytes;
        }
      } catch (err) {
        this.failure = err;
      }
    });
  }
}
