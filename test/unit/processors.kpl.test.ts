import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aggregateWithReference, type ReferenceUserRecord } from '../support/referenceAggregator.js';
import { createProcessorContext } from '../../src/processors/context.js';
import { deaggregate, maxUserRecords } from '../../src/processors/kpl.js';
import { processPiece } from '../../src/processors/piece.js';
import { decodeRawLine } from '../../src/sinks/rawLine.js';
import { decodeChunks, handAggregate, kinesisRecord, piece, rawLines, testOptions, validJson } from '../support/processorFixtures.js';

const HALF = 2n ** 127n;

describe('KPL de-aggregation', () => {
  const ctx = createProcessorContext(testOptions());

  it('recovers 10,000 user records aggregated by aws-kinesis-agg, identical, with sub-sequence numbers', async () => {
    const users: ReferenceUserRecord[] = Array.from({ length: 10_000 }, (_, i) => ({ partitionKey: `user-${i % 97}`, data: Buffer.from(validJson(i)) }));
    const aggregates = await aggregateWithReference(users);
    expect(aggregates.length).toBeGreaterThan(1); // several Kinesis records: sub-sequence numbers restart in each
    const kinesis = aggregates.map((d) => kinesisRecord(d));
    const r = processPiece(piece(kinesis), ctx);

    expect(r.counts.userRecords).toBe(10_000);
    expect(r.counts.valid).toBe(10_000);
    expect(r.dlq).toHaveLength(0);
    const lines = rawLines(r.raw).map(decodeRawLine);
    expect(lines).toHaveLength(10_000);
    let k = 0;
    let sub = 0;
    lines.forEach((line, i) => {
      if (line.sequenceNumber !== kinesis[k]!.sequenceNumber) {
        k++;
        sub = 0;
      }
      expect(line.sequenceNumber).toBe(kinesis[k]!.sequenceNumber);
      expect(line.subSequenceNumber).toBe(sub++);
      expect(line.partitionKey).toBe(users[i]!.partitionKey);
      expect(Buffer.compare(line.data, users[i]!.data)).toBe(0);
    });
    expect(k).toBe(kinesis.length - 1);
    expect(r.lastSubSequenceNumber).toBe(sub - 1);
    const subs = decodeChunks(r.cleansed).flatMap((c) => c.columns._sub_sequence_number!);
    expect(subs).toHaveLength(10_000);
    expect(subs[0]).toBe(0);
  });

  it('drops and counts user records whose explicit hash key is outside the shard, as KCL does', async () => {
    const users: ReferenceUserRecord[] = Array.from({ length: 20 }, (_, i) => ({
      partitionKey: `pk-${i}`,
      // Keys above 2^32: aws-kinesis-agg keeps its key table in a plain object, which reorders integer-like keys.
      explicitHashKey: (i % 4 === 0 ? HALF + 5n : 2n ** 64n + BigInt(i)).toString(),
      data: Buffer.from(validJson(i)),
    }));
    const [agg] = await aggregateWithReference(users);
    const r = processPiece(piece([kinesisRecord(agg!)], { hashKeyRange: { startingHashKey: '0', endingHashKey: (HALF - 1n).toString() } }), ctx);
    expect(r.counts.droppedOutOfRange).toBe(5);
    expect(r.counts.userRecords).toBe(15);
    const lines = rawLines(r.raw).map(decodeRawLine);
    expect(lines.map((l) => l.subSequenceNumber)).toEqual(users.map((_, i) => i).filter((i) => i % 4 !== 0));
    expect(r.lastSubSequenceNumber).toBe(19);
  });

  it('uses the MD5 of the partition key when a user record has no explicit hash key', async () => {
    const pks = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    const inLowerHalf = pks.filter((pk) => BigInt('0x' + createHash('md5').update(pk).digest('hex')) < HALF);
    const [agg] = await aggregateWithReference(pks.map((pk, i) => ({ partitionKey: pk, data: Buffer.from(validJson(i)) })));
    const r = processPiece(piece([kinesisRecord(agg!)], { hashKeyRange: { startingHashKey: '0', endingHashKey: (HALF - 1n).toString() } }), ctx);
    expect(rawLines(r.raw).map((l) => decodeRawLine(l).partitionKey)).toEqual(inLowerHalf);
    expect(r.counts.droppedOutOfRange).toBe(pks.length - inLowerHalf.length);
  });

  it('tells a bad checksum from a truncated aggregate, and reports plain records as plain', async () => {
    const [agg] = await aggregateWithReference([{ partitionKey: 'a', data: Buffer.from(validJson(1)) }, { partitionKey: 'b', data: Buffer.from(validJson(2)) }]);
    expect(deaggregate(agg!).kind).toBe('aggregate');
    const badSum = Buffer.from(agg!);
    badSum[badSum.length - 1] = badSum[badSum.length - 1]! ^ 1;
    expect(deaggregate(badSum).kind).toBe('bad_checksum');
    expect(deaggregate(agg!.subarray(0, agg!.length - 30)).kind).toBe('truncated');
    expect(deaggregate(Buffer.from(validJson(3))).kind).toBe('plain');

    const r = processPiece(piece([kinesisRecord(badSum), kinesisRecord(validJson(4))]), ctx);
    expect(r.dlq.map((d) => [d.reason, d.subSequenceNumber])).toEqual([['kpl_bad_checksum', null]]);
    const lines = rawLines(r.raw).map(decodeRawLine);
    expect(lines).toHaveLength(2);
    expect(lines[0]!.subSequenceNumber).toBeUndefined();
    expect(Buffer.compare(lines[0]!.data, badSum)).toBe(0);
    expect(r.lastSubSequenceNumber).toBeUndefined();
  });
});

describe('deaggregate: how many user records an aggregate may hold', () => {
  it('takes 256 whatever their size, more only at one per 32 bytes of the aggregate', () => {
    const empties = (n: number): Uint8Array[] => Array.from({ length: n }, () => new Uint8Array(0));
    expect(deaggregate(handAggregate(empties(256))).kind).toBe('aggregate');
    expect(deaggregate(handAggregate(empties(257)))).toEqual({ kind: 'too_many', limit: 256 });
    const events = Array.from({ length: 400 }, (_, i) => Buffer.from(validJson(i)));
    const agg = handAggregate(events);
    expect(maxUserRecords(agg.length)).toBeGreaterThan(400);
    const d = deaggregate(agg);
    expect(d.kind === 'aggregate' ? d.records.length : d.kind).toBe(400);
  });
});
