/**
 * The reconciler: compares what a run produced with what the lake holds,
 * record by record, and says whether exactly-once held. Pure over its
 * inputs (objects' bytes, Parquet identity rows, queue message bodies, query
 * results), so a test can hand it a deliberately corrupted copy of a lake.
 *
 * - raw zone: every produced user record, valid or not, exactly once by
 *   (shard, sequence, sub-sequence), with the produced payload bytes;
 * - cleansed zone: every valid record exactly once, nothing else;
 * - DLQ: every malformed record at least once; after de-duplication by
 *   envelope id exactly once, with the produced payload; nothing else;
 * - nothing in any zone that was not produced;
 * - the five business queries over the cleansed zone equal the ground truth
 *   computed from the produced events. user_id/session_id are HMAC tokens in
 *   the cleansed zone, but tokenization is injective, so the only query that
 *   reads them (distinct users and sessions per day) is unchanged.
 */
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { decodeRawLine } from '../sinks/rawLine.js';
import { recordIdentity } from '../sinks/rawReader.js';
import { envelopeId } from '../processors/envelope.js';
import { groundTruth, type ClickstreamEvent } from '../lake/groundTruth.js';
import { QUERY_NAMES, type LakeQueryResults, type QueryName } from '../lake/queryResults.js';
import type { TruthEntry } from './truth.js';

export interface LakeObject {
  key: string;
  body: Uint8Array;
}

export interface CleansedRow {
  /** The object key the row was read from. */
  key: string;
  shardId: string;
  sequenceNumber: string;
  subSequenceNumber: number | null;
}

export interface ReconcileInput {
  stream: string;
  produced: readonly TruthEntry[];
  /** Every object under raw/<stream>/, gzipped JSON lines as stored. */
  rawObjects: readonly LakeObject[];
  /** Identity columns of every row of every cleansed Parquet file. */
  cleansedRows: readonly CleansedRow[];
  /** Cleansed files that could not be read (a corrupted Parquet file). */
  cleansedUnreadable: readonly string[];
  cleansedFiles: number;
  /** Bodies of every message drained from the dead-letter queue. */
  dlqMessages: readonly string[];
  /** The five queries run over the cleansed zone; undefined when they could not run. */
  lakeQueries: LakeQueryResults | undefined;
}

export interface ZoneFigures {
  expected: number;
  found: number;
  distinct: number;
  missing: number;
  duplicated: number;
  unexpected: number;
  payloadMismatch: number;
}

export interface ReconcileReport {
  ok: boolean;
  produced: { userRecords: number; valid: number; malformed: number; kplUserRecords: number; corruptAggregates: number };
  raw: ZoneFigures & { objects: number; unreadableObjects: number };
  cleansed: ZoneFigures & { files: number; unreadableFiles: number };
  /** `found` counts messages, `distinct` envelope ids, `duplicated` redeliveries (allowed: the DLQ is at-least-once). */
  dlq: ZoneFigures & { unparseable: number };
  queries: Record<QueryName, 'equal' | 'differs' | 'not run'>;
  /** Up to a few examples per kind of problem, for the log. */
  problems: string[];
}

const EXAMPLES = 5;

class Problems {
  readonly lines: string[] = [];
  readonly #counts = new Map<string, number>();
  add(kind: string, detail: string): void {
    const n = (this.#counts.get(kind) ?? 0) + 1;
    this.#counts.set(kind, n);
    if (n <= EXAMPLES) this.lines.push(`${kind}: ${detail}`);
  }
}

function idOf(e: { shardId: string; sequenceNumber: string; subSequenceNumber: number | null | undefined }): string {
  return recordIdentity({ shardId: e.shardId, sequenceNumber: e.sequenceNumber, subSequenceNumber: e.subSequenceNumber ?? undefined });
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function emptyFigures(expected: number): ZoneFigures {
  return { expected, found: 0, distinct: 0, missing: 0, duplicated: 0, unexpected: 0, payloadMismatch: 0 };
}

function reconcileRaw(input: ReconcileInput, byId: Map<string, TruthEntry>, problems: Problems): ReconcileReport['raw'] {
  const fig = { ...emptyFigures(byId.size), objects: input.rawObjects.length, unreadableObjects: 0 };
  const seen = new Map<string, number>();
  for (const obj of input.rawObjects) {
    let lines: string[];
    try {
      lines = gunzipSync(obj.body).toString('utf8').split('\n').filter((l) => l.length > 0);
    } catch (err) {
      fig.unreadableObjects++;
      problems.add('raw object unreadable', `${obj.key} (${err instanceof Error ? err.message : String(err)})`);
      continue;
    }
    for (const line of lines) {
      let rec;
      try {
        rec = decodeRawLine(line);
      } catch {
        fig.unreadableObjects++;
        problems.add('raw line unreadable', obj.key);
        continue;
      }
      fig.found++;
      const id = idOf(rec);
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      if (n === 2) {
        fig.duplicated++;
        problems.add('raw duplicate', `${id} (again in ${obj.key})`);
      }
      const truth = byId.get(id);
      if (truth === undefined) {
        if (n === 1) fig.unexpected++;
        problems.add('raw record not produced', `${id} in ${obj.key}`);
      } else if (sha256(rec.data) !== truth.sha256) {
        fig.payloadMismatch++;
        problems.add('raw payload differs', `${id} in ${obj.key}`);
      }
    }
  }
  fig.distinct = seen.size;
  for (const id of byId.keys()) {
    if (!seen.has(id)) {
      fig.missing++;
      problems.add('raw missing', id);
    }
  }
  return fig;
}

function reconcileCleansed(input: ReconcileInput, byId: Map<string, TruthEntry>, problems: Problems): ReconcileReport['cleansed'] {
  const valid = [...byId.values()].filter((e) => e.valid);
  const fig = { ...emptyFigures(valid.length), files: input.cleansedFiles, unreadableFiles: input.cleansedUnreadable.length };
  for (const key of input.cleansedUnreadable) problems.add('cleansed file unreadable', key);
  const seen = new Map<string, number>();
  for (const row of input.cleansedRows) {
    fig.found++;
    const id = idOf(row);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    if (n === 2) {
      fig.duplicated++;
      problems.add('cleansed duplicate', `${id} (again in ${row.key})`);
    }
    const truth = byId.get(id);
    if ((truth === undefined || !truth.valid) && n === 1) {
      fig.unexpected++;
      problems.add(truth === undefined ? 'cleansed record not produced' : 'cleansed record is malformed', `${id} in ${row.key}`);
    }
  }
  fig.distinct = seen.size;
  for (const e of valid) {
    const id = idOf(e);
    if (!seen.has(id)) {
      fig.missing++;
      problems.add('cleansed missing', id);
    }
  }
  return fig;
}

interface EnvelopeView {
  id?: unknown;
  shardId?: unknown;
  sequenceNumber?: unknown;
  subSequenceNumber?: unknown;
  payloadBase64?: unknown;
}

function reconcileDlq(input: ReconcileInput, byId: Map<string, TruthEntry>, problems: Problems): ReconcileReport['dlq'] {
  const malformed = [...byId.values()].filter((e) => !e.valid);
  const fig = { ...emptyFigures(malformed.length), unparseable: 0 };
  // Envelope id -> the record identity it must stand for.
  const expectedIds = new Map(malformed.map((e) => [envelopeId(input.stream, e.shardId, e.sequenceNumber, e.subSequenceNumber ?? undefined), e]));
  const seen = new Set<string>();
  for (const body of input.dlqMessages) {
    fig.found++;
    let env: EnvelopeView;
    try {
      env = JSON.parse(body) as EnvelopeView;
    } catch {
      fig.unparseable++;
      problems.add('DLQ message unparseable', body.slice(0, 80));
      continue;
    }
    const id = typeof env.id === 'string' ? env.id : '';
    if (seen.has(id)) {
      fig.duplicated++;
      continue;
    }
    seen.add(id);
    const truth = expectedIds.get(id);
    if (truth === undefined) {
      fig.unexpected++;
      problems.add('DLQ envelope not expected', `${id} (${String(env.shardId)}/${String(env.sequenceNumber)}/${String(env.subSequenceNumber)})`);
      continue;
    }
    const sameIdentity = env.shardId === truth.shardId && env.sequenceNumber === truth.sequenceNumber && (env.subSequenceNumber ?? null) === truth.subSequenceNumber;
    if (!sameIdentity || env.payloadBase64 !== truth.payloadBase64) {
      fig.payloadMismatch++;
      problems.add('DLQ envelope differs', idOf(truth));
    }
  }
  fig.distinct = seen.size;
  for (const [id, e] of expectedIds) {
    if (!seen.has(id)) {
      fig.missing++;
      problems.add('DLQ missing', idOf(e));
    }
  }
  return fig;
}

function compareQueries(input: ReconcileInput, byId: Map<string, TruthEntry>, problems: Problems): ReconcileReport['queries'] {
  const events: ClickstreamEvent[] = [];
  for (const e of byId.values()) if (e.valid) events.push(JSON.parse(Buffer.from(e.payloadBase64, 'base64').toString('utf8')) as ClickstreamEvent);
  const expected = groundTruth(events);
  const out = {} as Record<QueryName, 'equal' | 'differs' | 'not run'>;
  for (const name of QUERY_NAMES) {
    if (input.lakeQueries === undefined) {
      out[name] = 'not run';
      problems.add('query not run', name);
    } else if (isDeepStrictEqual(input.lakeQueries[name], expected[name])) {
      out[name] = 'equal';
    } else {
      out[name] = 'differs';
      problems.add('query differs from ground truth', name);
    }
  }
  return out;
}

function zoneOk(f: ZoneFigures): boolean {
  return f.missing === 0 && f.duplicated === 0 && f.unexpected === 0 && f.payloadMismatch === 0;
}

export function reconcile(input: ReconcileInput): ReconcileReport {
  const problems = new Problems();
  const byId = new Map<string, TruthEntry>();
  for (const e of input.produced) {
    const id = idOf(e);
    if (byId.has(id)) problems.add('ground truth lists a record twice', id);
    byId.set(id, e);
  }
  const entries = [...byId.values()];
  const raw = reconcileRaw(input, byId, problems);
  const cleansed = reconcileCleansed(input, byId, problems);
  const dlq = reconcileDlq(input, byId, problems);
  const queries = compareQueries(input, byId, problems);
  const ok =
    zoneOk(raw) &&
    raw.unreadableObjects === 0 &&
    zoneOk(cleansed) &&
    cleansed.unreadableFiles === 0 &&
    // Redelivered envelopes are allowed; after de-duplication each malformed record is there once.
    dlq.missing === 0 &&
    dlq.unexpected === 0 &&
    dlq.payloadMismatch === 0 &&
    dlq.unparseable === 0 &&
    Object.values(queries).every((q) => q === 'equal') &&
    entries.length > 0;
  return {
    ok,
    produced: {
      userRecords: entries.length,
      valid: entries.filter((e) => e.valid).length,
      malformed: entries.filter((e) => !e.valid).length,
      kplUserRecords: entries.filter((e) => e.kind === 'kpl').length,
      corruptAggregates: entries.filter((e) => e.kind === 'kpl_corrupt').length,
    },
    raw,
    cleansed,
    dlq,
    queries,
    problems: problems.lines,
  };
}
