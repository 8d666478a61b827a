/**
 * Finds the hot path's segments again from the raw files of one shard, fed
 * in sequence order. A segment is a run of whole raw files (a segment end
 * always ends a raw file too), so the question is only which raw-file ends
 * were segment ends. The rules, in order of strength:
 *
 *  1. Adopted spans: an existing cleansed key names a segment's exact first
 *     and last sequence; its first file starts a segment and its last file
 *     ends one, whatever the rules say.
 *  2. A known start to begin from: every record of a segment shares one
 *     KL_CLEANSED_FLUSH_INTERVAL_MS window, so a file whose first record is
 *     in a later window than the previous file's last record starts a
 *     segment; so does the first file listed when the listing began at a
 *     window start (any earlier file of the shard lies in an earlier window).
 *     Files before the first known start are skipped and reported.
 *  3. From there SegmentCutter, with the service's rules, cuts exactly as
 *     the hot path did, except where the hot path cut for a reason the
 *     records do not show (shutdown, handoff, memory pressure). Such a cut
 *     shows as a raw-file end that the file rules do not explain (the cutter
 *     wants to continue the file into the next raw file): it is taken as a
 *     segment end and the cutter restarts there.
 *  4. The last segment of the listing is kept only if something proves it
 *     closed: the lease's checkpoint at or past its end (checkpoints sit at
 *     segment ends), SHARD_END, or a rule; an unfinished one is reported open.
 *
 * Where the cutter would cut inside a raw file, the reconstruction does not
 * match the hot path (an aggregate's re-encoded size under a byte rule): the
 * shard is marked diverged from that file on and nothing more is planned
 * for it, rather than writing keys the hot path never wrote. The same holds
 * where a segment holds an inexact file (rebuilt KPL aggregates, whose bytes
 * differ, or Kinesis records that left no line, which the count misses) and
 * its end is not a window change or an adopted span: a record-count or byte
 * rule, or an unexplained file end, that the replayed records cannot be
 * trusted to repeat. A file with no line at all (only dropped aggregates)
 * just before a window change is ambiguous too: it may open the next
 * segment as well as close the last. Known blind
 * spot: a forced cut that fell exactly where a raw-file rule also cut is
 * invisible to rule 3; rule 1 covers it when that segment has cleansed
 * files, and replay.ts refuses to write a span that overlaps an existing one.
 */
import { windowIndex, type CutRules } from '../consumer/fileCutter.js';
import type { StreamRecord } from '../consumer/records.js';
import { SegmentCutter } from '../consumer/segmentCutter.js';

export interface PlanFile {
  key: string;
  firstSequence: string;
  lastSequence: string;
  /** The file's Kinesis records (regroup.ts), in sequence order. */
  records: StreamRecord[];
  /** The window phase the hot path cut it on (its object's metadata; 0 when it has none). */
  windowPhaseMs: number;
  /**
   * False when `records` are not the hot path's Kinesis records byte for byte and one for one: it holds
   * rebuilt KPL aggregates, or Kinesis records that left no raw line (aggregates whose user records were all
   * dropped). Count and byte rules cannot be replayed over it. Default true.
   */
  exact?: boolean;
  /** The hot path closed this file because its window went idle (its object's metadata): no segment cut. */
  idleCut?: boolean;
}

export interface PlannedSegment {
  firstSequence: string;
  lastSequence: string;
  files: PlanFile[];
  /** Its first record's arrival time (undefined when its files hold no line). */
  firstArrivalMs: number | undefined;
}

export interface PlannerOptions {
  segmentRules: CutRules;
  fileRules: CutRules;
  /** The listing began at this segment-window start (of the shard's phase): a first file arriving at or after it starts a segment. */
  listStartMs: number;
  /** Spans of existing cleansed objects of this shard. */
  adopted: readonly { firstSequence: string; lastSequence: string }[];
}

export class SegmentPlanner {
  private cutter: SegmentCutter;
  private current: PlanFile[] = [];
  private previous: PlanFile | undefined;
  private started = false;
  /** True once a file was planned (not skipped): files before the range can no longer come. */
  get hasStarted(): boolean {
    return this.started;
  }
  private readonly adoptedFirst: Set<string>;
  private readonly adoptedLast: Set<string>;
  /** Files passed over before the first known segment start. */
  readonly skipped: PlanFile[] = [];
  /** Set once the cuts stop matching the raw files; nothing is planned after it. */
  diverged: { key: string; reason: string } | undefined;

  constructor(private readonly options: PlannerOptions) {
    this.cutter = this.freshCutter();
    this.adoptedFirst = new Set(options.adopted.map((s) => s.firstSequence));
    this.adoptedLast = new Set(options.adopted.map((s) => s.lastSequence));
  }

  private freshCutter(): SegmentCutter {
    return new SegmentCutter(this.options.segmentRules, this.options.fileRules);
  }

  private window(ms: number): number {
    return windowIndex(ms, this.options.segmentRules);
  }

  private isKnownStart(file: PlanFile): boolean {
    if (this.adoptedFirst.has(file.firstSequence)) return true;
    const prev = this.previous;
    if (prev && this.adoptedLast.has(prev.lastSequence)) return true;
    const first = file.records[0];
    if (!first) return false;
    if (!prev) return first.arrivalMs >= this.options.listStartMs;
    const prevLast = prev.records[prev.records.length - 1];
    return prevLast !== undefined && this.window(first.arrivalMs) > this.window(prevLast.arrivalMs);
  }

  /** The open segment holds a file whose records the count and byte rules cannot be replayed over. */
  private currentInexact(): boolean {
    return this.current.some((f) => f.exact === false);
  }

  private diverge(file: PlanFile, reason: string): PlannedSegment[] {
    this.diverged = { key: file.key, reason };
    this.current = [];
    return [];
  }

  private close(out: PlannedSegment[]): void {
    if (this.current.length === 0) return;
    const files = this.current;
    this.current = [];
    out.push({
      firstSequence: files[0]!.firstSequence,
      lastSequence: files[files.length - 1]!.lastSequence,
      files,
      firstArrivalMs: files.find((f) => f.records.length > 0)?.records[0]!.arrivalMs,
    });
  }

  /** Adds the shard's next raw file; returns the segments it completed. */
  push(file: PlanFile): PlannedSegment[] {
    const out: PlannedSegment[] = [];
    if (this.diverged) return out;
    if (!this.started) {
      if (!this.isKnownStart(file)) {
        this.skipped.push(file);
        this.previous = file;
        return out;
      }
      this.started = true;
    } else if (this.adoptedFirst.has(file.firstSequence)) {
      this.close(out);
      this.cutter = this.freshCutter();
    }
    this.previous = file;
    if (file.records.length === 0) {
      // A file of dropped aggregates only: no arrival time to cut on; it belongs with its neighbours.
      this.current.push(file);
      if (file.idleCut) this.cutter.closeOpenFile();
      return out;
    }
    const prevLast = this.current.length > 0 ? lastRecordOf(this.current) : undefined;
    const windowChange = prevLast !== undefined && this.window(file.records[0]!.arrivalMs) > this.window(prevLast.arrivalMs);
    let pieces = this.cutter.split(file.records);
    if (this.current.length > 0 && !pieces[0]!.startsFile) {
      // The hot path ended a raw file here without a rule: a forced segment cut, unless the counts are not the hot path's.
      if (this.currentInexact()) return this.diverge(file, 'a raw file ends where the rules do not explain it, after rebuilt KPL aggregates or records without a raw line: replay cannot tell a forced cut from a count or byte cut');
      this.close(out);
      this.cutter = this.freshCutter();
      pieces = this.cutter.split(file.records);
    } else if (pieces[0]!.startsSegment) {
      if (this.currentInexact() && !windowChange) return this.diverge(file, 'a count or byte rule ends a segment over rebuilt KPL aggregates or records without a raw line: replay cannot repeat it');
      if (windowChange && this.current[this.current.length - 1]!.records.length === 0) {
        return this.diverge(file, 'a raw file without lines (only dropped KPL records) lies at a window change: replay cannot tell which segment it belongs to');
      }
      this.close(out);
    }
    const inner = pieces.findIndex((p, i) => (i > 0 && p.startsFile) || (i < pieces.length - 1 && p.closesFile));
    if (inner >= 0) {
      this.diverged = { key: file.key, reason: 'the cut rules split this raw file; the replayed records do not match the hot path cuts' };
      this.current = [];
      return out;
    }
    this.current.push(file);
    // The hot path closed this file when its window went idle, and kept the segment open (the file's object
    // says so): the next file starts a raw file of the same segment, as the hot path's did.
    if (file.idleCut) this.cutter.closeOpenFile();
    if (pieces[pieces.length - 1]!.closesSegment && !this.adoptedLast.has(file.lastSequence) && this.currentInexact()) {
      return this.diverge(file, 'a count or byte rule ends a segment over rebuilt KPL aggregates or records without a raw line: replay cannot repeat it');
    }
    if (pieces[pieces.length - 1]!.closesSegment || this.adoptedLast.has(file.lastSequence)) {
      this.close(out);
      this.cutter = this.freshCutter();
    }
    return out;
  }

  /**
   * Ends the listing. `closedThrough(last)` says whether the shard is known
   * to have checkpointed at or past `last`; the trailing segment is planned
   * only then, else returned as open.
   */
  finish(closedThrough: (lastSequence: string) => boolean): { segments: PlannedSegment[]; open: PlanFile[] } {
    const segments: PlannedSegment[] = [];
    if (this.diverged || this.current.length === 0) return { segments, open: [] };
    const last = this.current[this.current.length - 1]!;
    if (closedThrough(last.lastSequence)) {
      this.close(segments);
      return { segments, open: [] };
    }
    const open = this.current;
    this.current = [];
    return { segments, open };
  }
}

/** The last record of the last file that has one. */
function lastRecordOf(files: readonly PlanFile[]): StreamRecord | undefined {
  for (let i = files.length - 1; i >= 0; i--) {
    const records = files[i]!.records;
    if (records.length > 0) return records[records.length - 1];
  }
  return undefined;
}
