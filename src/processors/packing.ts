/**
 * Pieces and results as ONE transferable ArrayBuffer each way. Transferring
 * moves the memory instead of cloning 500 objects (library-measurements.md:
 * cloning row objects back halves throughput).
 *
 * A piece is binary, because it is built on the main thread for every
 * record and the main thread must stay free for polling, leases and
 * uploads (a JSON header cost more than the processing it handed off):
 *   [u32 record count][str stream][str shard][u8 has range][str start][str end]
 *   [u8 keys are ASCII][u32 key bytes]
 *   per record: [u16 sequence bytes][u16 partition key bytes][f64 arrival ms]
 *               [u32 data length][u8 flags: 1 explicit hash key, 2 own shard id]
 *               [str ehk][str shard]
 *   then every record's sequence number and partition key, back to back (the
 *   keys: one write and one read for the piece, not two per record), then
 *   every record's data, back to back. The buffer may run on past the
 *   end (a reused one, PieceBuffers): the reader never needs its length.
 * A str is [u16: ASCII flag bit + UTF-8 length][bytes].
 */
import type { StreamRecord } from '../consumer/records.js';
import type { PieceInput, ProcessedPiece } from './piece.js';

// A str's u16 length: the top bit marks pure ASCII (read back without UTF-8 decoding).
const ASCII = 0x8000;
const MAX_STR = 0x7fff;
const HAS_EHK = 1;
const OWN_SHARD = 2;
// Fixed bytes per record: two key lengths, f64, u32, flags.
const RECORD_FIXED = 2 + 2 + 8 + 4 + 1;

/** Upper bound of a string's UTF-8 bytes plus its length prefix (3 bytes per UTF-16 unit at most). */
function strBound(s: string): number {
  return 2 + s.length * 3;
}

/**
 * Piece buffers that came back from the workers, for the next pieces. Each
 * piece's buffer is transferred to a worker, and a fresh one per piece kept
 * the main thread's collector busy: a transferred buffer counts against the
 * isolate that made it until a GC sweeps it, so the main thread ran
 * "external memory pressure" collections for memory it no longer held
 * (8 against 5 per processors-bench run, and ~4 % more pool throughput
 * without them: docs/performance.md). Bounded in count and in bytes, so it
 * never holds more than `maxTotalBytes` (outside the memory budget, like
 * the packing scratch buffer it replaced).
 */
export class PieceBuffers {
  readonly #free: ArrayBuffer[] = [];
  #bytes = 0;

  constructor(
    readonly maxBuffers = 8,
    readonly maxTotalBytes = 8 << 20,
  ) {}

  /** A buffer of at least `bytes`: a returned one when one is large enough, else a new one. */
  take(bytes: number): ArrayBuffer {
    const free = this.#free;
    for (let i = free.length - 1; i >= 0; i--) {
      const ab = free[i]!;
      if (ab.byteLength >= bytes) {
        free[i] = free[free.length - 1]!;
        free.pop();
        this.#bytes -= ab.byteLength;
        return ab;
      }
    }
    // Its own memory (allocUnsafeSlow: never the shared pool), so it can be transferred.
    return Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
  }

  /** Keeps a buffer a worker handed back, unless it is detached or would pass a bound. */
  give(ab: ArrayBuffer): void {
    if (ab.byteLength === 0 || this.#free.length >= this.maxBuffers || this.#bytes + ab.byteLength > this.maxTotalBytes) return;
    this.#free.push(ab);
    this.#bytes += ab.byteLength;
  }

  /** Buffers and bytes held now. */
  get held(): { buffers: number; bytes: number } {
    return { buffers: this.#free.length, bytes: this.#bytes };
  }
}

// Keeps nothing: every piece gets a buffer of its own.
const ONE_SHOT = new PieceBuffers(0, 0);

class PieceWriter {
  readonly buf: Buffer;
  readonly view: DataView;
  at = 0;

  constructor(readonly ab: ArrayBuffer) {
    this.buf = Buffer.from(ab);
    this.view = new DataView(ab);
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

/** The piece in one ArrayBuffer, taken from `buffers` (by default a new one of the piece's size). */
export function packPiece(input: PieceInput, buffers: PieceBuffers = ONE_SHOT): ArrayBuffer {
  const range = input.hashKeyRange;
  const records = input.records;
  const count = records.length;
  // Every sequence number and partition key in one string, written with one native call: a loop per
  // string cost more than the rest of the packing.
  const keys = new Array<string>(count * 2);
  let bytes = 4 + strBound(input.streamName) + strBound(input.shardId) + 1 + (range ? strBound(range.startingHashKey) + strBound(range.endingHashKey) : 0) + 5;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    keys[2 * i] = r.sequenceNumber;
    keys[2 * i + 1] = r.partitionKey;
    bytes += RECORD_FIXED + r.data.length;
    if (r.explicitHashKey !== undefined) bytes += strBound(r.explicitHashKey);
    if (r.shardId !== input.shardId) bytes += strBound(r.shardId);
  }
  const joined = keys.join('');
  let keyBytes = Buffer.byteLength(joined, 'utf8');
  // Only ASCII has as many UTF-8 bytes as UTF-16 units: then every key's length is its byte count too.
  const ascii = keyBytes === joined.length;
  // Otherwise each key is measured and written alone: joined, two lone surrogates could meet and encode as one pair.
  if (!ascii) keyBytes = keys.reduce((n, k) => n + Buffer.byteLength(k, 'utf8'), 0);
  bytes += keyBytes;
  const w = new PieceWriter(buffers.take(bytes));
  w.view.setUint32(0, count);
  w.at = 4;
  w.str(input.streamName);
  w.str(input.shardId);
  w.buf[w.at++] = range ? 1 : 0;
  if (range) {
    w.str(range.startingHashKey);
    w.str(range.endingHashKey);
  }
  w.buf[w.at] = ascii ? 1 : 0;
  w.view.setUint32(w.at + 1, keyBytes);
  w.at += 5;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    w.view.setUint16(w.at, keyLength(r.sequenceNumber, ascii));
    w.view.setUint16(w.at + 2, keyLength(r.partitionKey, ascii));
    w.view.setFloat64(w.at + 4, r.arrivalMs);
    w.view.setUint32(w.at + 12, r.data.length);
    const ownShard = r.shardId !== input.shardId;
    w.buf[w.at + 16] = (r.explicitHashKey !== undefined ? HAS_EHK : 0) | (ownShard ? OWN_SHARD : 0);
    w.at += RECORD_FIXED;
    if (r.explicitHashKey !== undefined) w.str(r.explicitHashKey);
    if (ownShard) w.str(r.shardId);
  }
  if (ascii) w.at += w.buf.write(joined, w.at, keyBytes, 'latin1');
  else for (const k of keys) w.at += w.buf.write(k, w.at, 'utf8');
  for (let i = 0; i < count; i++) {
    const data = records[i]!.data;
    w.buf.set(data, w.at);
    w.at += data.length;
  }
  return w.ab;
}

function keyLength(s: string, ascii: boolean): number {
  const n = ascii ? s.length : Buffer.byteLength(s, 'utf8');
  if (n > MAX_STR) throw new RangeError(`string of ${n} bytes cannot be packed`);
  return n;
}

export function unpackPiece(ab: ArrayBuffer): PieceInput {
  const r = new PieceReader(ab);
  const count = r.view.getUint32(0);
  r.at = 4;
  const streamName = r.str();
  const shardId = r.str();
  const hasRange = r.buf[r.at++] === 1;
  const hashKeyRange = hasRange ? { startingHashKey: r.str(), endingHashKey: r.str() } : undefined;
  const ascii = r.buf[r.at] === 1;
  const keyBytes = r.view.getUint32(r.at + 1);
  r.at += 5;
  const records: StreamRecord[] = new Array<StreamRecord>(count);
  const lengths = new Array<number>(count * 3);
  for (let i = 0; i < count; i++) {
    lengths[3 * i] = r.view.getUint16(r.at);
    lengths[3 * i + 1] = r.view.getUint16(r.at + 2);
    const arrivalMs = r.view.getFloat64(r.at + 4);
    lengths[3 * i + 2] = r.view.getUint32(r.at + 12);
    const flags = r.buf[r.at + 16]!;
    r.at += RECORD_FIXED;
    const explicitHashKey = flags & HAS_EHK ? r.str() : undefined;
    const own = flags & OWN_SHARD ? r.str() : shardId;
    records[i] = { shardId: own, sequenceNumber: '', subSequenceNumber: undefined, partitionKey: '', explicitHashKey, arrivalMs, data: EMPTY };
  }
  // ASCII keys: one decode, then slices of it (offsets in characters are offsets in bytes).
  const keysAt = r.at;
  const text = ascii ? r.buf.toString('latin1', keysAt, keysAt + keyBytes) : undefined;
  let at = 0;
  for (let i = 0; i < count; i++) {
    const rec = records[i]!;
    const seq = lengths[3 * i]!;
    const pk = lengths[3 * i + 1]!;
    if (text !== undefined) {
      rec.sequenceNumber = text.slice(at, at + seq);
      rec.partitionKey = text.slice(at + seq, at + seq + pk);
    } else {
      rec.sequenceNumber = r.buf.toString('utf8', keysAt + at, keysAt + at + seq);
      rec.partitionKey = r.buf.toString('utf8', keysAt + at + seq, keysAt + at + seq + pk);
    }
    at += seq + pk;
  }
  r.at = keysAt + keyBytes;
  for (let i = 0; i < count; i++) {
    const length = lengths[3 * i + 2]!;
    records[i]!.data = new Uint8Array(ab, r.at, length);
    r.at += length;
  }
  return { streamName, shardId, hashKeyRange, records };
}

const EMPTY = new Uint8Array(0);

/** What a worker returns for a piece: the result, and the piece's buffer for reuse (PieceBuffers). */
export interface PieceReply {
  piece: ProcessedPiece;
  spare: ArrayBuffer;
}

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

/**
 * One event hour's column chunks as one new ArrayBuffer, for a Parquet task.
 * Posted as they are, the chunks were cloned on the main thread, byte by
 * byte: about a quarter of its time in the pipeline bench. Copied into one
 * buffer that is then transferred, they cost a memory copy, and the chunks
 * themselves stay whole for a retry after the task's thread died. (Shared
 * memory would have cost no copy, but a SharedArrayBuffer is freed only by
 * a full collection, so dead chunks could pile up outside the memory budget.)
 * Each chunk starts on an 8-byte boundary, as the chunk reader wants.
 */
export function packChunks(chunks: readonly Uint8Array[]): { packed: ArrayBuffer; lengths: number[] } {
  let total = 0;
  for (const c of chunks) total += (c.byteLength + 7) & ~7;
  const out = new Uint8Array(new ArrayBuffer(total));
  const lengths: number[] = [];
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    lengths.push(c.byteLength);
    at += (c.byteLength + 7) & ~7;
  }
  return { packed: out.buffer, lengths };
}

/** The chunks packChunks packed, as views on its buffer. */
export function unpackChunks(packed: ArrayBuffer, lengths: readonly number[]): Uint8Array[] {
  let at = 0;
  return lengths.map((n) => {
    const view = new Uint8Array(packed, at, n);
    at += (n + 7) & ~7;
    return view;
  });
}
