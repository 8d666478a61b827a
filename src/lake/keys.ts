/**
 * Object keys of the lake. A key is a pure function of the records it
 * holds (shard and sequence range, plus the window or event hour they were
 * cut on), so a replayed segment overwrites the same objects instead of
 * adding copies. The partition directories are what the Glue tables'
 * partition projection (tables.ts) enumerates; a test holds the two together.
 */
import type { EventHourKey } from './cleansedColumns.js';

export interface CleansedKeyParts {
  /** Cleansed table directory under cleansed/ (e.g. "events"). */
  table: string;
  shardId: string;
  firstSequence: string;
  lastSequence: string;
  /** UTC event hour of every row in the file, 'YYYY-MM-DDTHH' (see eventHourKey). */
  hour: EventHourKey;
}

export interface RawKeyParts {
  stream: string;
  shardId: string;
  firstSequence: string;
  lastSequence: string;
  /** Arrival time of the file's first record, epoch ms: names its minute partition. */
  windowStartMs: number;
}

const HOUR_KEY = /^(\d{4}-\d{2}-\d{2})T(\d{2})$/;
// One path segment, no traversal: these names come from config and Kinesis.
const PATH_SEGMENT = /^[A-Za-z0-9_.=-]+$/;

function segment(what: string, value: string): string {
  if (!PATH_SEGMENT.test(value) || value === '.' || value === '..') {
    throw new Error(`${what} ${JSON.stringify(value)} cannot be used in an object key`);
  }
  return value;
}

function fileStem(parts: { shardId: string; firstSequence: string; lastSequence: string }): string {
  return `${segment('shard id', parts.shardId)}-${segment('sequence number', parts.firstSequence)}-${segment('sequence number', parts.lastSequence)}`;
}

/** cleansed/<table>/dt=YYYY-MM-DD/hour=HH/<shardId>-<firstSequence>-<lastSequence>.parquet */
export function cleansedKey(parts: CleansedKeyParts): string {
  const match = HOUR_KEY.exec(parts.hour);
  // The round trip rejects calendar impossibilities such as 2026-02-30.
  const parsed = Date.parse(`${parts.hour}:00:00Z`);
  if (!match || Number.isNaN(parsed) || new Date(parsed).toISOString().slice(0, 13) !== parts.hour) {
    throw new Error(`event hour ${JSON.stringify(parts.hour)} is not of the form YYYY-MM-DDTHH`);
  }
  return `cleansed/${segment('table', parts.table)}/dt=${match[1]}/hour=${match[2]}/${fileStem(parts)}.parquet`;
}

/** raw/<stream>/year=YYYY/month=MM/day=DD/hour=HH/minute=mm/<shardId>-<firstSequence>-<lastSequence>.jsonl.gz, in UTC */
export function rawKey(parts: RawKeyParts): string {
  if (!Number.isFinite(parts.windowStartMs)) throw new Error(`window start ${parts.windowStartMs} is not a time`);
  const iso = new Date(parts.windowStartMs).toISOString();
  const [year, month, day, hour, minute] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13), iso.slice(14, 16)];
  return (
    `raw/${segment('stream', parts.stream)}/year=${year}/month=${month}/day=${day}/hour=${hour}/minute=${minute}/` +
    `${fileStem(parts)}.jsonl.gz`
  );
}
