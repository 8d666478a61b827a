import { describe, expect, it } from 'vitest';
import { SegmentPlanner, type PlanFile } from '../../src/batch/segmentPlanner.js';
import type { StreamRecord } from '../../src/consumer/records.js';

const segmentRules = { intervalMs: 10_000, maxRecords: 1000, maxBytes: 1 << 30 };
const fileRules = { intervalMs: 5_000, maxRecords: 3, maxBytes: 1 << 30 };

let seq = 100;
function file(arrivals: number[]): PlanFile {
  const records: StreamRecord[] = arrivals.map((arrivalMs) => ({
    shardId: 'shardId-000000000000',
    sequenceNumber: String(seq++),
    subSequenceNumber: undefined,
    partitionKey: 'k',
    explicitHashKey: undefined,
    arrivalMs,
    data: new Uint8Array(10),
  }));
  return { key: `f-${records[0]!.sequenceNumber}`, firstSequence: records[0]!.sequenceNumber, lastSequence: records[records.length - 1]!.sequenceNumber, records, windowPhaseMs: 0 };
}

function spans(files: PlanFile[], adopted: { firstSequence: string; lastSequence: string }[] = [], listStartMs = 0, closed = true) {
  const planner = new SegmentPlanner({ segmentRules, fileRules, listStartMs, adopted });
  const out = files.flatMap((f) => planner.push(f));
  const end = planner.finish(() => closed);
  return { segments: [...out, ...end.segments].map((s) => s.files.map((f) => f.key)), planner, open: end.open.map((f) => f.key) };
}

describe('SegmentPlanner', () => {
  it('groups raw files cut by count and by the raw window into one segment per cleansed window', () => {
    const a = file([1000, 1100, 1200]); // full by count
    const b = file([1300]); // ... then the raw window changes inside the segment window
    const c = file([6000, 6100]);
    const d = file([12_000, 12_100]); // next segment window
    expect(spans([a, b, c, d]).segments).toEqual([[a.key, b.key, c.key], [d.key]]);
  });

  it('takes a raw-file end that no rule explains as a forced segment cut', () => {
    const a = file([1000]); // ended early: shutdown
    const b = file([1100, 1200]);
    expect(spans([a, b]).segments).toEqual([[a.key], [b.key]]);
  });

  it('keeps the segment open across a raw file the hot path closed when its window went idle (its object says so)', () => {
    const a = { ...file([1000]), idleCut: true }; // the raw window [0, 5 s) closed idle after 1,000
    const b = file([1100]); // a record of that window Kinesis showed later
    const c = file([6000]); // the next raw window, same segment window
    const d = file([12_000]);
    expect(spans([a, b, c, d]).segments).toEqual([[a.key, b.key, c.key], [d.key]]);
    // Unmarked, the same end reads as a forced segment cut.
    const a2 = file([1000]);
    const b2 = file([1100]);
    const c2 = file([6000]);
    expect(spans([a2, b2, c2]).segments).toEqual([[a2.key], [b2.key, c2.key]]);
  });

  it('closes the raw file after an idle-cut file of dropped records only, too', () => {
    const a = file([1000]);
    const dropped: PlanFile = { key: 'dropped', firstSequence: String(seq++), lastSequence: String(seq++), records: [], windowPhaseMs: 0, exact: false, idleCut: true };
    const b = file([1100]);
    expect(spans([a, dropped, b]).segments).toEqual([[a.key, 'dropped', b.key]]);
  });

  it('skips files until a provable segment start', () => {
    const a = file([9000]); // before the listing's window start: its segment may have begun earlier
    const b = file([9500]);
    const c = file([10_500]);
    const r = spans([a, b, c], [], 10_000);
    expect(r.planner.skipped.map((f) => f.key)).toEqual([a.key, b.key]);
    expect(r.segments).toEqual([[c.key]]);
  });

  it('adopts existing spans as boundaries and keeps an unproven trailing segment open', () => {
    const a = file([1000, 1100, 1200]);
    const b = file([1300, 1400, 1500]);
    const c = file([1600]);
    const r = spans([a, b, c], [{ firstSequence: a.firstSequence, lastSequence: a.lastSequence }], 0, false);
    expect(r.segments).toEqual([[a.key]]);
    expect(r.open).toEqual([b.key, c.key]);
  });

  it('finds segments cut at a window phase only with that phase', () => {
    // Phase 3,000: segment windows [3,000, 13,000), [13,000, 23,000); raw windows 5 s from 3,000.
    const a = file([9000, 9500, 9900]); // full by count
    const b = file([10_200]); // same phased segment window as a (an aligned one would start here)
    const c = file([13_100]); // next phased segment window
    const plan = (phaseMs: number): string[][] => {
      const planner = new SegmentPlanner({ segmentRules: { ...segmentRules, phaseMs }, fileRules: { ...fileRules, phaseMs }, listStartMs: phaseMs, adopted: [] });
      const out = [a, b, c].flatMap((f) => planner.push(f));
      return [...out, ...planner.finish(() => true).segments].map((seg) => seg.files.map((f) => f.key));
    };
    expect(plan(3000)).toEqual([[a.key, b.key], [c.key]]);
    expect(plan(0)).not.toEqual(plan(3000));

    // A file after one that ends before the phased window start begins a segment.
    const z = file([2900]);
    const y = file([3100, 3200]);
    const planner = new SegmentPlanner({ segmentRules: { ...segmentRules, phaseMs: 3000 }, fileRules: { ...fileRules, phaseMs: 3000 }, listStartMs: 3000, adopted: [] });
    expect([z, y].flatMap((f) => planner.push(f))).toEqual([]);
    expect(planner.skipped.map((f) => f.key)).toEqual([z.key]);
    expect(planner.finish(() => true).segments.map((seg) => seg.files.map((f) => f.key))).toEqual([[y.key]]);
  });

  it('stops a shard whose cuts fall inside a raw file', () => {
    const a = file([1000, 1100, 1200, 1300]); // four records in one raw file, but the rules cut after three
    const r = spans([a]);
    expect(r.planner.diverged?.key).toBe(a.key);
    expect(r.segments).toEqual([]);
  });
});

describe('SegmentPlanner over files whose records are not the hot path\'s one for one (rebuilt KPL aggregates, dropped records)', () => {
  const inexact = (f: PlanFile): PlanFile => ({ ...f, exact: false });
  const byCount = { intervalMs: 10_000, maxRecords: 4, maxBytes: 1 << 30 };

  function plan(files: PlanFile[], rules = segmentRules) {
    const planner = new SegmentPlanner({ segmentRules: rules, fileRules, listStartMs: 0, adopted: [] });
    const segments = files.flatMap((f) => planner.push(f)).map((s) => s.files.map((f) => f.key));
    return { segments, diverged: planner.diverged };
  }

  it('stops at a count or byte cut it would have to repeat over them, and plans it when the files are exact', () => {
    const a = file([1000, 1100, 1200]);
    const b = file([1300]); // the fourth record: the segment's count rule ends it here
    expect(plan([a, b], byCount)).toEqual({ segments: [[a.key, b.key]], diverged: undefined });
    const r = plan([inexact(a), b], byCount);
    expect(r.segments).toEqual([]);
    expect(r.diverged?.key).toBe(b.key);
    expect(r.diverged?.reason).toMatch(/count or byte rule/);
  });

  it('does not take an unexplained file end after them for a forced cut', () => {
    const a = file([1000]); // ended early: shutdown, or a count the replay gets wrong
    const b = file([1100, 1200]);
    const c = file([12_000]);
    expect(plan([a, b, c]).segments).toEqual([[a.key], [b.key]]);
    const r = plan([inexact(a), b, c]);
    expect(r.segments).toEqual([]);
    expect(r.diverged).toEqual({ key: b.key, reason: expect.stringMatching(/forced cut from a count or byte cut/) as unknown as string });
  });

  it('still ends a segment at a window change after them', () => {
    const a = file([1000, 1100]);
    const b = file([12_000]);
    expect(plan([inexact(a), b])).toEqual({ segments: [[a.key]], diverged: undefined });
  });

  it('stops at a window change right after a file with no line, which may belong to either side', () => {
    const a = file([1000]);
    const empty: PlanFile = { key: `f-${seq}`, firstSequence: String(seq), lastSequence: String(seq++), records: [], windowPhaseMs: 0, exact: false };
    const c = file([12_000]);
    const r = plan([a, empty, c]);
    expect(r.segments).toEqual([]);
    expect(r.diverged).toEqual({ key: c.key, reason: expect.stringMatching(/without lines/) as unknown as string });
  });
});
