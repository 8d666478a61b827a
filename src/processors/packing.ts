/**
 * Pieces and results as ONE transferable ArrayBuffer each way: a small JSON
 * header followed by the bytes. Transferring moves the memory instead of
 * cloning 500 objects (see library-measurements.md: cloning row objects back
 * halves throughput). Layout: [u32 header length][header JSON][bytes...].
 */
import type { StreamRecord } from '../consumer/records.js';
import type { DlqEnvelope } from './envelope.js';
import type { PieceCounts, PieceInput, ProcessedPiece } from './piece.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** [sequenceNumber, partitionKey, arrivalMs, payload length, explicitHashKey | null, shardId | null (null: the piece's)] */
type RecordHeader = [string, string, number, number, string | null, string | null];

interface PieceHeader {
  stream: string;
  shard: string;
  range: PieceInput['hashKeyRange'] | null;
  records: RecordHeader[];
}

interface ResultHeader {
  rawLength: number;
  rawRecords: number;
  chunks: { hour: string; rows: number; length: number }[];
  dlq: DlqEnvelope[];
  lastSub: number | null;
  counts: PieceCounts;
}

function frame(header: unknown, payloadBytes: number): { buf: ArrayBuffer; bytes: Uint8Array; at: number } {
  const head = encoder.encode(JSON.stringify(header));
  const buf = new ArrayBuffer(4 + head.length + payloadBytes);
  new DataView(buf).setUint32(0, head.length);
  const bytes = new Uint8Array(buf);
  bytes.set(head, 4);
  return { buf, bytes, at: 4 + head.length };
}

function unframe<T>(buf: ArrayBuffer): { header: T; at: number } {
  const len = new DataView(buf).getUint32(0);
  return { header: JSON.parse(decoder.decode(new Uint8Array(buf, 4, len))) as T, at: 4 + len };
}

export function packPiece(input: PieceInput): ArrayBuffer {
  let payloadBytes = 0;
  const records: RecordHeader[] = input.records.map((r) => {
    payloadBytes += r.data.length;
    return [r.sequenceNumber, r.partitionKey, r.arrivalMs, r.data.length, r.explicitHashKey ?? null, r.shardId === input.shardId ? null : r.shardId];
  });
  const header: PieceHeader = { stream: input.streamName, shard: input.shardId, range: input.hashKeyRange ?? null, records };
  const f = frame(header, payloadBytes);
  let at = f.at;
  for (const r of input.records) {
    f.bytes.set(r.data, at);
    at += r.data.length;
  }
  return f.buf;
}

export function unpackPiece(buf: ArrayBuffer): PieceInput {
  const { header, at: start } = unframe<PieceHeader>(buf);
  let at = start;
  const records: StreamRecord[] = header.records.map(([sequenceNumber, partitionKey, arrivalMs, length, ehk, shard]) => {
    const data = new Uint8Array(buf, at, length);
    at += length;
    return { shardId: shard ?? header.shard, sequenceNumber, subSequenceNumber: undefined, partitionKey, explicitHashKey: ehk ?? undefined, arrivalMs, data };
  });
  return { streamName: header.stream, shardId: header.shard, hashKeyRange: header.range ?? undefined, records };
}

export function packResult(p: ProcessedPiece): ArrayBuffer {
  const header: ResultHeader = {
    rawLength: p.raw.length,
    rawRecords: p.rawRecords,
    chunks: p.cleansed.map((c) => ({ hour: c.hour, rows: c.rows, length: c.chunk.length })),
    dlq: p.dlq,
    lastSub: p.lastSubSequenceNumber ?? null,
    counts: p.counts,
  };
  const total = p.raw.length + p.cleansed.reduce((n, c) => n + c.chunk.length, 0);
  const f = frame(header, total);
  f.bytes.set(p.raw, f.at);
  let at = f.at + p.raw.length;
  for (const c of p.cleansed) {
    f.bytes.set(c.chunk, at);
    at += c.chunk.length;
  }
  return f.buf;
}

/** The Uint8Arrays returned are views on `buf`: no copy. */
export function unpackResult(buf: ArrayBuffer): ProcessedPiece {
  const { header, at: start } = unframe<ResultHeader>(buf);
  const raw = new Uint8Array(buf, start, header.rawLength);
  let at = start + header.rawLength;
  const cleansed = header.chunks.map((c) => {
    const chunk = new Uint8Array(buf, at, c.length);
    at += c.length;
    return { hour: c.hour, rows: c.rows, chunk };
  });
  return { raw, rawRecords: header.rawRecords, cleansed, dlq: header.dlq, lastSubSequenceNumber: header.lastSub ?? undefined, counts: header.counts };
}
