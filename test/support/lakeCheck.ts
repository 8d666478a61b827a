import { createHash } from 'node:crypto';
import type { GroundTruthEntry } from '../../src/producer/producer.js';
import { readRawZone, recordIdentity, type RawObject } from '../../src/sinks/rawReader.js';
import { compareSequence } from '../../src/consumer/records.js';
import type { Lake } from './env.js';

export interface RawCheck {
  objects: RawObject[];
  found: number;
  missing: string[];
  duplicates: string[];
  /** Keys of the objects that hold a duplicate (for a failure message: which cuts disagreed). */
  duplicateObjects: string[];
  corrupted: string[];
  unexpected: string[];
  /** Highest sequence number written per shard. */
  lastPerShard: Map<string, string>;
}

/** Compares the raw zone with the producer's ground truth, record by record. */
export async function checkRawZone(lake: Lake, entries: GroundTruthEntry[]): Promise<RawCheck> {
  const objects = await readRawZone(lake.store, lake.stream);
  const seen = new Map<string, number>();
  const hashes = new Map<string, string>();
  const lastPerShard = new Map<string, string>();
  for (const o of objects) {
    for (const r of o.records) {
      const id = recordIdentity(r);
      seen.set(id, (seen.get(id) ?? 0) + 1);
      hashes.set(id, createHash('sha256').update(r.data).digest('hex'));
      const prev = lastPerShard.get(r.shardId);
      if (!prev || compareSequence(r.sequenceNumber, prev) > 0) lastPerShard.set(r.shardId, r.sequenceNumber);
    }
  }
  const expected = new Set<string>();
  const missing: string[] = [];
  const corrupted: string[] = [];
  for (const e of entries) {
    const id = recordIdentity({ shardId: e.shardId, sequenceNumber: e.sequenceNumber, subSequenceNumber: undefined });
    expected.add(id);
    const h = hashes.get(id);
    if (h === undefined) missing.push(id);
    else if (h !== e.sha256) corrupted.push(id);
  }
  const duplicates = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  const doubled = new Set(duplicates);
  const duplicateObjects = objects.filter((o) => o.records.some((r) => doubled.has(recordIdentity(r)))).map((o) => o.key);
  const unexpected = [...seen.keys()].filter((id) => !expected.has(id));
  return { objects, found: seen.size, missing, duplicates, duplicateObjects, corrupted, unexpected, lastPerShard };
}

/** Last produced sequence number per shard. */
export function lastProducedPerShard(entries: GroundTruthEntry[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const e of entries) {
    const prev = last.get(e.shardId);
    if (!prev || compareSequence(e.sequenceNumber, prev) > 0) last.set(e.shardId, e.sequenceNumber);
  }
  return last;
}

/** True once every shard's checkpoint in the lease table has reached the last produced record. */
export async function checkpointsReached(lake: Lake, last: Map<string, string>): Promise<boolean> {
  const leases = new Map((await lake.leases.listLeases().catch(() => [])).map((l) => [l.leaseKey, l.checkpoint]));
  for (const [shard, seq] of last) {
    const cp = leases.get(shard);
    if (cp === undefined || cp === 'TRIM_HORIZON' || cp === 'LATEST') return false;
    if (cp !== 'SHARD_END' && compareSequence(cp, seq) < 0) return false;
  }
  return true;
}
