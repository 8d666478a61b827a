/**
 * The raw object LakeWriter puts: one gzip member of every piece's lines in
 * order, byte for byte the same however the lines were split into pieces
 * (GetRecords batches differ from one read of a shard to the next, so a
 * replayed object is identical to the first only if this holds).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { PieceOutput } from '../../src/consumer/pieceProcessor.js';
import { gzipParts } from '../../src/sinks/gzipParts.js';
import { IDLE_CUT_METADATA, LakeWriter, WINDOW_PHASE_METADATA, type SealedFile } from '../../src/sinks/lakeWriter.js';
import type { ObjectStorePort, PutOptions } from '../../src/sinks/objectStore.js';

class KeepingStore implements ObjectStorePort {
  readonly bodies = new Map<string, Buffer>();
  readonly metadata = new Map<string, Record<string, string> | undefined>();
  checkBucket = (): Promise<void> => Promise.resolve();
  put = (key: string, body: Uint8Array, options: PutOptions): Promise<void> => {
    this.bodies.set(key, Buffer.from(body));
    this.metadata.set(key, options.metadata);
    return Promise.resolve();
  };
  get = (): Promise<Buffer> => Promise.reject(new Error('not used'));
  getWithMetadata = (): Promise<{ body: Buffer; metadata: Record<string, string> }> => Promise.reject(new Error('not used'));
  list = (): Promise<{ key: string; size: number }[]> => Promise.resolve([]);
}

// Varied enough that the compressor's choices depend on what came before.
const lines = (from: number, n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => `{"n":${from + i},"data":{"pad":"${'x'.repeat(((from + i) * 7919) % 97)}","k":${(from + i) % 13}}}\n`).join(''));

function output(raw: Uint8Array): PieceOutput {
  return { raw, rawRecords: 0, cleansed: [], dlq: [], lastSubSequenceNumber: undefined, counts: { userRecords: 0, valid: 0, invalid: 0, droppedOutOfRange: 0, byReason: {} } };
}

async function written(pieces: Uint8Array[]): Promise<Buffer> {
  const store = new KeepingStore();
  const writer = new LakeWriter({ store, streamName: 's', table: 't', deadLetters: undefined, parquet: undefined, logger: pino({ level: 'silent' }) });
  // Each piece's lines on memory of their own, as processPiece hands them over: the writer frees it once durable.
  const file: SealedFile = { shardId: 'shardId-000000000001', firstSequence: '49001', lastSequence: '49099', firstArrivalMs: 1_000, windowPhaseMs: 0, kinesisRecords: 1, payloadBytes: 1, forced: false, outputs: pieces.map((p) => Promise.resolve(output(new Uint8Array(p)))) };
  await writer.write(file);
  expect(store.bodies.size).toBe(1);
  return [...store.bodies.values()][0]!;
}

/** `whole` cut at the given offsets. */
const cut = (whole: Buffer, at: number[]): Buffer[] => [0, ...at, whole.length].slice(1).map((end, i, ends) => whole.subarray(i === 0 ? 0 : ends[i - 1], end));

describe('the raw object', () => {
  const whole = lines(0, 20_000);

  it('is gzip of every line in order, the same bytes however the lines were cut into pieces', async () => {
    const reference = gzipSync(whole, { level: 1 });
    const splits = [[], [1], [whole.length >> 1], [1000, 1001, 90_000, 500_000], Array.from({ length: 40 }, (_, i) => (i + 1) * 17_001)];
    for (const at of splits) expect((await written(cut(whole, at))).equals(reference), `cut at ${at.length} places`).toBe(true);
    expect(gunzipSync(reference)).toEqual(whole);
  });

  it('records its window phase, and an idle cut, in its metadata (what replay cuts by)', async () => {
    const store = new KeepingStore();
    const writer = new LakeWriter({ store, streamName: 's', table: 't', deadLetters: undefined, parquet: undefined, logger: pino({ level: 'silent' }) });
    const file = (lastSequence: string, idleCut?: boolean): SealedFile => ({
      shardId: 'shardId-000000000001', firstSequence: '49001', lastSequence, firstArrivalMs: 1_000, windowPhaseMs: 7_000, kinesisRecords: 1, payloadBytes: 1, forced: false,
      ...(idleCut !== undefined ? { idleCut } : {}), outputs: [Promise.resolve(output(new Uint8Array(lines(0, 3))))],
    });
    await writer.write(file('49010', true));
    await writer.write(file('49020'));
    await writer.write(file('49030', false));
    expect([...store.metadata.values()]).toEqual([
      { [WINDOW_PHASE_METADATA]: '7000', [IDLE_CUT_METADATA]: 'true' },
      { [WINDOW_PHASE_METADATA]: '7000' },
      { [WINDOW_PHASE_METADATA]: '7000' },
    ]);
  });

  it('frees the memory of its lines once it is durable, and still reports the bytes it wrote', async () => {
    const store = new KeepingStore();
    const reported: [string, number][] = [];
    const writer = new LakeWriter({ store, streamName: 's', table: 't', deadLetters: undefined, parquet: undefined, logger: pino({ level: 'silent' }), onObject: (zone, _records, bytes) => reported.push([zone, bytes]) });
    const piece = new Uint8Array(whole);
    const file: SealedFile = { shardId: 'shardId-000000000001', firstSequence: '49001', lastSequence: '49099', firstArrivalMs: 1_000, windowPhaseMs: 0, kinesisRecords: 1, payloadBytes: 1, forced: false, outputs: [Promise.resolve(output(piece))] };
    const result = await writer.write(file);
    const stored = [...store.bodies.values()][0]!;
    expect(gunzipSync(stored)).toEqual(whole);
    expect(piece.byteLength).toBe(0);
    expect(stored.length).toBeGreaterThan(Buffer.poolSize);
    expect(result.rawBytes).toBe(stored.length);
    expect(reported).toEqual([['raw', stored.length]]);
  });

  it('frees a segment\'s column chunks and Parquet bodies once durable, and still reports the bytes it wrote', async () => {
    const store = new KeepingStore();
    const reported: [string, number][] = [];
    const encoded: Uint8Array[] = [];
    const parquet = { encode: async (chunks: Uint8Array[]): Promise<Uint8Array> => { const body = new Uint8Array(20_000 + chunks.length); encoded.push(body); return body; } };
    const writer = new LakeWriter({ store, streamName: 's', table: 't', deadLetters: undefined, parquet, logger: pino({ level: 'silent' }), onObject: (zone, _records, bytes) => reported.push([zone, bytes]) });
    const chunk = new Uint8Array(50_000);
    await writer.writeSegment({ shardId: 'shardId-000000000001', firstSequence: '49001', lastSequence: '49099', forced: false, outputs: [Promise.resolve({ cleansed: [{ hour: '2026-11-23T10', rows: 3, chunk }], lastSubSequenceNumber: undefined })] });
    expect([...store.bodies.values()].map((b) => b.length)).toEqual([20_001]);
    expect(reported).toEqual([['cleansed', 20_001]]);
    expect(encoded[0]!.byteLength).toBe(0);
    expect(chunk.byteLength).toBe(0);
  });

  it('is a valid gzip of nothing when the file has no lines, and of a single short line', async () => {
    expect(gunzipSync(await written([new Uint8Array(0)]))).toHaveLength(0);
    expect(gunzipSync(await gzipParts([Buffer.from('{"a":1}\n')]))).toEqual(Buffer.from('{"a":1}\n'));
  });
});
