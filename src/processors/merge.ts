/**
 * Stitching results back together after a piece was retried record by
 * record, and the stand-in result for a record that crashed every time.
 * Only the crash path uses this, so re-parsing chunks here costs nothing in
 * the steady state.
 */
import type { StreamRecord } from '../consumer/records.js';
import { CLEANSED_COLUMNS, type ColumnChunk } from '../lake/cleansedColumns.js';
import { chunkValues, decodeColumnChunk, encodeColumnChunk } from '../lake/columnChunk.js';
import { encodeRawLine } from '../sinks/rawLine.js';
import { makeEnvelope } from './envelope.js';
import { failure } from './failure.js';
import type { CleansedChunk, ProcessedPiece } from './piece.js';

/** One raw line (the whole Kinesis record) and one processor_crash envelope. */
export function crashedRecordResult(record: StreamRecord, stream: string, serviceVersion: string, cause: string): ProcessedPiece {
  const plain = { ...record, subSequenceNumber: undefined };
  const envelope = makeEnvelope({ ...plain, stream }, failure('process', 'processor_crash', `worker failed on this record twice: ${cause}`), serviceVersion);
  return {
    raw: encodeRawLine(plain, false),
    rawRecords: 1,
    cleansed: [],
    dlq: [envelope],
    lastSubSequenceNumber: undefined,
    counts: { userRecords: 1, valid: 0, invalid: 1, droppedOutOfRange: 0, byReason: { processor_crash: 1 } },
  };
}

export function mergePieces(parts: readonly ProcessedPiece[]): ProcessedPiece {
  const rawLength = parts.reduce((n, p) => n + p.raw.length, 0);
  const raw = new Uint8Array(rawLength);
  let at = 0;
  for (const p of parts) {
    raw.set(p.raw, at);
    at += p.raw.length;
  }
  const hours = new Map<string, ColumnChunk>();
  for (const p of parts) {
    for (const c of p.cleansed) {
      const chunk = chunkValues(decodeColumnChunk(c.chunk, 0));
      const into = hours.get(c.hour);
      if (into === undefined) hours.set(c.hour, chunk);
      else {
        for (const col of CLEANSED_COLUMNS) for (const v of chunk.columns[col.name]!) into.columns[col.name]!.push(v);
        into.rows += chunk.rows;
      }
    }
  }
  const cleansed: CleansedChunk[] = [...hours].map(([hour, chunk]) => ({ hour, rows: chunk.rows, chunk: encodeColumnChunk(chunk) }));
  const counts = { userRecords: 0, valid: 0, invalid: 0, droppedOutOfRange: 0, byReason: {} as Record<string, number> };
  for (const p of parts) {
    counts.userRecords += p.counts.userRecords;
    counts.valid += p.counts.valid;
    counts.invalid += p.counts.invalid;
    counts.droppedOutOfRange += p.counts.droppedOutOfRange;
    for (const [r, n] of Object.entries(p.counts.byReason)) counts.byReason[r] = (counts.byReason[r] ?? 0) + n;
  }
  return {
    raw,
    rawRecords: parts.reduce((n, p) => n + p.rawRecords, 0),
    cleansed,
    dlq: parts.flatMap((p) => p.dlq),
    lastSubSequenceNumber: parts.length === 0 ? undefined : parts[parts.length - 1]!.lastSubSequenceNumber,
    counts,
  };
}
