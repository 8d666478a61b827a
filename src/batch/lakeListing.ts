/**
 * Finds objects by what their keys say: raw files by arrival-time minute
 * partition (whole hours listed at once where the range covers them), and
 * the cleansed spans a shard already has. Keys name their exact first and
 * last sequence numbers, so no object needs to be opened for this.
 */
import type { ObjectStorePort } from '../sinks/objectStore.js';
import { compareSequence } from '../consumer/records.js';

export interface RawFileRef {
  key: string;
  shardId: string;
  firstSequence: string;
  lastSequence: string;
  /** Start of the minute partition (the file's first arrival, to the minute). */
  minuteMs: number;
}

export interface CleansedSpan {
  key: string;
  shardId: string;
  firstSequence: string;
  lastSequence: string;
  /** 'YYYY-MM-DDTHH' */
  hour: string;
}

const RAW_KEY = /^raw\/[^/]+\/year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})\/minute=(\d{2})\/(.+)-(\d+)-(\d+)\.jsonl\.gz$/;
const CLEANSED_KEY = /^cleansed\/[^/]+\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/(.+)-(\d+)-(\d+)\.parquet$/;
const MINUTE = 60_000;
const HOUR = 3_600_000;

export function parseRawKey(key: string): RawFileRef | undefined {
  const m = RAW_KEY.exec(key);
  if (!m) return undefined;
  return {
    key,
    minuteMs: Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])),
    shardId: m[6]!,
    firstSequence: m[7]!,
    lastSequence: m[8]!,
  };
}

/** A cleansed key written for a segment; redrive's own files (redrive-<id>) do not match. */
export function parseCleansedKey(key: string): CleansedSpan | undefined {
  const m = CLEANSED_KEY.exec(key);
  if (!m || m[3]!.startsWith('redrive-')) return undefined;
  return { key, hour: `${m[1]}T${m[2]}`, shardId: m[3]!, firstSequence: m[4]!, lastSequence: m[5]! };
}

function partitionPrefix(stream: string, ms: number, withMinute: boolean): string {
  const iso = new Date(ms).toISOString();
  const base = `raw/${stream}/year=${iso.slice(0, 4)}/month=${iso.slice(5, 7)}/day=${iso.slice(8, 10)}/hour=${iso.slice(11, 13)}/`;
  return withMinute ? `${base}minute=${iso.slice(14, 16)}/` : base;
}

/** Raw files whose minute partition lies in [startMs, endMs), grouped by shard in sequence order. */
export async function listRawFiles(store: ObjectStorePort, stream: string, startMs: number, endMs: number): Promise<Map<string, RawFileRef[]>> {
  const prefixes: string[] = [];
  let t = Math.floor(startMs / MINUTE) * MINUTE;
  while (t < endMs) {
    if (t % HOUR === 0 && t + HOUR <= endMs) {
      prefixes.push(partitionPrefix(stream, t, false));
      t += HOUR;
    } else {
      prefixes.push(partitionPrefix(stream, t, true));
      t += MINUTE;
    }
  }
  const byShard = new Map<string, RawFileRef[]>();
  for (const prefix of prefixes) {
    for (const o of await store.list(prefix)) {
      const ref = parseRawKey(o.key);
      if (!ref) continue;
      const list = byShard.get(ref.shardId) ?? [];
      list.push(ref);
      byShard.set(ref.shardId, list);
    }
  }
  for (const list of byShard.values()) list.sort((a, b) => compareSequence(a.firstSequence, b.firstSequence));
  return byShard;
}

/** Every segment-named cleansed object of the table, grouped by shard. */
export async function listCleansedSpans(store: ObjectStorePort, table: string): Promise<Map<string, CleansedSpan[]>> {
  const byShard = new Map<string, CleansedSpan[]>();
  for (const o of await store.list(`cleansed/${table}/`)) {
    const span = parseCleansedKey(o.key);
    if (!span) continue;
    const list = byShard.get(span.shardId) ?? [];
    list.push(span);
    byShard.set(span.shardId, list);
  }
  return byShard;
}
