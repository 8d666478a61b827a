/**
 * Two levels of deterministic cuts (exactly-once notes, section 2):
 *  - segments, cut by the cleansed zone's coarser rules; a checkpoint only
 *    ever sits at a segment's end, where every zone has a cut;
 *  - raw files, cut by the raw zone's finer rules inside a segment, counted
 *    from the segment's start, so a replay from a checkpoint cuts them again
 *    in the same places.
 */
import { FileCutter, type CutRules } from './fileCutter.js';
import type { StreamRecord } from './records.js';

export interface SegmentPiece {
  records: StreamRecord[];
  /** A new raw file begins with this piece (any open raw file ends before it). */
  startsFile: boolean;
  /** The raw file ends with this piece. */
  closesFile: boolean;
  /** The raw file ends here at an idle cut from the lease (forceFileCutAfter), not at a rule on the records. */
  closesAtIdleCut?: boolean;
  /** A new segment begins with this piece. */
  startsSegment: boolean;
  /** The segment ends with this piece (and so does its raw file). */
  closesSegment: boolean;
}

/**
 * Most Kinesis records in one piece (one worker task). A catching-up shard
 * gets 10,000 records per GetRecords call; as one piece, a worker held every
 * row's strings until the piece was done, so they outlived young-generation
 * collections and were copied and promoted: in the pipeline bench, workers
 * spent 1.7 s collecting per 300,000 records, against 0.34 s with pieces of
 * 1,000. Pieces only split the work; files and segments are cut where they were.
 */
export const MAX_PIECE_RECORDS = 1000;

/**
 * Most payload bytes in one piece, unless a single record holds more. A
 * piece's raw lines and rows grow with its user records, and a KPL
 * aggregate holds hundreds: 1,000 aggregates of 100 events made one worker
 * task of 100,000 rows and 27 MB, whose raw-line buffer alone reached
 * 108 MB (bench/memory.ts, 2026-11-23). 1,000 plain events of up to ~500
 * bytes stay one piece, as before.
 */
export const MAX_PIECE_BYTES = 512 * 1024;

export class SegmentCutter {
  private readonly segments: FileCutter;
  private readonly files: FileCutter;

  constructor(
    segmentRules: CutRules,
    fileRules: CutRules,
    private readonly maxPieceRecords: number = MAX_PIECE_RECORDS,
    private readonly maxPieceBytes: number = MAX_PIECE_BYTES,
  ) {
    if (!Number.isSafeInteger(maxPieceRecords) || maxPieceRecords < 1) throw new RangeError(`maxPieceRecords must be a whole number of at least 1, got ${maxPieceRecords}`);
    if (!(maxPieceBytes >= 1)) throw new RangeError(`maxPieceBytes must be at least 1, got ${maxPieceBytes}`);
    this.segments = new FileCutter(segmentRules);
    this.files = new FileCutter(fileRules);
  }

  /** A segment (and its raw file) ends with this record: a forced cut from the lease. */
  forceCutAfter(sequenceNumber: string): void {
    this.segments.forceCutAfter(sequenceNumber);
  }

  /** A raw file ends with this record: an idle cut from the lease. */
  forceFileCutAfter(sequenceNumber: string): void {
    this.files.forceCutAfter(sequenceNumber);
  }

  get hasOpenSegment(): boolean {
    return this.segments.hasOpenFile;
  }

  openFileWindowEndMs(): number | undefined {
    return this.files.openWindowEndMs();
  }

  openSegmentWindowEndMs(): number | undefined {
    return this.segments.openWindowEndMs();
  }

  /** Ends the open raw file from outside the records (its window passed while caught up). */
  closeOpenFile(): void {
    this.files.closeOpenFile();
  }

  /** Ends the open segment (and raw file) from outside the records. */
  closeOpenSegment(): void {
    this.segments.closeOpenFile();
    this.files.closeOpenFile();
  }

  split(records: readonly StreamRecord[]): SegmentPiece[] {
    const out: SegmentPiece[] = [];
    for (const seg of this.segments.split(records)) {
      if (seg.startsFile) this.files.closeOpenFile();
      const filePieces = this.files.split(seg.records);
      filePieces.forEach((p, i) => {
        const first = i === 0;
        const last = i === filePieces.length - 1;
        const startsFile = p.startsFile || (first && seg.startsFile);
        const closesFile = p.closesFile || (last && seg.closesFile);
        for (let at = 0; at < p.records.length; ) {
          const end = this.pieceEnd(p.records, at);
          const head = at === 0;
          const tail = end >= p.records.length;
          out.push({
            records: head && tail ? p.records : p.records.slice(at, end),
            startsFile: head && startsFile,
            closesFile: tail && closesFile,
            ...(tail && p.closesAtForcedCut ? { closesAtIdleCut: true } : {}),
            startsSegment: head && first && seg.startsFile,
            closesSegment: tail && last && seg.closesFile,
          });
          at = end;
        }
      });
      if (seg.closesFile) this.files.closeOpenFile();
    }
    return out;
  }

  /** Where the piece starting at `at` ends (exclusive): at most maxPieceRecords records and maxPieceBytes of payload, at least one record. */
  private pieceEnd(records: readonly StreamRecord[], at: number): number {
    const limit = Math.min(records.length, at + this.maxPieceRecords);
    let bytes = records[at]!.data.byteLength;
    let end = at + 1;
    while (end < limit) {
      bytes += records[end]!.data.byteLength;
      if (bytes > this.maxPieceBytes) break;
      end++;
    }
    return end;
  }
}
