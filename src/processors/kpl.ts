/**
 * KPL aggregated records, decoded by hand: magic F3 89 9A C2, a protobuf
 * AggregatedRecord, then the MD5 of the protobuf bytes.
 *
 *   AggregatedRecord { 1: repeated string partition_key_table;
 *                      2: repeated string explicit_hash_key_table;
 *                      3: repeated Record records; }
 *   Record { 1: uint64 partition_key_index; 2: uint64 explicit_hash_key_index;
 *            3: bytes data; 4: repeated Tag tags; }
 *
 * The checksum is always checked: a truncated aggregate can otherwise decode
 * to fewer records without any error.
 */
import { createHash } from 'node:crypto';

export const KPL_MAGIC = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);
const MD5_BYTES = 16;

export interface UserRecord {
  partitionKey: string;
  explicitHashKey: string | undefined;
  data: Uint8Array;
}

export type Deaggregated =
  | { kind: 'plain' }
  | { kind: 'aggregate'; records: UserRecord[] }
  | { kind: 'bad_checksum' }
  | { kind: 'truncated'; detail: string }
  | { kind: 'too_many'; limit: number };

/**
 * Most user records an aggregate may hold: 256, or one per 32 bytes of it.
 * Each user record costs a raw line and a row or an envelope (hundreds of
 * bytes) where the memory budget counts a few times the aggregate's bytes,
 * so an aggregate of thousands of near-empty records would multiply its
 * size in memory unchecked; no event the schemas accept fits in 32 bytes.
 */
export function maxUserRecords(aggregateBytes: number): number {
  return Math.max(256, Math.floor(aggregateBytes / 32));
}

export function isAggregate(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0xf3 && data[1] === 0x89 && data[2] === 0x9a && data[3] === 0xc2;
}

class Truncated extends Error {}
class TooMany extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} user records`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function deaggregate(data: Uint8Array): Deaggregated {
  if (!isAggregate(data)) return { kind: 'plain' };
  if (data.length < KPL_MAGIC.length + MD5_BYTES) return { kind: 'truncated', detail: 'aggregate is shorter than magic + MD5' };
  const body = data.subarray(KPL_MAGIC.length, data.length - MD5_BYTES);
  const expected = data.subarray(data.length - MD5_BYTES);
  const actual = createHash('md5').update(body).digest();
  if (!actual.equals(expected)) {
    // A record cut short also fails the checksum; tell the two apart by whether the body still parses.
    try {
      decodeAggregate(body, maxUserRecords(data.length));
    } catch (err) {
      if (!(err instanceof TooMany)) return { kind: 'truncated', detail: err instanceof Error ? err.message : 'undecodable aggregate' };
    }
    return { kind: 'bad_checksum' };
  }
  try {
    return { kind: 'aggregate', records: decodeAggregate(body, maxUserRecords(data.length)) };
  } catch (err) {
    if (err instanceof TooMany) return { kind: 'too_many', limit: err.limit };
    return { kind: 'truncated', detail: err instanceof Error ? err.message : 'undecodable aggregate' };
  }
}

interface RawRecord {
  pk: number;
  ehk: number | undefined;
  data: Uint8Array;
}

function decodeAggregate(buf: Uint8Array, maxRecords = Infinity): UserRecord[] {
  const pkTable: string[] = [];
  const ehkTable: string[] = [];
  const raw: RawRecord[] = [];
  const r = new Reader(buf, 0, buf.length);
  while (r.pos < r.end) {
    const key = r.varint();
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1 && wire === 2) pkTable.push(r.string());
    else if (field === 2 && wire === 2) ehkTable.push(r.string());
    else if (field === 3 && wire === 2) {
      const len = r.varint();
      raw.push(decodeRecord(r.sub(len)));
      if (raw.length > maxRecords) throw new TooMany(maxRecords);
    } else r.skip(wire);
  }
  return raw.map((rec) => {
    const partitionKey = pkTable[rec.pk];
    if (partitionKey === undefined) throw new Truncated(`partition_key_index ${rec.pk} is outside the table (${pkTable.length})`);
    let explicitHashKey: string | undefined;
    if (rec.ehk !== undefined) {
      explicitHashKey = ehkTable[rec.ehk];
      if (explicitHashKey === undefined) throw new Truncated(`explicit_hash_key_index ${rec.ehk} is outside the table (${ehkTable.length})`);
    }
    return { partitionKey, explicitHashKey, data: rec.data };
  });
}

function decodeRecord(r: Reader): RawRecord {
  let pk: number | undefined;
  let ehk: number | undefined;
  let data: Uint8Array | undefined;
  while (r.pos < r.end) {
    const key = r.varint();
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 1 && wire === 0) pk = r.varint();
    else if (field === 2 && wire === 0) ehk = r.varint();
    else if (field === 3 && wire === 2) data = r.bytes(r.varint());
    else r.skip(wire);
  }
  if (pk === undefined) throw new Truncated('a user record has no partition_key_index');
  return { pk, ehk, data: data ?? new Uint8Array(0) };
}

class Reader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  /** Varints here are indexes and lengths: anything beyond 2^53 is corrupt. */
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new Truncated('aggregate ends inside a varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new Truncated('varint is too long');
  }

  bytes(len: number): Uint8Array {
    if (len > this.end - this.pos) throw new Truncated('aggregate ends inside a length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  string(): string {
    try {
      return utf8.decode(this.bytes(this.varint()));
    } catch (err) {
      if (err instanceof Truncated) throw err;
      throw new Truncated('a key table entry is not UTF-8');
    }
  }

  sub(len: number): Reader {
    if (len > this.end - this.pos) throw new Truncated('aggregate ends inside a record');
    const r = new Reader(this.buf, this.pos, this.pos + len);
    this.pos += len;
    return r;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.bytes(8);
    else if (wire === 2) this.bytes(this.varint());
    else if (wire === 5) this.bytes(4);
    else throw new Truncated(`unsupported protobuf wire type ${wire}`);
  }
}

/** The 128-bit hash key Kinesis derives from a partition key (MD5, big-endian). */
export function partitionKeyHash(partitionKey: string): bigint {
  return BigInt('0x' + createHash('md5').update(partitionKey, 'utf8').digest('hex'));
}
