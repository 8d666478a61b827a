/**
 * Decides where files end, as a pure function of the records: a file holds
 * one shard's consecutive Kinesis records and closes
 *  - before a record whose arrival time falls in a later flush window
 *    (windows of `intervalMs` starting at `phaseMs` past the epoch's
 *    multiples of it: a shard's phase, windowPhase.ts),
 *  - after the record that makes it reach `maxRecords` or `maxBytes`
 *    (payload bytes, counted from the file's first record),
 *  - after the record at a forced cut announced in the lease (a cut an
 *    earlier owner made from outside the records, at shutdown or when an
 *    idle window closed, which a replay must repeat).
 * Never the wall clock: re-reading the same records gives the same files, so
 * a replay overwrites objects instead of duplicating them.
 */
import { compareSequence, type StreamRecord } from './records.js';

export interface CutRules {
  intervalMs: number;
  /** Windows start at phaseMs + k * intervalMs (default 0: aligned to the epoch). */
  phaseMs?: number;
  maxRecords: number;
  maxBytes: number;
}

/** Index of the window holding `ms`: windows start at phaseMs + k * intervalMs. */
export function windowIndex(ms: number, rules: Pick<CutRules, 'intervalMs' | 'phaseMs'>): number {
  return Math.floor((ms - (rules.phaseMs ?? 0)) / rules.intervalMs);
}

/** Start of window `index`, epoch ms. */
export function windowStartMs(index: number, rules: Pick<CutRules, 'intervalMs' | 'phaseMs'>): number {
  return index * rules.intervalMs + (rules.phaseMs ?? 0);
}

export interface OpenFileState {
  window: number;
  records: number;
  bytes: number;
}

export interface Piece {
  records: StreamRecord[];
  /**
   * True when this piece's first record begins a new file: whatever file is
   * still open ends before it (the cut may fall on a batch boundary, where
   * no earlier piece of the same batch could carry it).
   */
  startsFile: boolean;
  /** True when the file ends with this piece's last record. */
  closesFile: boolean;
  /** True when it ends there because of a forced cut (forceCutAfter), not a rule on the records. */
  closesAtForcedCut?: boolean;
}

export class FileCutter {
  private open: OpenFileState | undefined;
  /** Forced cuts still ahead, in sequence order. */
  private readonly forcedCuts: string[] = [];

  constructor(private readonly rules: CutRules) {}

  /**
   * Makes the file that contains `sequenceNumber` end with it (a cut from
   * the lease); if that record is gone (expired), the file ends with the
   * first record after it.
   */
  forceCutAfter(sequenceNumber: string): void {
    this.forcedCuts.push(sequenceNumber);
    this.forcedCuts.sort(compareSequence);
  }

  windowOf(arrivalMs: number): number {
    return windowIndex(arrivalMs, this.rules);
  }

  /** End of the open file's window in epoch ms, or undefined when no file is open. */
  openWindowEndMs(): number | undefined {
    return this.open ? windowStartMs(this.open.window + 1, this.rules) : undefined;
  }

  get hasOpenFile(): boolean {
    return this.open !== undefined;
  }

  /** Closes the open file from outside the records (idle window passed, shard end, forced cut). */
  closeOpenFile(): void {
    this.open = undefined;
  }

  /**
   * Splits consecutive records into pieces. A piece never spans two files;
   * the last piece may leave its file open for records still to come.
   */
  split(records: readonly StreamRecord[]): Piece[] {
    const pieces: Piece[] = [];
    // The open piece is records[start, i): sliced out once it ends (one copy of its references, not a push per record).
    let start = -1;
    let startsFile = false;
    const finish = (end: number, closesFile: boolean, closesAtForcedCut = false): void => {
      if (start < 0) return;
      pieces.push({ records: records.slice(start, end), startsFile, closesFile, ...(closesAtForcedCut ? { closesAtForcedCut } : {}) });
      start = -1;
    };
    const rules = this.rules;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const window = this.windowOf(record.arrivalMs);
      const size = record.data.byteLength;
      let open = this.open;
      if (open && (window > open.window || open.bytes + size > rules.maxBytes)) {
        finish(i, true);
        open = this.open = undefined;
      }
      if (!open) {
        open = this.open = { window, records: 0, bytes: 0 };
        start = i;
        startsFile = true;
      } else if (start < 0) {
        start = i;
        startsFile = false;
      }
      open.records += 1;
      open.bytes += size;
      let forced = false;
      while (this.forcedCuts.length > 0 && compareSequence(record.sequenceNumber, this.forcedCuts[0]!) >= 0) {
        this.forcedCuts.shift();
        forced = true;
      }
      if (forced || open.records >= rules.maxRecords || open.bytes >= rules.maxBytes) {
        finish(i + 1, true, forced);
        this.open = undefined;
      }
    }
    finish(records.length, false);
    return pieces;
  }
}
