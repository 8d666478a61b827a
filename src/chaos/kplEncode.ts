/**
 * A minimal KPL aggregate encoder for the chaos producer: magic F3 89 9A C2,
 * a protobuf AggregatedRecord with one partition key and the user records,
 * then the MD5 of the protobuf bytes. Every user record shares the outer
 * record's partition key, so all of them hash into the shard the aggregate
 * lands on and the consumer's hash-range check keeps them (as KCL would).
 */
import { createHash } from 'node:crypto';

function varint(n: number, out: number[]): void {
  let v = n;
  while (v > 127) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function lengthDelimited(tag: number, payload: Uint8Array | number[], out: number[]): void {
  out.push(tag);
  varint(payload.length, out);
  for (const b of payload) out.push(b);
}

/** One aggregate of `records`, all under `partitionKey`. `corruptChecksum` flips the MD5 (a record KCL must reject whole). */
export function encodeAggregate(partitionKey: string, records: readonly Uint8Array[], corruptChecksum = false): Buffer {
  const body: number[] = [];
  lengthDelimited(0x0a, Buffer.from(partitionKey, 'utf8'), body); // field 1: partition_key_table
  for (const data of records) {
    const rec: number[] = [0x08, 0x00]; // field 1: partition_key_index = 0
    lengthDelimited(0x1a, data, rec); // field 3: data
    lengthDelimited(0x1a, rec, body); // field 3: records
  }
  const protobuf = Buffer.from(body);
  const md5 = createHash('md5').update(protobuf).digest();
  if (corruptChecksum) md5[0] = md5[0]! ^ 0xff;
  return Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), protobuf, md5]);
}
