/**
 * Pieces and results as ONE transferable ArrayBuffer each way. Transferring
 * moves the memory instead of cloning 500 objects (library-measurements.md:
 * cloning row objects back halves throughput).
 *
 * A piece is binary, because it is built on the main thread for every
 * record and the main thread must stay free for polling, leases and
 * uploads (a JSON header cost more than the processing it handed off):
 *   [u32 record count][str stream][str shard][u8 has range][str start][str end]
 *   per record: [str sequence][str partition key][f64 arrival ms][u32 data length]
 *               [u8 flags: 1 explicit hash key, 2 own shard id][str ehk][str shard]
 *   then every record's data, back to back.
 * A str is [u16: ASCII flag bit + UTF-8 length][bytes].
 */
import type { StreamRecord } from '../consumer/records.js';
import type { PieceInput, ProcessedPiece } from './piece.js';

// A str's u16 length: the top bit marks pure ASCII (read back without UTF-8 decoding).
const ASCII = 0x8000;
const MAX_STR = 0x7fff;
const HAS_EHK = 1;
const OWN_SHARD = 2;
// Fixed bytes per record: two string lengths, f64, u32, flags.
const RECORD_FIXED = 2 + 2 + 8 + 4 + 1;

/** Upper bound of a string's UTF-8 bytes plus its length prefix (3 bytes per UTF-16 unit at most). */
function strBound(s: string): number {
  return 2 + s.length * 3;
}

let scratch = Buffer.allocUnsafeSlow(0);

class PieceWriter {
  readonly buf: Buffer;
  readonly view: DataView;
  at = 0;

  constructor(bytes: number) {
    // One scratch buffer, reused: the bound over-counts every string about threefold, and a fresh
    // allocation per piece made the main thread's collector run for memory it never kept. It stays at the
    // largest piece's bound, outside the memory budget: a piece is part of one GetRecords response
    // (at most 10 MB of payload), so about 12 MB.
    if (scratch.byteLength < bytes) scratch = Buffer.allocUnsafeSlow(Math.max(bytes, scratch.byteLength * 2));
    this.buf = scratch;
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** What was written, on memory of its own (allocUnsafeSlow: never the shared pool), so it can be transferred. */
  take(): ArrayBuffer {
    const exact = Buffer.allocUnsafeSlow(this.at);
    this.buf.copy(exact, 0, 0, this.at);
    return exact.buffer as ArrayBuffer;
  }

  str(s: string): void {
    // Sequence numbers and most keys are ASCII: a byte loop beats a native UTF-8 write for 50 characters.
    const buf = this.buf;
    const start = this.at + 2;
    const n = s.length;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) break;
      buf[start + i] = c;
    }
    if (i === n) {
      if (n > MAX_STR) throw new RangeError(`string of ${n} bytes cannot be packed`);
      this.view.setUint16(this.at, n | ASCII);
      this.at = start + n;
      return;
    }
    const bytes = buf.write(s, start, 'utf8');
    if (bytes > MAX_STR) throw new RangeError(`string of ${bytes} bytes cannot be packed`);
    this.view.setUint16(this.at, bytes);
    this.at = start + bytes;
  }
}

class PieceReader {
  readonly buf: Buffer;
  readonly view: DataView;
  at = 0;

  constructor(ab: ArrayBuffer) {
    this.buf = Buffer.from(ab);
    this.view = new DataView(ab);
  }

  str(): string {
    const head = this.view.getUint16(this.at);
    const n = head & MAX_STR;
    const start = this.at + 2;
    this.at = start + n;
    return this.buf.toString(head & ASCII ? 'latin1' : 'utf8', start, this.at);
  }
}

export function packPiece(input: PieceInput): ArrayBuffer {
  const range = input.hashKeyRange;
  let bytes = 4 + strBound(input.streamName) + strBound(input.shardId) + 1 + (range ? strBound(range.startingHashKey) + strBound(range.endingHashKey) : 0);
  for (const r of input.records) {
    bytes += RECORD_FIXED + strBound(r.sequenceNumber) + strBound(r.partitionKey) + r.data.length;
    if (r.explicitHashKey !== undefined) bytes += strBound(r.explicitHashKey);
    if (r.shardId !== input.shardId) bytes += strBound(r.shardId);
  }
  const w = new PieceWriter(bytes);
  w.view.setUint32(0, input.records.length);
  w.at = 4;
  w.str(input.streamName);
  w.str(input.shardId);
  w.buf[w.at++] = range ? 1 : 0;
  if (range) {
    w.str(range.startingHashKey);
    w.str(range.endingHashKey);
  }
  for (const r of input.records) {
    w.str(r.sequenceNumber);
    w.str(r.partitionKey);
    w.view.setFloat64(w.at, r.arrivalMs);
    w.view.setUint32(w.at + 8, r.data.length);
    const ownShard = r.shardId !== input.shardId;
    w.buf[w.at + 12] = (r.explicitHashKey !== undefined ? HAS_EHK : 0) | (ownShard ? OWN_SHARD : 0);
    w.at += 13;
    if (r.explicitHashKey !== undefined) w.str(r.explicitHashKey);
    if (ownShard) w.str(r.shardId);
  }
  for (const r of input.records) {
    w.buf.set(r.data, w.at);
    w.at += r.data.length;
  }
  return w.take();
}

export function unpackPiece(ab: ArrayBuffer): PieceInput {
  const r = new PieceReader(ab);
  const count = r.view.getUint32(0);
  r.at = 4;
  const streamName = r.str();
  const shardId = r.str();
  const hasRange = r.buf[r.at++] === 1;
  const hashKeyRange = hasRange ? { startingHashKey: r.str(), endingHashKey: r.str() } : undefined;
  const records: StreamRecord[] = new Array<StreamRecord>(count);
  const lengths = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    const sequenceNumber = r.str();
    const partitionKey = r.str();
    const arrivalMs = r.view.getFloat64(r.at);
    lengths[i] = r.view.getUint32(r.at + 8);
    const flags = r.buf[r.at + 12]!;
    r.at += 13;
    const explicitHashKey = flags & HAS_EHK ? r.str() : undefined;
    const own = flags & OWN_SHARD ? r.str() : shardId;
    records[i] = { shardId: own, sequenceNumber, subSequenceNumber: undefined, partitionKey, explicitHashKey, arrivalMs, data: EMPTY };
  }
  for (let i = 0; i < count; i++) {
    const length = lengths[i]!;
    records[i]!.data = new Uint8Array(ab, r.at, length);
    r.at += length;
  }
  return { streamName, shardId, hashKeyRange, records };
}

const EMPTY = new Uint8Array(0);

/**
 * A result goes back as the ProcessedPiece itself (structured clone) with
 * its byte arrays' memory moved, not copied: the raw lines and each chunk
 * own their ArrayBuffer (RawLineWriter and ColumnChunkBuilder allocate
 * them), so listing those buffers for transfer detaches nothing else. Only
 * the small fields are cloned.
 */
export function resultTransferList(p: ProcessedPiece): ArrayBuffer[] {
  const list = new Set<ArrayBuffer>([p.raw.buffer as ArrayBuffer]);
  for (const c of p.cleansed) list.add(c.chunk.buffer as ArrayBuffer);
  return [...list];
}
