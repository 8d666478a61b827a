/**
 * `replay`: rebuilds the cleansed zone for an arrival-time range from the
 * raw zone. Per shard: list the raw files (minute partitions), decode them
 * back to Kinesis records (regroup.ts), find the hot path's segments again
 * (segmentPlanner.ts), run the same processors on each segment's files and
 * write its cleansed files through LakeWriter.writeSegment, so the keys are
 * the hot path's keys and, for unchanged code, the bytes are too. Hours a
 * segment no longer produces (after a code change) are deleted, so a replay
 * leaves exactly what the current code makes. The raw zone and the DLQ are
 * only read from / left alone.
 */
import { gunzip as gunzipCb } from 'node:zlib';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';
import { windowIndex, windowStartMs, type CutRules } from '../consumer/fileCutter.js';
import { compareSequence } from '../consumer/records.js';
import type { PieceOutput, PieceProcessor } from '../consumer/pieceProcessor.js';
import type { DlqEnvelope } from '../processors/envelope.js';
import type { ObjectStorePort } from '../sinks/objectStore.js';
import { IDLE_CUT_METADATA, WINDOW_PHASE_METADATA, type LakeWriter } from '../sinks/lakeWriter.js';
import { decodeRawLine } from '../sinks/rawLine.js';
import { listCleansedSpans, listRawFiles, type CleansedSpan, type RawFileRef } from './lakeListing.js';
import { REPLAY_HASH_KEY_RANGE, toKinesisRecords } from './regroup.js';
import { SegmentPlanner, type PlanFile, type PlannedSegment } from './segmentPlanner.js';
import type { ObjectDeletePort } from './objectDelete.js';
import type { ReplayMarker } from './replayMarker.js';
import type { ProgressSink } from './progressBar.js';

const gunzip = promisify(gunzipCb);
const MINUTE_MS = 60_000;

export interface ReplayDeps {
  store: ObjectStorePort;
  deleter: ObjectDeletePort;
  processor: PieceProcessor<DlqEnvelope>;
  writer: LakeWriter<DlqEnvelope>;
  /** Checkpoint per shard from the lease table ('SHARD_END' and other sentinels as stored). */
  checkpoints: () => Promise<Map<string, string>>;
  marker: ReplayMarker;
  progress: ProgressSink;
  logger: Logger;
  /** Test hook: stop making progress after this many written segments (to kill the process there). */
  stallAfterSegments?: number;
}

export interface ReplayOptions {
  stream: string;
  table: string;
  fromMs: number;
  toMs: number;
  segmentRules: CutRules;
  fileRules: CutRules;
  /** Shards replayed at once. */
  concurrency?: number;
}

export interface ReplaySummary {
  shards: number;
  rawFiles: number;
  segmentsWritten: number;
  /** Segments an earlier interrupted run already finished. */
  segmentsResumed: number;
  cleansedObjectsWritten: number;
  staleObjectsDeleted: number;
  /** Files before the first provable segment start of their shard. */
  skippedFiles: string[];
  /** Trailing segments not yet proven closed (the hot path may still be writing them). */
  openFiles: string[];
  diverged: { shardId: string; key: string; reason: string }[];
  /** Planned spans that overlap an existing cleansed span without matching it: not written. */
  conflicts: { shardId: string; firstSequence: string; lastSequence: string; existing: string }[];
}

export async function replay(deps: ReplayDeps, options: ReplayOptions): Promise<ReplaySummary> {
  const interval = options.segmentRules.intervalMs;
  // A shard's windows start at its phase (recorded on each raw object), up to a
  // window before the epoch-aligned ones: list one window more on each side, and
  // start each shard at its own window holding `from` (rangeStartMs).
  const listStartMs = Math.max(0, Math.floor(options.fromMs / interval) * interval - interval);
  // Segments live inside one window, so the one that starts before `to` ends by that window's end.
  const listEndMs = Math.ceil(options.toMs / interval) * interval + interval;
  const [rawByShard, spansByShard, checkpoints] = await Promise.all([
    listRawFiles(deps.store, options.stream, listStartMs, listEndMs),
    listCleansedSpans(deps.store, options.table),
    deps.checkpoints(),
  ]);
  const summary: ReplaySummary = {
    shards: rawByShard.size,
    rawFiles: [...rawByShard.values()].reduce((n, l) => n + l.length, 0),
    segmentsWritten: 0,
    segmentsResumed: 0,
    cleansedObjectsWritten: 0,
    staleObjectsDeleted: 0,
    skippedFiles: [],
    openFiles: [],
    diverged: [],
    conflicts: [],
  };
  let filesDone = 0;
  const tick = (label: string): void => deps.progress.update(filesDone, summary.rawFiles, label);
  tick('listing done');

  const shardIds = [...rawByShard.keys()].sort();
  let next = 0;
  const runShard = async (shardId: string): Promise<void> => {
    const files = rawByShard.get(shardId)!;
    const spans = spansByShard.get(shardId) ?? [];
    // Made at the shard's first file in range, with that file's phase.
    let planner: SegmentPlanner | undefined;
    let phaseMs = 0;
    const doneThrough = deps.marker.doneThrough(shardId);
    const handle = async (segments: PlannedSegment[]): Promise<void> => {
      for (const seg of segments) {
        if (seg.firstArrivalMs !== undefined && seg.firstArrivalMs >= options.toMs) continue;
        if (doneThrough !== undefined && compareSequence(seg.lastSequence, doneThrough) <= 0) {
          summary.segmentsResumed++;
          continue;
        }
        await writeSegment(deps, options, shardId, seg, spans, summary);
        await deps.marker.record(shardId, seg.lastSequence);
        if (deps.stallAfterSegments !== undefined && summary.segmentsWritten >= deps.stallAfterSegments) {
          deps.logger.warn({ segments: summary.segmentsWritten }, 'test hook: replay stalls here');
          await new Promise(() => undefined);
        }
      }
    };
    // Prefetch the next file while the current one is processed.
    // A prefetch left unawaited (the range ended, or a step threw) must not fail the process as an unhandled
    // rejection: it is marked handled here, and awaiting it still throws.
    const prefetch = (i: number): Promise<PlanFile> | undefined => {
      const read = files[i] ? readFile(deps.store, files[i]!) : undefined;
      read?.catch(() => undefined);
      return read;
    };
    let pending = prefetch(0);
    for (let i = 0; i < files.length; i++) {
      const file = await pending!;
      pending = prefetch(i + 1);
      filesDone++;
      if (!planner?.hasStarted && beforeRange(file, files[i]!, options.fromMs, interval)) continue; // listed only for the early window
      const divergedBefore = planner?.diverged !== undefined;
      if (!planner) {
        phaseMs = file.windowPhaseMs;
        planner = new SegmentPlanner({
          segmentRules: { ...options.segmentRules, phaseMs },
          fileRules: { ...options.fileRules, phaseMs },
          listStartMs: rangeStartMs(options.fromMs, interval, phaseMs),
          adopted: spans,
        });
      } else if (file.windowPhaseMs !== phaseMs && !planner.diverged) {
        // The shard's lease was made again (a new lease table) with another phase: these cuts follow other rules.
        planner.diverged = { key: file.key, reason: `the raw file was cut on window phase ${file.windowPhaseMs} ms, the shard's earlier files on ${phaseMs} ms` };
      }
      // The first file past the shard's last window before `to` ends the range's last segment; none after it is needed.
      const first = file.records[0];
      const pastEnd = first !== undefined && first.arrivalMs >= rangeStartMs(options.toMs - 1, interval, phaseMs) + interval;
      await handle(planner.push(file));
      tick(shardId);
      if (pastEnd) {
        if (!divergedBefore) planner.diverged = undefined; // a mismatch found past the range is not the range's
        filesDone += files.length - i - 1;
        break;
      }
    }
    if (!planner) return;
    const checkpoint = checkpoints.get(shardId);
    const end = planner.finish((last) => checkpoint === 'SHARD_END' || (checkpoint !== undefined && /^\d+$/.test(checkpoint) && compareSequence(checkpoint, last) >= 0));
    await handle(end.segments);
    summary.skippedFiles.push(...planner.skipped.map((f) => f.key));
    // Open files that begin at or after `to` lie in the extra window listed, outside the range asked for.
    summary.openFiles.push(...end.open.filter((f) => !(f.records[0] !== undefined && f.records[0].arrivalMs >= options.toMs)).map((f) => f.key));
    if (planner.diverged) summary.diverged.push({ shardId, ...planner.diverged });
  };
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency ?? 4, shardIds.length) }, async () => {
      while (next < shardIds.length) await runShard(shardIds[next++]!);
    }),
  );
  deps.progress.end();
  await deps.marker.complete();
  return summary;
}

/** Start of the shard's segment window that holds `fromMs`: its windows start at phaseMs + k * intervalMs. */
export function rangeStartMs(fromMs: number, intervalMs: number, phaseMs: number): number {
  const rules = { intervalMs, phaseMs };
  return windowStartMs(windowIndex(fromMs, rules), rules);
}

/**
 * True when the whole file lies before its shard's window holding `fromMs`. A
 * file's window is its first record's (a later record of an earlier window stays
 * in the open file), and a file of dropped aggregates only has no record: its
 * key's minute (its first arrival, to the minute) decides when it can.
 */
export function beforeRange(file: PlanFile, ref: RawFileRef, fromMs: number, intervalMs: number): boolean {
  const startMs = rangeStartMs(fromMs, intervalMs, file.windowPhaseMs);
  const first = file.records[0];
  return first !== undefined ? first.arrivalMs < startMs : ref.minuteMs + MINUTE_MS <= startMs;
}

async function readFile(store: ObjectStorePort, ref: RawFileRef): Promise<PlanFile> {
  const { body, metadata } = await store.getWithMetadata(ref.key);
  const text = (await gunzip(body)).toString('utf8');
  const lines = text.split('\n').filter((l) => l.length > 0).map(decodeRawLine);
  const records = toKinesisRecords(lines);
  // Plain records come back byte for byte; a rebuilt aggregate does not, and a Kinesis record whose user
  // records were all dropped left no line (seen when the records do not reach the key's first or last sequence).
  const exact =
    lines.every((l) => l.subSequenceNumber === undefined) &&
    records.length > 0 &&
    records[0]!.sequenceNumber === ref.firstSequence &&
    records[records.length - 1]!.sequenceNumber === ref.lastSequence;
  const idleCut = metadata[IDLE_CUT_METADATA] === 'true';
  return { key: ref.key, firstSequence: ref.firstSequence, lastSequence: ref.lastSequence, records, windowPhaseMs: windowPhaseOfObject(ref.key, metadata), exact, ...(idleCut ? { idleCut } : {}) };
}

/**
 * The phase a raw object was cut on; an object written before phases has none and was cut on phase 0.
 * Any number the lease's attribute can hold is accepted, as the service cut on it.
 */
function windowPhaseOfObject(key: string, metadata: Record<string, string>): number {
  const text = metadata[WINDOW_PHASE_METADATA];
  if (text === undefined) return 0;
  const phase = Number(text);
  if (text.trim() === '' || !Number.isFinite(phase)) throw new Error(`raw object ${key}: metadata ${WINDOW_PHASE_METADATA}=${JSON.stringify(text)} is not a number of milliseconds`);
  return phase;
}

function overlaps(a: { firstSequence: string; lastSequence: string }, b: { firstSequence: string; lastSequence: string }): boolean {
  return compareSequence(a.firstSequence, b.lastSequence) <= 0 && compareSequence(b.firstSequence, a.lastSequence) <= 0;
}

async function writeSegment(deps: ReplayDeps, options: ReplayOptions, shardId: string, seg: PlannedSegment, spans: readonly CleansedSpan[], summary: ReplaySummary): Promise<void> {
  const same = spans.filter((s) => s.firstSequence === seg.firstSequence && s.lastSequence === seg.lastSequence);
  const clash = spans.find((s) => overlaps(s, seg) && !(s.firstSequence === seg.firstSequence && s.lastSequence === seg.lastSequence));
  if (clash) {
    // Writing would add a second copy of rows the existing object holds.
    summary.conflicts.push({ shardId, firstSequence: seg.firstSequence, lastSequence: seg.lastSequence, existing: clash.key });
    deps.logger.warn({ shardId, first: seg.firstSequence, last: seg.lastSequence, existing: clash.key }, 'replayed segment overlaps an existing cleansed object with another span; not written');
    return;
  }
  const outputs: Promise<PieceOutput<DlqEnvelope>>[] = seg.files
    .filter((f) => f.records.length > 0)
    .map((f) => deps.processor.process({ streamName: options.stream, shardId, hashKeyRange: REPLAY_HASH_KEY_RANGE, records: f.records }));
  const hours = new Set((await Promise.all(outputs)).flatMap((o) => o.cleansed.map((c) => c.hour)));
  await deps.writer.writeSegment({ shardId, firstSequence: seg.firstSequence, lastSequence: seg.lastSequence, forced: false, outputs });
  summary.segmentsWritten++;
  summary.cleansedObjectsWritten += hours.size;
  for (const stale of same.filter((s) => !hours.has(s.hour))) {
    await deps.deleter.delete(stale.key);
    summary.staleObjectsDeleted++;
    deps.logger.info({ shardId, key: stale.key }, 'cleansed object no longer produced by the current code; deleted');
  }
}
