/**
 * Turns raw-zone lines back into the Kinesis records the processors take.
 *
 * A plain record is one line and comes back byte for byte. A KPL aggregate
 * was stored as one line per kept user record, carrying its
 * subSequenceNumber (its index in the aggregate). Those lines are grouped
 * by sequence number and re-encoded as one aggregate, so processPiece runs
 * its own de-aggregation and numbers the user records exactly as before.
 *
 * User records the hot path dropped (explicit hash key outside the shard)
 * left no line, so their indexes are gaps. A gap is filled with a
 * placeholder whose explicit hash key is REPLAY_DROP_KEY, and every kept
 * user record gets REPLAY_KEEP_KEY: with REPLAY_HASH_KEY_RANGE as the
 * piece's range, processPiece drops exactly the placeholders and keeps the
 * rest. No cleansed column or envelope carries the explicit hash key, so
 * the synthetic keys change nothing downstream.
 *
 * Limit: the re-encoded aggregate is not the original bytes (key tables and
 * tags differ), so a cut on KL_CLEANSED_FLUSH_MAX_BYTES that depended on an
 * aggregate's exact size can land elsewhere; segmentPlan.ts detects that
 * against the raw files' boundaries instead of guessing.
 */
import { compareSequence, type StreamRecord } from '../consumer/records.js';
import type { DecodedRawLine } from '../sinks/rawLine.js';
import { encodeAggregate, type AggregateEntry } from './kplEncode.js';

export const REPLAY_KEEP_KEY = '1';
export const REPLAY_DROP_KEY = '0';
export const REPLAY_HASH_KEY_RANGE = { startingHashKey: REPLAY_KEEP_KEY, endingHashKey: REPLAY_KEEP_KEY } as const;

/**
 * A placeholder's data: dropped unread, but 32 bytes of it keep a rebuilt
 * aggregate within kpl.ts's maxUserRecords (one user record per 32 bytes),
 * as the hot path's aggregate, whose dropped records were real ones, was.
 */
const PLACEHOLDER_DATA = new Uint8Array(32);

/** Lines of one shard, in file order, to Kinesis records in sequence order. */
export function toKinesisRecords(lines: readonly DecodedRawLine[]): StreamRecord[] {
  const out: StreamRecord[] = [];
  let group: DecodedRawLine[] = [];
  const flush = (): void => {
    if (group.length > 0) out.push(aggregateOf(group));
    group = [];
  };
  for (const line of lines) {
    if (line.subSequenceNumber === undefined) {
      flush();
      out.push({
        shardId: line.shardId,
        sequenceNumber: line.sequenceNumber,
        subSequenceNumber: undefined,
        partitionKey: line.partitionKey,
        explicitHashKey: undefined,
        arrivalMs: line.arrivalMs,
        data: line.data,
      });
      continue;
    }
    if (group.length > 0 && group[0]!.sequenceNumber !== line.sequenceNumber) flush();
    group.push(line);
  }
  flush();
  for (let i = 1; i < out.length; i++) {
    if (compareSequence(out[i - 1]!.sequenceNumber, out[i]!.sequenceNumber) >= 0) {
      throw new Error(`raw lines of ${out[i]!.shardId} are not in sequence order at ${out[i]!.sequenceNumber}`);
    }
  }
  return out;
}

function aggregateOf(lines: readonly DecodedRawLine[]): StreamRecord {
  const first = lines[0]!;
  const sorted = [...lines].sort((a, b) => a.subSequenceNumber! - b.subSequenceNumber!);
  const entries: AggregateEntry[] = [];
  for (const line of sorted) {
    const index = line.subSequenceNumber!;
    if (index < entries.length) throw new Error(`user record ${first.sequenceNumber}/${index} appears twice in the raw zone`);
    while (entries.length < index) entries.push({ partitionKey: line.partitionKey, explicitHashKey: REPLAY_DROP_KEY, data: PLACEHOLDER_DATA });
    entries.push({ partitionKey: line.partitionKey, explicitHashKey: REPLAY_KEEP_KEY, data: line.data });
  }
  return {
    shardId: first.shardId,
    sequenceNumber: first.sequenceNumber,
    subSequenceNumber: undefined,
    // The Kinesis record's own partition key is not stored; processPiece never reads it for an aggregate.
    partitionKey: first.partitionKey,
    explicitHashKey: undefined,
    arrivalMs: first.arrivalMs,
    data: encodeAggregate(entries),
  };
}
