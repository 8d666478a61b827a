/**
 * The binary piece format: whatever goes in on the main thread comes out
 * field for field in the worker, including text that is not ASCII.
 */
import { describe, expect, it } from 'vitest';
import type { StreamRecord } from '../../src/consumer/records.js';
import { packPiece, resultTransferList, unpackPiece } from '../../src/processors/packing.js';
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

  it('packs an empty piece', () => {
    const input: PieceInput = { streamName: 's', shardId: 'shardId-000000000000', hashKeyRange: undefined, records: [] };
    expect(roundTrip(input)).toEqual(input);
  });

  it('refuses a string too long for its length field instead of corrupting the piece', () => {
    const input: PieceInput = { streamName: 's', shardId: 'shardId-000000000000', hashKeyRange: undefined, records: [record(0, { partitionKey: 'x'.repeat(40_000) })] };
    expect(() => packPiece(input)).toThrow(RangeError);
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
