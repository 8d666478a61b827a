/**
 * replay and redrive's raw lookup on a shard whose windows start at a phase:
 * the hot path's cuts (SegmentCutter) written as raw objects into an
 * in-memory store, then found again from them.
 */
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { beforeRange, rangeStartMs, replay, type ReplaySummary } from '../../src/batch/replay.js';
import { ReplayMarker } from '../../src/batch/replayMarker.js';
import { RawLookup } from '../../src/batch/rawLookup.js';
import { SegmentCutter } from '../../src/consumer/segmentCutter.js';
import type { CutRules } from '../../src/consumer/fileCutter.js';
import type { PieceOutput, PieceProcessor } from '../../src/consumer/pieceProcessor.js';
import type { StreamRecord } from '../../src/consumer/records.js';
import type { DlqEnvelope } from '../../src/processors/envelope.js';
import { rawKey } from '../../src/lake/keys.js';
import { createLogger } from '../../src/log.js';
import { IDLE_CUT_METADATA, WINDOW_PHASE_METADATA, type LakeWriter } from '../../src/sinks/lakeWriter.js';
import { encodeRawLine } from '../../src/sinks/rawLine.js';
import type { ObjectStorePort, PutOptions } from '../../src/sinks/objectStore.js';

const SHARD = 'shardId-000000000001';
const STREAM = 'st';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const PHASE_MS = 37_000;
const segmentRules: CutRules = { intervalMs: 300_000, maxRecords: 1_000_000, maxBytes: 1 << 30 };
const fileRules: CutRules = { intervalMs: 60_000, maxRecords: 1_000_000, maxBytes: 1 << 30 };

class MemoryStore implements ObjectStorePort {
  readonly objects = new Map<string, { body: Buffer; metadata: Record<string, string> }>();
  async checkBucket(): Promise<void> {}
  async put(key: string, body: Uint8Array, options: PutOptions): Promise<void> {
    this.objects.set(key, { body: Buffer.from(body), metadata: { ...(options.metadata ?? {}) } });
  }
  async get(key: string): Promise<Buffer> {
    return (await this.getWithMetadata(key)).body;
  }
  async getWithMetadata(key: string): Promise<{ body: Buffer; metadata: Record<string, string> }> {
    const o = this.objects.get(key);
    if (!o) throw new Error(`no object ${key}`);
    return o;
  }
  async list(prefix: string): Promise<{ key: string; size: number }[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort().map((key) => ({ key, size: this.objects.get(key)!.body.byteLength }));
  }
}

let nextSequence = 10_000_000;
function record(arrivalMs: number): StreamRecord {
  return { shardId: SHARD, sequenceNumber: String(nextSequence++), subSequenceNumber: undefined, partitionKey: 'k', explicitHashKey: undefined, arrivalMs, data: Buffer.from('{"a":1}') };
}

/** The hot path's raw files and segments ([first, last] sequence) for these records, cut on `phaseMs`. */
function hotPath(records: StreamRecord[], phaseMs: number): { files: StreamRecord[][]; segments: [string, string][] } {
  const cutter = new SegmentCutter({ ...segmentRules, phaseMs }, { ...fileRules, phaseMs });
  const files: StreamRecord[][] = [];
  const segments: [string, string][] = [];
  let file: StreamRecord[] = [];
  let segmentFirst: string | undefined;
  let last = '';
  for (const piece of cutter.split(records)) {
    if (piece.startsFile && file.length > 0) {
      files.push(file);
      file = [];
    }
    if (piece.startsSegment && segmentFirst !== undefined) segments.push([segmentFirst, last]);
    if (piece.startsSegment) segmentFirst = piece.records[0]!.sequenceNumber;
    file.push(...piece.records);
    last = piece.records[piece.records.length - 1]!.sequenceNumber;
    if (piece.closesFile) {
      files.push(file);
      file = [];
    }
    if (piece.closesSegment) {
      segments.push([segmentFirst!, last]);
      segmentFirst = undefined;
    }
  }
  if (file.length > 0) files.push(file);
  if (segmentFirst !== undefined) segments.push([segmentFirst, last]);
  return { files, segments };
}

/** `idleCuts`: the files (by index) the hot path closed when their window went idle, marked as it marks them. */
async function lake(files: StreamRecord[][], phaseMs: number | undefined, idleCuts: ReadonlySet<number> = new Set()): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (const [i, f] of files.entries()) {
    const key = rawKey({ stream: STREAM, shardId: SHARD, firstSequence: f[0]!.sequenceNumber, lastSequence: f[f.length - 1]!.sequenceNumber, windowStartMs: f[0]!.arrivalMs });
    const body = gzipSync(Buffer.concat(f.map((r) => encodeRawLine(r))));
    const metadata: Record<string, string> = {};
    if (phaseMs !== undefined) metadata[WINDOW_PHASE_METADATA] = String(phaseMs);
    if (idleCuts.has(i)) metadata[IDLE_CUT_METADATA] = 'true';
    await store.put(key, body, { contentType: 'application/x-ndjson', ...(Object.keys(metadata).length > 0 ? { metadata } : {}) });
  }
  return store;
}

const processor: PieceProcessor<DlqEnvelope> = {
  async process(input): Promise<PieceOutput<DlqEnvelope>> {
    const rows = input.records.length;
    return { raw: new Uint8Array(), rawRecords: rows, cleansed: [{ hour: '2026-01-01T12', rows, chunk: new Uint8Array() }], dlq: [], lastSubSequenceNumber: undefined, counts: { userRecords: rows, valid: rows, invalid: 0, droppedOutOfRange: 0, byReason: {} } };
  },
  async close(): Promise<void> {},
};

/** Runs replay over [fromMs, toMs); returns the segments it wrote. */
async function runReplay(store: MemoryStore, fromMs: number, toMs: number): Promise<{ written: [string, string][]; summary: ReplaySummary }> {
  const written: [string, string][] = [];
  const deleter = { delete: async (key: string): Promise<void> => void store.objects.delete(key) };
  const marker = await ReplayMarker.load(store, deleter, { stream: STREAM, table: 't', from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() }, fromMs, toMs, true);
  const writer = {
    writeSegment: async (seg: { firstSequence: string; lastSequence: string }): Promise<void> => void written.push([seg.firstSequence, seg.lastSequence]),
  } as unknown as LakeWriter<DlqEnvelope>;
  const summary = await replay(
    { store, deleter, processor, writer, checkpoints: async () => new Map([[SHARD, 'SHARD_END']]), marker, progress: { update: () => undefined, end: () => undefined }, logger: createLogger({ level: 'silent' }) },
    { stream: STREAM, table: 't', fromMs, toMs, segmentRules, fileRules },
  );
  return { written, summary };
}

const arrivalOf = (records: StreamRecord[], sequence: string): number => records.find((r) => r.sequenceNumber === sequence)!.arrivalMs;

describe('replay of a shard cut on a window phase', () => {
  // A record every 10 s for 30 minutes.
  const records = Array.from({ length: 180 }, (_, i) => record(T0 + i * 10_000 + 500));
  const hot = hotPath(records, PHASE_MS);

  it('writes exactly the hot path segments that hold the range, from any start time', async () => {
    const store = await lake(hot.files, PHASE_MS);
    const hotSpans = new Set(hot.segments.map((s) => s.join('-')));
    for (let fromMs = T0 + 3 * 60_000; fromMs < T0 + 12 * 60_000; fromMs += 7_300) {
      const toMs = fromMs + 9 * 60_000;
      const { written, summary } = await runReplay(store, fromMs, toMs);
      expect(summary.diverged).toEqual([]);
      expect(summary.skippedFiles).toEqual([]);
      for (const span of written) expect(hotSpans.has(span.join('-')), `from +${fromMs - T0} ms`).toBe(true);
      // Whole segments, from the shard's segment window that holds `from` (as with aligned windows).
      const startMs = rangeStartMs(fromMs, segmentRules.intervalMs, PHASE_MS);
      expect(startMs).toBeLessThanOrEqual(fromMs);
      const inRange = hot.segments.filter(([first, last]) => arrivalOf(records, last) >= startMs && arrivalOf(records, first) < toMs);
      expect(written).toEqual(inRange);
      for (const r of records) {
        if (r.arrivalMs >= fromMs && r.arrivalMs < toMs) expect(written.some(([first, last]) => first <= r.sequenceNumber && r.sequenceNumber <= last)).toBe(true);
      }
    }
  });

  it('cuts on the phase each raw object records: without it (phase 0) the same files plan other segments', async () => {
    // Bursts of three records a minute, 20-26 s past it: no raw file shows where a segment window starts.
    const bursts = Array.from({ length: 90 }, (_, i) => record(T0 + Math.floor(i / 3) * 60_000 + 20_000 + (i % 3) * 3000));
    const cut = hotPath(bursts, PHASE_MS);
    const fromMs = T0 + 6 * 60_000;
    const toMs = T0 + 20 * 60_000;
    const startMs = rangeStartMs(fromMs, segmentRules.intervalMs, PHASE_MS);
    const expected = cut.segments.filter(([first, last]) => arrivalOf(bursts, last) >= startMs && arrivalOf(bursts, first) < toMs);
    expect((await runReplay(await lake(cut.files, PHASE_MS), fromMs, toMs)).written).toEqual(expected);
    expect((await runReplay(await lake(cut.files, undefined), fromMs, toMs)).written).not.toEqual(expected);
  });

  it('keeps a segment whole across a raw file closed when its window went idle, as its object records', async () => {
    // The hot path closed a raw window early while caught up; its last records, shown later by Kinesis, went
    // into a file of their own in the same segment. The segments are the hot path's as before.
    const at = hot.files.findIndex((f, i) => i > 3 && f.length >= 4);
    const split = [...hot.files.slice(0, at), hot.files[at]!.slice(0, 2), hot.files[at]!.slice(2), ...hot.files.slice(at + 1)];
    const { written, summary } = await runReplay(await lake(split, PHASE_MS, new Set([at])), T0, T0 + 31 * 60_000);
    expect(summary.diverged).toEqual([]);
    expect(written).toEqual(hot.segments);
    // Without the mark the same files read as a forced segment cut there.
    const unmarked = await runReplay(await lake(split, PHASE_MS), T0, T0 + 31 * 60_000);
    expect(unmarked.written).not.toEqual(hot.segments);
    expect(unmarked.written.some(([, last]) => last === hot.files[at]![1]!.sequenceNumber)).toBe(true);
  });

  it('stops a shard whose files change phase', async () => {
    // Files 1.. hold one minute each, [37 s, 97 s) on: file 16 is the first of the segment window from 15:37.
    const store = await lake(hot.files.slice(0, 16), PHASE_MS);
    const rest = await lake(hot.files.slice(16), 5_000);
    for (const [key, o] of rest.objects) store.objects.set(key, o);
    const { summary } = await runReplay(store, T0, T0 + 30 * 60_000);
    expect(summary.diverged).toHaveLength(1);
    expect(summary.diverged[0]!.reason).toContain('window phase 5000 ms');

    // A range whose last segment window ends before the change: the file past it only closes that segment.
    expect(hot.files[16]![0]!.arrivalMs).toBeGreaterThanOrEqual(T0 + 15 * 60_000 + PHASE_MS);
    const early = await runReplay(store, T0, T0 + 15 * 60_000);
    expect(early.summary.diverged).toEqual([]);
    expect(early.written).toEqual(hot.segments.filter(([first]) => arrivalOf(records, first) < T0 + 15 * 60_000));
  });

  it('stops with the object and the value when a raw object records a phase that is not a number', async () => {
    const store = await lake(hot.files, PHASE_MS);
    const key = [...store.objects.keys()][3]!;
    store.objects.get(key)!.metadata[WINDOW_PHASE_METADATA] = 'soon';
    await expect(runReplay(store, T0, T0 + 30 * 60_000)).rejects.toThrow(`raw object ${key}: metadata ${WINDOW_PHASE_METADATA}="soon" is not a number of milliseconds`);
    // What a lease can hold, the service cut on, and replay accepts.
    store.objects.get(key)!.metadata[WINDOW_PHASE_METADATA] = String(PHASE_MS);
    expect((await runReplay(store, T0, T0 + 30 * 60_000)).summary.diverged).toEqual([]);
  });

  it('passes over a file before the range by its first record, or by its key minute when it holds none', () => {
    const ref = (minuteMs: number) => ({ key: 'k', shardId: SHARD, firstSequence: '1', lastSequence: '2', minuteMs });
    const fromMs = T0 + 12 * 60_000; // the shard's segment window holding it starts at 10:37
    const planFile = (arrivals: number[]) => ({ key: 'k', firstSequence: '1', lastSequence: '2', records: arrivals.map(record), windowPhaseMs: PHASE_MS });
    expect(beforeRange(planFile([T0 + 10 * 60_000 + 36_000]), ref(T0 + 10 * 60_000), fromMs, segmentRules.intervalMs)).toBe(true);
    expect(beforeRange(planFile([T0 + 10 * 60_000 + 37_000]), ref(T0 + 10 * 60_000), fromMs, segmentRules.intervalMs)).toBe(false);
    // The window is the first record's: a later record of an earlier window does not move the file before the range.
    expect(beforeRange(planFile([T0 + 10 * 60_000 + 40_000, T0 + 10 * 60_000 + 30_000]), ref(T0 + 10 * 60_000), fromMs, segmentRules.intervalMs)).toBe(false);
    // No record: only a key minute that ends by the window start proves it.
    expect(beforeRange(planFile([]), ref(T0 + 9 * 60_000), fromMs, segmentRules.intervalMs)).toBe(true);
    expect(beforeRange(planFile([]), ref(T0 + 10 * 60_000), fromMs, segmentRules.intervalMs)).toBe(false);
  });

  it('raw lookup (redrive) finds every record of a phased shard', async () => {
    const lookup = new RawLookup(await lake(hot.files, PHASE_MS), STREAM, fileRules.intervalMs);
    for (const r of records) {
      const found = await lookup.find({ shardId: SHARD, sequenceNumber: r.sequenceNumber, subSequenceNumber: undefined, arrivalMs: r.arrivalMs });
      expect(found?.sequenceNumber, `arrival +${r.arrivalMs - T0} ms`).toBe(r.sequenceNumber);
    }
  });
});
