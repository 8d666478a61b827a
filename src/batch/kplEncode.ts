/**
 * Writes a KPL aggregate (magic, protobuf AggregatedRecord, MD5 of the
 * protobuf) so records the raw zone stored de-aggregated can travel through
 * the processors' own de-aggregation again. Field numbers mirror kpl.ts's
 * decoder; tags are not written because processing never reads them.
 */
import { createHash } from 'node:crypto';
import { KPL_MAGIC } from '../processors/kpl.js';

export interface AggregateEntry {
  partitionKey: string;
  explicitHashKey: string | undefined;
  data: Uint8Array;
}

class Writer {
  private readonly parts: Uint8Array[] = [];
  length = 0;

  varint(n: number): void {
    const bytes: number[] = [];
    let v = n;
    while (v >= 0x80) {
      bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    bytes.push(v);
    this.raw(Uint8Array.from(bytes));
  }

  raw(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }

  lengthDelimited(field: number, body: Uint8Array): void {
    this.varint((field << 3) | 2);
    this.varint(body.length);
    this.raw(body);
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.parts, this.length);
  }
}

const utf8 = new TextEncoder();

export function encodeAggregate(entries: readonly AggregateEntry[]): Uint8Array {
  const pkIndex = new Map<string, number>();
  const ehkIndex = new Map<string, number>();
  const index = (table: Map<string, number>, key: string): number => {
    let i = table.get(key);
    if (i === undefined) table.set(key, (i = table.size));
    return i;
  };
  const records = entries.map((e) => {
    const r = new Writer();
    r.varint((1 << 3) | 0);
    r.varint(index(pkIndex, e.partitionKey));
    if (e.explicitHashKey !== undefined) {
      r.varint((2 << 3) | 0);
      r.varint(index(ehkIndex, e.explicitHashKey));
    }
    r.lengthDelimited(3, e.data);
    return r.bytes();
  });
  const body = new Writer();
  for (const pk of pkIndex.keys()) body.lengthDelimited(1, utf8.encode(pk));
  for (const ehk of ehkIndex.keys()) body.lengthDelimited(2, utf8.encode(ehk));
  for (const r of records) body.lengthDelimited(3, r);
  const protobuf = body.bytes();
  const md5 = createHash('md5').update(protobuf).digest();
  return Buffer.concat([KPL_MAGIC, protobuf, md5]);
}
