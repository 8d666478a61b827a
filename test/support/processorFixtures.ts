/**
 * Shared inputs for the processor tests: options, record builders and the
 * bad-input catalogue (each entry with the reason it must get).
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { ColumnChunk } from '../../src/lake/cleansedColumns.js';
import { chunkValues, decodeColumnChunk } from '../../src/lake/columnChunk.js';
import { decodeRawLine } from '../../src/sinks/rawLine.js';
import type { StreamRecord } from '../../src/consumer/records.js';
import type { ProcessorOptions } from '../../src/processors/processorOptions.js';
import type { DlqReason } from '../../src/processors/envelope.js';
import type { PieceInput, ProcessedPiece } from '../../src/processors/piece.js';
import { DEFAULT_SCHEMA_DIR } from '../../src/processors/schemas.js';

export const SHARD = 'shardId-000000000007';
export const STREAM = 'clicks';
export const ARRIVAL_MS = Date.parse('2026-01-31T12:00:00.000Z');
export const PII_KEY = 'test-pii-key-0123456789';

export function testOptions(over: Partial<ProcessorOptions> = {}): ProcessorOptions {
  return {
    schemaDir: DEFAULT_SCHEMA_DIR,
    maxRecordBytes: 1_000_000,
    maxJsonDepth: 64,
    maxFutureMs: 3_600_000,
    piiFields: ['user_id', 'session_id'],
    piiKey: PII_KEY,
    serviceVersion: 'test',
    ...over,
  };
}

const enc = new TextEncoder();

export function bytes(x: string | Uint8Array): Uint8Array {
  return typeof x === 'string' ? enc.encode(x) : x;
}

let seq = 0n;
export function kinesisRecord(data: string | Uint8Array, over: Partial<StreamRecord> = {}): StreamRecord {
  seq += 1n;
  return {
    shardId: SHARD,
    sequenceNumber: (49650000000000000000000000000000000000000000000000000n + seq).toString(),
    subSequenceNumber: undefined,
    partitionKey: `pk-${seq}`,
    explicitHashKey: undefined,
    arrivalMs: ARRIVAL_MS,
    data: bytes(data),
    ...over,
  };
}

export function piece(records: StreamRecord[], over: Partial<PieceInput> = {}): PieceInput {
  return { streamName: STREAM, shardId: SHARD, hashKeyRange: undefined, records, ...over };
}

export function event(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    timestamp: '2026-01-31T11:59:30Z',
    user_id: 'alice@example.com',
    session_id: 'sess-secret-42',
    event_type: 'purchase',
    product_id: 'SKU-1',
    quantity: 2,
    price: 10.5,
    category: 'Books',
    ...over,
  };
}

export function validJson(i: number): string {
  return JSON.stringify(event({ product_id: `SKU-${i}`, user_id: `user-${i}@example.com` }));
}

/** A KPL aggregate by hand: magic + protobuf + MD5; `corrupt` flips the checksum, `cut` truncates. */
export function handAggregate(datas: Uint8Array[], mode: 'ok' | 'bad_md5' | 'truncated' = 'ok'): Uint8Array {
  const parts: number[] = [];
  const varint = (n: number): void => {
    while (n > 127) {
      parts.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    parts.push(n);
  };
  const field = (tag: number, payload: Uint8Array | number[]): void => {
    parts.push(tag);
    varint(payload.length);
    for (const b of payload) parts.push(b);
  };
  field(0x0a, [...enc.encode('pk-agg')]);
  for (const d of datas) {
    const rec: number[] = [0x08, 0x00, 0x1a];
    let n = d.length;
    while (n > 127) {
      rec.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    rec.push(n, ...d);
    field(0x1a, rec);
  }
  const body = Uint8Array.from(parts);
  const md5 = createHash('md5').update(body).digest();
  if (mode === 'bad_md5') md5[0] = md5[0]! ^ 0xff;
  const whole = Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), body, md5]);
  // Cut inside the last user record's data: the protobuf can no longer be read.
  return mode === 'truncated' ? whole.subarray(0, whole.length - 16 - 5) : whole;
}

export interface BadCase {
  name: string;
  data: Uint8Array;
  reason: DlqReason;
}

/** Every bad input the processors must route to the DLQ, with its reason. */
export function badInputCatalogue(): BadCase[] {
  const deep = '['.repeat(10_000) + ']'.repeat(10_000);
  const big = JSON.stringify(event({ padding: 'x'.repeat(1_048_576) }));
  return [
    { name: 'invalid JSON', data: bytes('{"event_type": "purchase",'), reason: 'invalid_json' },
    { name: 'invalid UTF-8', data: Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), reason: 'invalid_utf8' },
    { name: 'empty payload', data: new Uint8Array(0), reason: 'empty_payload' },
    { name: 'a 1 MB payload', data: bytes(big), reason: 'too_large' },
    { name: 'a JSON array', data: bytes('[1,2,3]'), reason: 'not_an_object' },
    { name: 'a JSON string', data: bytes('"just a string"'), reason: 'not_an_object' },
    { name: 'nesting 10,000 deep', data: bytes(`{"a":${deep}}`), reason: 'too_deep' },
    { name: 'an integer beyond 2^53', data: bytes(JSON.stringify(event()).replace('"quantity":2', '"quantity":9007199254740993')), reason: 'unsafe_number' },
    { name: 'a missing required field', data: bytes(JSON.stringify(event({ price: undefined }))), reason: 'missing_field' },
    { name: 'a wrong type', data: bytes(JSON.stringify(event({ quantity: 'two' }))), reason: 'wrong_type' },
    { name: 'another rule (negative price)', data: bytes(JSON.stringify(event({ price: -1 }))), reason: 'schema_violation' },
    { name: 'an unknown event_type', data: bytes(JSON.stringify(event({ event_type: 'teleport' }))), reason: 'unknown_event_type' },
    { name: 'an unparseable timestamp', data: bytes(JSON.stringify(event({ timestamp: 'yesterday at noon' }))), reason: 'invalid_timestamp' },
    { name: 'a timestamp 2 h after arrival', data: bytes(JSON.stringify(event({ timestamp: '2026-01-31T14:00:01Z' }))), reason: 'future_timestamp' },
    { name: 'KPL with a bad MD5', data: handAggregate([bytes(validJson(900)), bytes(validJson(901))], 'bad_md5'), reason: 'kpl_bad_checksum' },
    { name: 'truncated KPL', data: handAggregate([bytes(validJson(902)), bytes(validJson(903))], 'truncated'), reason: 'kpl_truncated' },
    { name: 'KPL with no user record', data: handAggregate([]), reason: 'kpl_empty' },
    // 2,000 empty user records in ~12 KB: each would cost a raw line and an envelope of hundreds of bytes.
    { name: 'KPL with thousands of near-empty user records', data: handAggregate(Array.from({ length: 2000 }, () => new Uint8Array(0))), reason: 'kpl_too_many_records' },
  ];
}

/** Good records interleaved with the catalogue: good, bad, good, bad, ..., good. */
export function mixedPiece(): { input: PieceInput; cases: BadCase[]; goodCount: number } {
  const cases = badInputCatalogue();
  const records: StreamRecord[] = [];
  let good = 0;
  records.push(kinesisRecord(validJson(good++)));
  for (const c of cases) {
    records.push(kinesisRecord(c.data));
    records.push(kinesisRecord(validJson(good++)));
  }
  return { input: piece(records), cases, goodCount: good };
}

/** Splits raw-zone bytes into lines (without the newline). */
export function rawLines(raw: Uint8Array): string[] {
  const text = new TextDecoder().decode(raw);
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

export function decodeChunks(cleansed: { hour: string; rows: number; chunk: Uint8Array }[]): ColumnChunk[] {
  return cleansed.map((c) => {
    const chunk = chunkValues(decodeColumnChunk(c.chunk, 0));
    expect(chunk.rows).toBe(c.rows);
    return chunk;
  });
}

/** The catalogue's promise: each bad record in the DLQ with its reason, the rest intact. */
export function expectMixedPieceResult(result: ProcessedPiece, m: ReturnType<typeof mixedPiece>): void {
  const { input, cases, goodCount } = m;
  expect(result.dlq.map((d) => d.reason)).toEqual(cases.map((c) => c.reason));
  expect(result.counts.invalid).toBe(cases.length);
  expect(result.counts.valid).toBe(goodCount);
  for (const c of cases) expect(result.counts.byReason[c.reason]).toBeGreaterThan(0);

  // Raw has every record, byte-identical, in order.
  const lines = rawLines(result.raw);
  expect(lines).toHaveLength(input.records.length);
  expect(result.rawRecords).toBe(input.records.length);
  lines.forEach((line, i) => {
    const d = decodeRawLine(line);
    const rec = input.records[i]!;
    expect(d.sequenceNumber).toBe(rec.sequenceNumber);
    expect(d.subSequenceNumber).toBeUndefined();
    expect(Buffer.compare(d.data, Buffer.from(rec.data))).toBe(0);
  });

  // Each envelope carries its own record's original bytes and position.
  const badRecords = input.records.filter((_, i) => i % 2 === 1);
  result.dlq.forEach((env, i) => {
    const rec = badRecords[i]!;
    expect(env.sequenceNumber).toBe(rec.sequenceNumber);
    expect(env.shardId).toBe(SHARD);
    expect(env.stream).toBe(STREAM);
    expect(env.id).toBe(createHash('sha256').update(`${STREAM}/${SHARD}/${rec.sequenceNumber}/-`).digest('hex'));
    expect(Buffer.compare(Buffer.from(env.payloadBase64!, 'base64'), Buffer.from(rec.data))).toBe(0);
    expect(env.detail.length).toBeGreaterThan(0);
  });

  // Cleansed has exactly the good ones, in order.
  const chunks = decodeChunks(result.cleansed);
  const products = chunks.flatMap((c) => c.columns.product_id!);
  expect(products).toEqual(Array.from({ length: goodCount }, (_, i) => `SKU-${i}`));
}
