import { describe, expect, it } from 'vitest';
import { FileCutter, type CutRules } from '../../src/consumer/fileCutter.js';
import { MAX_PIECE_BYTES, MAX_PIECE_RECORDS, SegmentCutter } from '../../src/consumer/segmentCutter.js';
import type { StreamRecord } from '../../src/consumer/records.js';
import { seededRandom } from '../../src/producer/random.js';

function records(n: number, seed: number): StreamRecord[] {
  const rng = seededRandom(seed);
  let t = Date.UTC(2026, 10, 22, 10, 0, 0);
  return Array.from({ length: n }, (_, i) => {
    t += Math.floor(rng() * 40);
    return {
      shardId: 'shardId-000000000000',
      sequenceNumber: String(1_000_000 + i),
      subSequenceNumber: undefined,
      partitionKey: 'k',
      explicitHashKey: undefined,
      arrivalMs: t,
      data: new Uint8Array(50 + Math.floor(rng() * 200)),
    };
  });
}

/** Files as [first, last] sequence pairs, from feeding the records in batches of the given sizes. */
function files(all: StreamRecord[], rules: CutRules, batchSizes: () => number, ...forced: string[]): [string, string][] {
  const cutter = new FileCutter(rules);
  for (const cut of forced) cutter.forceCutAfter(cut);
  const out: [string, string][] = [];
  let open: [string, string] | undefined;
  for (let i = 0; i < all.length; ) {
    const batch = all.slice(i, i + batchSizes());
    i += batch.length;
    for (const piece of cutter.split(batch)) {
      const first = piece.records[0]!.sequenceNumber;
      const last = piece.records[piece.records.length - 1]!.sequenceNumber;
      if (piece.startsFile && open) {
        out.push(open);
        open = undefined;
      }
      open = open ? [open[0], last] : [first, last];
      if (piece.closesFile) {
        out.push(open);
        open = undefined;
      }
    }
  }
  if (open) out.push(open);
  return out;
}

const rules: CutRules = { intervalMs: 1000, maxRecords: 37, maxBytes: 4000 };

describe('FileCutter', () => {
  it('cuts the same files whatever the GetRecords batch sizes', () => {
    const all = records(2000, 1);
    const reference = files(all, rules, () => 1);
    const rng = seededRandom(9);
    for (let trial = 0; trial < 20; trial++) {
      expect(files(all, rules, () => 1 + Math.floor(rng() * 300))).toEqual(reference);
    }
    expect(reference.length).toBeGreaterThan(50);
  });

  it('never lets a file exceed the record and byte limits or span two flush windows', () => {
    const all = records(3000, 2);
    const bySeq = new Map(all.map((r) => [r.sequenceNumber, r]));
    const index = new Map(all.map((r, i) => [r.sequenceNumber, i]));
    for (const [first, last] of files(all, rules, () => 100)) {
      const slice = all.slice(index.get(first)!, index.get(last)! + 1);
      expect(slice.length).toBeLessThanOrEqual(rules.maxRecords);
      const bytes = slice.reduce((n, r) => n + r.data.byteLength, 0);
      expect(bytes <= rules.maxBytes || slice.length === 1).toBe(true);
      const w = Math.floor(bySeq.get(first)!.arrivalMs / rules.intervalMs);
      expect(slice.every((r) => Math.floor(r.arrivalMs / rules.intervalMs) === w)).toBe(true);
    }
  });

  it('cuts where the next record falls in a later window', () => {
    const cutter = new FileCutter({ intervalMs: 1000, maxRecords: 100, maxBytes: 1 << 20 });
    const rs = records(3, 3).map((r, i) => ({ ...r, arrivalMs: [10_100, 10_900, 11_000][i]! }));
    const pieces = cutter.split(rs);
    expect(pieces.map((p) => [p.records.length, p.startsFile, p.closesFile])).toEqual([
      [2, true, true],
      [1, true, false],
    ]);
    // A window boundary that falls between two batches is still a cut.
    const next = cutter.split([{ ...rs[0]!, sequenceNumber: '9', arrivalMs: 12_500 }]);
    expect(next.map((p) => [p.startsFile, p.closesFile])).toEqual([[true, false]]);
    expect(cutter.openWindowEndMs()).toBe(13_000);
  });

  it('starts windows at the phase: cuts phaseMs past the epoch-aligned ones, never at them', () => {
    const cutter = new FileCutter({ intervalMs: 1000, maxRecords: 100, maxBytes: 1 << 20, phaseMs: 300 });
    // 10,100 and 10,250 lie in the window [9,300, 10,300); 10,350 in the next; 11,050 too (aligned cut at 11,000 is none).
    const rs = records(4, 5).map((r, i) => ({ ...r, arrivalMs: [10_100, 10_250, 10_350, 11_050][i]! }));
    expect(cutter.split(rs).map((p) => [p.records.length, p.startsFile, p.closesFile])).toEqual([
      [2, true, true],
      [2, true, false],
    ]);
    expect(cutter.openWindowEndMs()).toBe(11_300);
  });

  it('keeps every file inside one window of its phase, whatever the batch sizes', () => {
    const all = records(3000, 6);
    const phased: CutRules = { ...rules, phaseMs: 640 };
    const index = new Map(all.map((r, i) => [r.sequenceNumber, i]));
    const reference = files(all, phased, () => 1);
    const rng = seededRandom(11);
    expect(files(all, phased, () => 1 + Math.floor(rng() * 300))).toEqual(reference);
    const windowOf = (ms: number): number => Math.floor((ms - 640) / rules.intervalMs);
    for (const [first, last] of reference) {
      const slice = all.slice(index.get(first)!, index.get(last)! + 1);
      expect(new Set(slice.map((r) => windowOf(r.arrivalMs))).size).toBe(1);
    }
    // The phase moves the cuts: the same records cut at aligned windows make other files.
    expect(files(all, rules, () => 1)).not.toEqual(reference);
  });

  it('repeats a forced cut announced in the lease, then cuts as usual', () => {
    const all = records(500, 4);
    const normal = files(all, rules, () => 50);
    const forcedAt = all[5]!.sequenceNumber;
    const withForced = files(all, rules, () => 50, forcedAt);
    expect(withForced[0]![1]).toBe(forcedAt);
    // After the forced cut, the cuts are again a function of the records from there on.
    const rest = files(all.slice(6), rules, () => 50);
    expect(withForced.slice(1)).toEqual(rest);
    expect(normal[0]![1]).not.toBe(forcedAt);
  });

  it('repeats several announced cuts, given in any order, whatever the batch sizes; a cut at a record gone cuts after it', () => {
    const all = records(500, 5);
    const [a, b] = [all[5]!.sequenceNumber, all[20]!.sequenceNumber];
    // The record at the third cut was trimmed from the stream: the file ends with the first record after it.
    const gone = all[41]!.sequenceNumber;
    const read = [...all.slice(0, 41), ...all.slice(42)];
    const reference = files(read, rules, () => 1, b, gone, a);
    expect(reference.slice(0, 3)).toEqual([
      [all[0]!.sequenceNumber, a],
      [all[6]!.sequenceNumber, b],
      [all[21]!.sequenceNumber, all[42]!.sequenceNumber],
    ]);
    expect(reference[3]![0]).toBe(all[43]!.sequenceNumber);
    const rng = seededRandom(11);
    for (let trial = 0; trial < 10; trial++) expect(files(read, rules, () => 1 + Math.floor(rng() * 100), a, gone, b)).toEqual(reference);
  });
});

describe('a forced cut, told apart from a rule', () => {
  it('marks the piece it closes, and no piece a rule closes; a SegmentCutter passes it on as an idle cut', () => {
    const all = records(30, 2);
    const rules: CutRules = { intervalMs: 1e9, maxRecords: 10, maxBytes: 1 << 30 };
    const cutter = new FileCutter(rules);
    cutter.forceCutAfter(all[3]!.sequenceNumber);
    const pieces = cutter.split(all);
    expect(pieces.map((p) => [p.records.length, p.closesFile, p.closesAtForcedCut === true])).toEqual([
      [4, true, true],
      [10, true, false],
      [10, true, false],
      [6, false, false],
    ]);
    const segments = new SegmentCutter({ intervalMs: 1e9, maxRecords: 1000, maxBytes: 1 << 30 }, rules);
    segments.forceFileCutAfter(all[3]!.sequenceNumber);
    expect(segments.split(all).map((p) => [p.records.length, p.closesFile, p.closesAtIdleCut === true, p.closesSegment])).toEqual([
      [4, true, true, false],
      [10, true, false, false],
      [10, true, false, false],
      [6, false, false, false],
    ]);
  });
});

/** Raw files and segments, as [first, last] sequence pairs, from a SegmentCutter fed in batches of the given sizes. */
function filesAndSegments(
  all: StreamRecord[],
  maxPieceRecords: number,
  batchSizes: () => number,
  maxPieceBytes = Number.MAX_SAFE_INTEGER,
): { files: [string, string][]; segments: [string, string][]; largestPiece: number; largestMultiRecordPieceBytes: number } {
  const cutter = new SegmentCutter({ intervalMs: 30_000, maxRecords: 2000, maxBytes: 1_000_000 }, { intervalMs: 10_000, maxRecords: 400, maxBytes: 80_000 }, maxPieceRecords, maxPieceBytes);
  const files: [string, string][] = [];
  const segments: [string, string][] = [];
  let file: [string, string] | undefined;
  let segment: [string, string] | undefined;
  let largestPiece = 0;
  let largestMultiRecordPieceBytes = 0;
  const feed = (pieces: ReturnType<SegmentCutter['split']>): void => {
    for (const p of pieces) {
      largestPiece = Math.max(largestPiece, p.records.length);
      if (p.records.length > 1) largestMultiRecordPieceBytes = Math.max(largestMultiRecordPieceBytes, p.records.reduce((n, r) => n + r.data.byteLength, 0));
      const first = p.records[0]!.sequenceNumber;
      const last = p.records[p.records.length - 1]!.sequenceNumber;
      if (p.startsSegment && segment) {
        segments.push(segment);
        segment = undefined;
      }
      if (p.startsFile && file) {
        files.push(file);
        file = undefined;
      }
      file = file ? [file[0], last] : [first, last];
      segment = segment ? [segment[0], last] : [first, last];
      if (p.closesFile) {
        files.push(file);
        file = undefined;
      }
      if (p.closesSegment) {
        segments.push(segment);
        segment = undefined;
      }
    }
  };
  for (let i = 0; i < all.length; ) {
    const batch = all.slice(i, i + batchSizes());
    i += batch.length;
    feed(cutter.split(batch));
  }
  if (file) files.push(file);
  if (segment) segments.push(segment);
  return { files, segments, largestPiece, largestMultiRecordPieceBytes };
}

describe('SegmentCutter', () => {
  it('splits large batches into pieces of at most maxPieceRecords without moving a file or segment cut', () => {
    const all = records(6000, 3);
    const uncapped = filesAndSegments(all, Number.MAX_SAFE_INTEGER, () => 2500);
    expect(uncapped.largestPiece).toBeGreaterThan(150);
    const rng = seededRandom(11);
    for (const max of [1, 7, 100, MAX_PIECE_RECORDS]) {
      const capped = filesAndSegments(all, max, () => 1 + Math.floor(rng() * 3000));
      expect(capped.largestPiece).toBeLessThanOrEqual(max);
      expect(capped.files).toEqual(uncapped.files);
      expect(capped.segments).toEqual(uncapped.segments);
    }
    expect(uncapped.segments.length).toBeGreaterThan(3);
    expect(() => new SegmentCutter(rules, rules, 0)).toThrow(/maxPieceRecords must be a whole number of at least 1, got 0/);
    expect(uncapped.files.length).toBeGreaterThan(uncapped.segments.length);
  });

  it('also keeps a piece under maxPieceBytes of payload (one record alone may hold more), without moving a cut', () => {
    const all = records(6000, 5);
    const uncapped = filesAndSegments(all, Number.MAX_SAFE_INTEGER, () => 2500);
    expect(uncapped.largestMultiRecordPieceBytes).toBeGreaterThan(5000);
    const rng = seededRandom(12);
    for (const maxBytes of [1, 200, 1000, 5000]) {
      const capped = filesAndSegments(all, MAX_PIECE_RECORDS, () => 1 + Math.floor(rng() * 3000), maxBytes);
      expect(capped.largestMultiRecordPieceBytes).toBeLessThanOrEqual(maxBytes);
      expect(capped.files).toEqual(uncapped.files);
      expect(capped.segments).toEqual(uncapped.segments);
    }
    // Records of 50-250 bytes: one byte allows one record per piece, and the default allows the record cap.
    expect(filesAndSegments(all, MAX_PIECE_RECORDS, () => 2500, 1).largestPiece).toBe(1);
    expect(filesAndSegments(all, MAX_PIECE_RECORDS, () => 2500, MAX_PIECE_BYTES).largestPiece).toBe(400);
    expect(() => new SegmentCutter(rules, rules, 10, 0)).toThrow(/maxPieceBytes must be at least 1, got 0/);
  });
});
