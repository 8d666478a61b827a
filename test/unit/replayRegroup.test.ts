import { describe, expect, it } from 'vitest';
import { aggregateWithReference } from '../support/referenceAggregator.js';
import { createProcessorContext } from '../../src/processors/context.js';
import { processPiece } from '../../src/processors/piece.js';
import { decodeRawLine } from '../../src/sinks/rawLine.js';
import { REPLAY_HASH_KEY_RANGE, toKinesisRecords } from '../../src/batch/regroup.js';
import { handAggregate, kinesisRecord, piece, rawLines, testOptions, validJson } from '../support/processorFixtures.js';

const HALF = 2n ** 127n;


describe('replay regroups raw lines into Kinesis records the processors treat as the originals', () => {
  const ctx = createProcessorContext(testOptions());

  it('gives the same raw bytes, cleansed chunks and dead letters for aggregates with dropped user records, plain and broken records', async () => {
    // Every fourth user record has an explicit hash key outside the shard's lower half: the hot path drops it, leaving gaps.
    const users = Array.from({ length: 60 }, (_, i) => ({
      partitionKey: `user-${i % 7}`,
      explicitHashKey: (i % 4 === 1 ? HALF + 5n : 2n ** 64n + BigInt(i)).toString(),
      data: Buffer.from(i % 9 === 0 ? JSON.stringify({ event_type: 'page_view' }) : validJson(i)),
    }));
    const aggregates = await aggregateWithReference(users);
    const records = [
      kinesisRecord(validJson(1000)),
      ...aggregates.map((a) => kinesisRecord(a)),
      kinesisRecord('{"not":"closed"'),
      kinesisRecord(handAggregate([Buffer.from(validJson(1001))], 'bad_md5')),
      kinesisRecord(validJson(1002)),
    ];
    const hotRange = { startingHashKey: '0', endingHashKey: (HALF - 1n).toString() };
    const hot = processPiece(piece(records, { hashKeyRange: hotRange }), ctx);
    expect(hot.counts.droppedOutOfRange).toBe(15);

    const lines = rawLines(hot.raw).map(decodeRawLine);
    const rebuilt = toKinesisRecords(lines);
    expect(rebuilt.map((r) => r.sequenceNumber)).toEqual(records.map((r) => r.sequenceNumber));
    const again = processPiece(piece(rebuilt, { hashKeyRange: REPLAY_HASH_KEY_RANGE }), ctx);

    expect(Buffer.from(again.raw).equals(Buffer.from(hot.raw))).toBe(true);
    expect(again.cleansed.map((c) => [c.hour, c.rows, Buffer.from(c.chunk).toString('utf8')])).toEqual(hot.cleansed.map((c) => [c.hour, c.rows, Buffer.from(c.chunk).toString('utf8')]));
    expect(again.dlq).toEqual(hot.dlq);
    expect(again.counts.valid).toBe(hot.counts.valid);
    expect(again.counts.invalid).toBe(hot.counts.invalid);
  });

  it('refuses lines out of sequence order', () => {
    const a = kinesisRecord(validJson(1));
    const b = kinesisRecord(validJson(2));
    const lines = rawLines(processPiece(piece([a, b]), ctx).raw).map(decodeRawLine);
    expect(() => toKinesisRecords([lines[1]!, lines[0]!])).toThrow(/not in sequence order/);
  });
});
