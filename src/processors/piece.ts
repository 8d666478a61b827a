/**
 * The processing stage's unit of work: a piece (consecutive Kinesis records
 * of one shard bound for one output file) in, finished bytes out. Pure and
 * synchronous, so the consumer can run it inline or in a worker thread with
 * the same result. One bad record never fails the piece: it goes to the DLQ
 * with its reason while the rest lands.
 */
import type { StreamRecord } from '../consumer/records.js';
import { RawLineWriter } from '../sinks/rawLineWriter.js';
import { ColumnChunkBuilder } from '../lake/columnChunk.js';
import type { ProcessorContext } from './context.js';
import { makeEnvelope, type DlqEnvelope } from './envelope.js';
import { failure, type Failure } from './failure.js';
import { deaggregate, partitionKeyHash } from './kpl.js';
import { isFailure, normalizeEvent, type RecordMeta } from './normalize.js';
import { parsePayload } from './parse.js';

export type { ProcessorContext } from './context.js';
export type { DlqEnvelope } from './envelope.js';

export interface PieceInput {
  streamName: string;
  shardId: string;
  /** The shard's hash key range (decimal strings); user records whose explicit hash key falls outside are dropped and counted, as KCL does. Undefined: no check. */
  hashKeyRange: { startingHashKey: string; endingHashKey: string } | undefined;
  /** Plain Kinesis records (subSequenceNumber undefined), in shard order. */
  records: StreamRecord[];
}

export interface PieceCounts {
  /** User records kept (written to raw); an undecodable aggregate counts as one. */
  userRecords: number;
  valid: number;
  invalid: number;
  droppedOutOfRange: number;
  byReason: Record<string, number>;
}

export interface CleansedChunk {
  /** UTC event hour, 'YYYY-MM-DDTHH' (eventHourKey). */
  hour: string;
  rows: number;
  /** A binary column chunk (lake/columnChunk.ts). */
  chunk: Uint8Array;
}

export interface ProcessedPiece {
  /** Raw-zone JSONL bytes of every user record, bad ones included, in order. */
  raw: Uint8Array;
  rawRecords: number;
  /** Valid records, normalized, grouped by UTC event hour in order of first appearance. */
  cleansed: CleansedChunk[];
  /** Dead-letter envelopes of invalid records, in order. */
  dlq: DlqEnvelope[];
  /** The last user record's sub-sequence number if the last Kinesis record was a KPL aggregate, else undefined. */
  lastSubSequenceNumber: number | undefined;
  counts: PieceCounts;
}

interface Range {
  start: bigint;
  end: bigint;
}

// A raw line's metadata is ~150 bytes beyond the payload; a short guess only costs one regrowth.
const RAW_LINE_OVERHEAD = 192;

/**
 * Builders kept between pieces in this thread (processPiece is synchronous,
 * so no two pieces share one). A piece usually fills one or two event hours;
 * a few spares cover late data without holding memory for every hour ever seen.
 */
const spareBuilders: ColumnChunkBuilder[] = [];
const MAX_SPARE_BUILDERS = 4;

class PieceOutput {
  readonly raw: RawLineWriter;
  readonly hours = new Map<string, ColumnChunkBuilder>();
  readonly dlq: DlqEnvelope[] = [];
  readonly counts: PieceCounts = { userRecords: 0, valid: 0, invalid: 0, droppedOutOfRange: 0, byReason: {} };

  constructor(records: readonly StreamRecord[]) {
    let payload = 0;
    for (const r of records) payload += r.data.length;
    this.raw = new RawLineWriter(payload + records.length * RAW_LINE_OVERHEAD);
  }

  reject(envelope: DlqEnvelope): void {
    this.dlq.push(envelope);
    this.counts.invalid++;
    this.counts.byReason[envelope.reason] = (this.counts.byReason[envelope.reason] ?? 0) + 1;
  }

  builderFor(hour: string): ColumnChunkBuilder {
    let builder = this.hours.get(hour);
    if (builder === undefined) this.hours.set(hour, (builder = spareBuilders.pop() ?? new ColumnChunkBuilder()));
    return builder;
  }

  finish(lastSubSequenceNumber: number | undefined): ProcessedPiece {
    const cleansed = [...this.hours].map(([hour, b]) => {
      const chunk = { hour, rows: b.rows, chunk: b.encode() };
      b.reset();
      if (spareBuilders.length < MAX_SPARE_BUILDERS) spareBuilders.push(b);
      return chunk;
    });
    return { raw: this.raw.bytes(), rawRecords: this.raw.lines, cleansed, dlq: this.dlq, lastSubSequenceNumber, counts: this.counts };
  }
}

export function processPiece(input: PieceInput, ctx: ProcessorContext): ProcessedPiece {
  const out = new PieceOutput(input.records);
  const range = input.hashKeyRange === undefined ? undefined : { start: BigInt(input.hashKeyRange.startingHashKey), end: BigInt(input.hashKeyRange.endingHashKey) };
  let lastSub: number | undefined;
  for (const record of input.records) {
    lastSub = processKinesisRecord(record, input, range, ctx, out);
  }
  return out.finish(lastSub);
}

/** Returns the last sub-sequence number when the record is an aggregate. */
function processKinesisRecord(record: StreamRecord, input: PieceInput, range: Range | undefined, ctx: ProcessorContext, out: PieceOutput): number | undefined {
  const d = deaggregate(record.data);
  if (d.kind === 'plain') {
    // Plain records arrive with no sub-sequence number; only that field reaches the outputs, so no copy is needed then.
    processUserRecord(record.subSequenceNumber === undefined ? record : { ...record, subSequenceNumber: undefined }, input.streamName, ctx, out);
    return undefined;
  }
  if (d.kind === 'bad_checksum' || d.kind === 'truncated' || d.kind === 'too_many') {
    const f =
      d.kind === 'bad_checksum'
        ? failure('deaggregate', 'kpl_bad_checksum', 'KPL aggregate MD5 does not match its contents')
        : d.kind === 'too_many'
          ? failure('deaggregate', 'kpl_too_many_records', `KPL aggregate of ${record.data.length} bytes holds more than ${d.limit} user records (at most 256, or one per 32 bytes)`)
          : failure('deaggregate', 'kpl_truncated', `KPL aggregate cannot be decoded: ${d.detail}`);
    rejectWhole({ ...record, subSequenceNumber: undefined }, input.streamName, f, ctx, out);
    return undefined;
  }
  if (d.records.length === 0) {
    // Checksum right, no user record in it: without this it would leave no trace at all.
    rejectWhole({ ...record, subSequenceNumber: undefined }, input.streamName, failure('deaggregate', 'kpl_empty', 'KPL aggregate holds no user records'), ctx, out);
    return undefined;
  }
  d.records.forEach((user, index) => {
    if (range !== undefined && !inRange(user.explicitHashKey, user.partitionKey, range)) {
      out.counts.droppedOutOfRange++;
      return;
    }
    processUserRecord(
      {
        shardId: record.shardId,
        sequenceNumber: record.sequenceNumber,
        subSequenceNumber: index,
        partitionKey: user.partitionKey,
        explicitHashKey: user.explicitHashKey,
        arrivalMs: record.arrivalMs,
        data: user.data,
      },
      input.streamName,
      ctx,
      out,
    );
  });
  return d.records.length > 0 ? d.records.length - 1 : undefined;
}

// KCL keeps a user record only when its effective hash key (explicit, else MD5 of the partition key) is the shard's.
function inRange(explicitHashKey: string | undefined, partitionKey: string, range: Range): boolean {
  let h: bigint;
  if (explicitHashKey !== undefined && /^\d{1,39}$/.test(explicitHashKey)) h = BigInt(explicitHashKey);
  else h = partitionKeyHash(partitionKey);
  return h >= range.start && h <= range.end;
}

/** One raw line and one envelope for a Kinesis record that cannot be split into user records. */
function rejectWhole(record: StreamRecord, stream: string, f: Failure, ctx: ProcessorContext, out: PieceOutput): void {
  out.counts.userRecords++;
  out.raw.append(record, false);
  out.reject(makeEnvelope({ ...record, stream }, f, ctx.serviceVersion));
}

/** Runs one user record through parse, validate and normalize; the per-record error guard lives here. */
function processUserRecord(record: StreamRecord, stream: string, ctx: ProcessorContext, out: PieceOutput): void {
  ctx.crashHook?.(record.data);
  out.counts.userRecords++;
  let rawWritten = false;
  try {
    const parsed = parsePayload(record.data, ctx.options);
    out.raw.append(record, parsed.verbatim);
    rawWritten = true;
    if (!parsed.ok) {
      out.reject(makeEnvelope({ ...record, stream }, parsed.failure, ctx.serviceVersion));
      return;
    }
    const meta: RecordMeta = record;
    const row = normalizeEvent(parsed.value, meta, { schemas: ctx.schemas, maxFutureMs: ctx.options.maxFutureMs, pii: ctx.pii });
    if (isFailure(row)) {
      out.reject(makeEnvelope({ ...record, stream }, row, ctx.serviceVersion));
      return;
    }
    out.builderFor(row.hour).push(row.values);
    out.counts.valid++;
  } catch (err) {
    // A bug in a step must cost one record, not the piece; the message names the error type only.
    if (!rawWritten) out.raw.append(record, false);
    const what = err instanceof Error ? err.name : typeof err;
    out.reject(makeEnvelope({ ...record, stream }, failure('process', 'processor_crash', `processing threw ${what}`), ctx.serviceVersion));
  }
}
