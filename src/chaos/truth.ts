/**
 * The chaos run's ground truth: one entry per user record the producer got
 * a sequence number for (a plain record, one user record of a KPL
 * aggregate, or a whole aggregate with a broken checksum), written as JSON
 * lines while producing so a crashed orchestrator still leaves evidence.
 */
import { readFileSync } from 'node:fs';
import { compareSequence } from '../consumer/records.js';

export type TruthKind = 'plain' | 'kpl' | 'kpl_corrupt';

export interface TruthEntry {
  shardId: string;
  sequenceNumber: string;
  /** Index inside a KPL aggregate; null for a plain record or an undecodable aggregate. */
  subSequenceNumber: number | null;
  kind: TruthKind;
  /** True when the pipeline must accept it into the cleansed zone. */
  valid: boolean;
  sha256: string;
  payloadBase64: string;
}

export function readTruth(path: string): TruthEntry[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as TruthEntry);
}

/** Last produced sequence number per shard: where each checkpoint must arrive. */
export function lastSequencePerShard(entries: readonly TruthEntry[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const e of entries) {
    const prev = last.get(e.shardId);
    if (prev === undefined || compareSequence(e.sequenceNumber, prev) > 0) last.set(e.shardId, e.sequenceNumber);
  }
  return last;
}
