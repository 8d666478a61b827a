/**
 * The binary piece format: whatever goes in on the main thread comes out
 * field for field in the worker, including text that is not ASCII.
 */
import { describe, expect, it } from 'vitest';
import type { StreamRecord } from '../../src/consumer/records.js';
import { PieceBuffers, packPiece, resultTransferList, unpackPiece } from '../../src/processors/packing.js';
import type { PieceInput, ProcessedPiece } from '../../src/processors/piece.js';

const enc = new TextEncoder();

function record(i: number, over: Partial<StreamRecord> = {}): StreamRecord {
  return {
    shardId: 'shardId-000000000007',
    sequenceNumber: (49650000000000000000000000000000000000000000000000000n + BigInt(i)).toString(),
    subSequenceNumber: undefined,
    partitionKey: `user-${i}`,
    explicitHashKey: undefined,
    arrivalMs: 1_767_225_600_123 + i,
    data: enc.encode(JSON.stringify({ i })),
    ...over,
  };
}

function roundTrip(input: PieceInput): PieceInput {
  const copy = packPiece(input);
  return unpackPiece(copy);
}

function plain(p: PieceInput): unknown {
  return { ...p, records: p.records.map((r) => ({ ...r, data: [...r.data] })) };
}

describe('packPiece / unpackPiece', () => {
  it('round-trips every field of plain records', () => {
    const input: PieceInput = { streamName: 'clicks', shardId: 'shardId-000000000007', hashKeyRange: undefined, records: [0, 1, 2].map((i) => record(i)) };
    expect(plain(roundTrip(input))).toEqual(plain(input));
  });

  it('round-trips non-ASCII keys and payloads, explicit hash keys, a foreign shard id, a hash key range and empty data', () => {
    const input: PieceInput = {
      streamName: 'strøm-ü',
      shardId: 'shardId-000000000007',
      hashKeyRange: { startingHashKey: '0', endingHashKey: '340282366920938463463374607431768211455' },
      records: [
        record(0, { partitionKey: 'ключ-😀', data: enc.encode('{"name":"Zoë 😀"}') }),
        record(1, { explicitHashKey: '170141183460469231731687303715884105728' }),
        record(2, { shardId: 'shardId-000000000003' }),
        record(3, { data: new Uint8Array(0), partitionKey: '' }),
        record(4, { arrivalMs: 0 }),
      ],
    };
    expect(plain(roundTrip(input))).toEqual(plain(input));
  });

  it('keeps a key whose characters fit in one byte but are not ASCII (é), beside ASCII ones', () => {
    const input: PieceInput = {
      streamName: 'clicks',
      shardId: 'shardId-000000000007',
      hashKeyRange: undefined,
      records: [record(0), record(1, { partitionKey: 'café' }), record(2)],
    };
    const out = roundTrip(input);
    expect(out.records.map((r) => r.partitionKey)).toEqual(['user-0', 'café', 'user-2']);
    expect(plain(out)).toEqual(plain(input));
  });

  it('keeps keys apart that would join into one character (a lone high surrogate, then a key starting with a lone low one)', () => {
    const input: PieceInput = {
      streamName: 'clicks',
      shardId: 'shardId-000000000007',
      hashKeyRange: undefined,
      records: [record(0, { partitionKey: 'a\ud83d' }), record(1, { sequenceNumber: '\ude00-1' }), record(2)],
    };
    const out = roundTrip(input);
    expect(out.records.map((r) => [r.sequenceNumber, r.partitionKey])).toEqual(input.records.map((r) => [Buffer.from(r.sequenceNumber).toString(), Buffer.from(r.partitionKey).toString()]));
    expect(out.records[2]!.sequenceNumber).toBe(input.records[2]!.sequenceNumber);
  });

  it('packs an empty piece', () => {
    const input: PieceInput = { streamName: 's', shardId: 'shardId-000000000000', hashKeyRange: undefined, records: [] };
    expect(roundTrip(input)).toEqual(input);
  });

  it('refuses a string too long for its length field instead of corrupting the piece', () => {
    const input: PieceInput = { streamName: 's', shardId: 'shardId-000000000000', hashKeyRange: undefined, records: [record(0, { partitionKey: 'x'.repeat(40_000) })] };
    expect(() => packPiece(input)).toThrow(RangeError);
  });
});

describe('PieceBuffers (piece buffers handed back by the workers)', () => {
  const piece = (n: number): PieceInput => ({ streamName: 'clicks', shardId: 'shardId-000000000007', hashKeyRange: undefined, records: Array.from({ length: n }, (_, i) => record(i)) });

  it('packs the next piece into a returned buffer, and the stale bytes past its end change nothing', () => {
    const buffers = new PieceBuffers();
    const returned = new ArrayBuffer(1 << 20);
    new Uint8Array(returned).fill(0xff);
    buffers.give(returned);
    const input = piece(50);
    const packed = packPiece(input, buffers);
    expect(packed).toBe(returned);
    expect(buffers.held).toEqual({ buffers: 0, bytes: 0 });
    expect(plain(unpackPiece(packed))).toEqual(plain(input));
  });

  it('allocates when no returned buffer is large enough, and keeps the small one', () => {
    const buffers = new PieceBuffers();
    const small = new ArrayBuffer(16);
    buffers.give(small);
    const packed = packPiece(piece(10), buffers);
    expect(packed).not.toBe(small);
    expect(buffers.held).toEqual({ buffers: 1, bytes: 16 });
    expect(plain(unpackPiece(packed))).toEqual(plain(piece(10)));
  });

  it('drops detached buffers and keeps no more than its bounds in count and bytes', () => {
    const buffers = new PieceBuffers(2, 1000);
    const detached = new ArrayBuffer(100);
    structuredClone(detached, { transfer: [detached] });
    buffers.give(detached);
    expect(buffers.held).toEqual({ buffers: 0, bytes: 0 });
    buffers.give(new ArrayBuffer(600));
    buffers.give(new ArrayBuffer(600)); // would pass 1,000 bytes
    expect(buffers.held).toEqual({ buffers: 1, bytes: 600 });
    buffers.give(new ArrayBuffer(300));
    buffers.give(new ArrayBuffer(50)); // a third buffer
    expect(buffers.held).toEqual({ buffers: 2, bytes: 900 });
  });

  it('hands each returned buffer out once', () => {
    const buffers = new PieceBuffers();
    const a = new ArrayBuffer(1 << 16);
    const b = new ArrayBuffer(1 << 16);
    buffers.give(a);
    buffers.give(b);
    const first = packPiece(piece(5), buffers);
    const second = packPiece(piece(5), buffers);
    const third = packPiece(piece(5), buffers);
    expect(new Set([first, second])).toEqual(new Set([a, b]));
    expect(third).not.toBe(a);
    expect(third).not.toBe(b);
  });
});

describe('result transfer', () => {
  it('lists each buffer of the result once', () => {
    const other = new Uint8Array(8);
    const raw = new Uint8Array(new ArrayBuffer(64), 0, 10);
    const chunk = new Uint8Array(32);
    const result: ProcessedPiece = {
      raw,
      rawRecords: 1,
      cleansed: [
        { hour: '2026-01-01T00', rows: 1, chunk },
        { hour: '2026-01-01T01', rows: 1, chunk: other },
        { hour: '2026-01-01T02', rows: 1, chunk },
      ],
      dlq: [],
      lastSubSequenceNumber: undefined,
      counts: { userRecords: 1, valid: 1, invalid: 0, droppedOutOfRange: 0, byReason: {} },
    };
    expect(resultTransferList(result)).toEqual([raw.buffer, chunk.buffer, other.buffer]);
  });
});
