/** The hot path's shortcuts give byte-for-byte what the plain code gives. */
import { describe, expect, it } from 'vitest';
import { isoMillis } from '../../src/sinks/isoTime.js';
import { encodeRawLine } from '../../src/sinks/rawLine.js';
import { RawLineWriter } from '../../src/sinks/rawLineWriter.js';
import { parseIsoTimestamp } from '../../src/processors/timestamp.js';
import { kinesisRecord } from '../support/processorFixtures.js';

function iso(ms: number): string {
  try {
    return new Date(ms).toISOString();
  } catch {
    return 'throws';
  }
}

describe('hot path shortcuts', () => {
  it('isoMillis matches toISOString, including edges and invalid times', () => {
    const values = [0, -1, -1000, -1001, 1.5, -1.5, 999.9, 8.64e15, -8.64e15, 8.64e15 + 1, NaN, Infinity, 253402300800000, Date.parse('2026-01-31T12:00:00.123Z')];
    for (let i = 0; i < 2000; i++) values.push(Math.floor((i * 7919.37 - 5000) * 1e9) % 8.64e15);
    for (const v of values) {
      let got: string;
      try {
        got = isoMillis(v);
      } catch {
        got = 'throws';
      }
      expect(got, String(v)).toBe(iso(v));
    }
  });

  it('RawLineWriter writes exactly the bytes of encodeRawLine, line after line', () => {
    const records = [
      kinesisRecord('{"a":1}'),
      kinesisRecord('{"a":1}', { partitionKey: 'ключ "q" \\ \t 😀' }),
      kinesisRecord(new Uint8Array([0xff, 0x00, 0x0a]), { subSequenceNumber: 3 }),
      kinesisRecord('{"b":"é"}', { shardId: 'shardId-000000000009', arrivalMs: Date.parse('2026-02-01T00:00:00.999Z') }),
    ];
    const writer = new RawLineWriter(8); // far too small: it must grow
    const expected: Uint8Array[] = [];
    for (const r of records) {
      for (const verbatim of [true, false]) {
        if (verbatim && r.data[0] !== 0x7b) continue;
        writer.append(r, verbatim);
        expected.push(encodeRawLine(r, verbatim));
      }
    }
    expect(Buffer.from(writer.bytes())).toEqual(Buffer.concat(expected));
    expect(writer.lines).toBe(expected.length);
  });

  it('RawLineWriter hands over its lines without holding much spare memory', () => {
    const line = kinesisRecord('{"a":1}');
    const oversized = new RawLineWriter(1 << 20);
    oversized.append(line, true);
    const trimmed = oversized.bytes();
    expect(Buffer.from(trimmed)).toEqual(Buffer.from(encodeRawLine(line, true)));
    expect(trimmed.buffer.byteLength).toBe(trimmed.byteLength);
    const long = kinesisRecord(`{"a":"${'x'.repeat(2000)}"}`);
    const exact = encodeRawLine(long, true).length;
    const close = new RawLineWriter(exact * 10 + 600); // room for the writer's worst-case UTF-8 reserve, and less than an eighth spare
    for (let i = 0; i < 10; i++) close.append(long, true);
    expect(close.bytes().byteLength).toBe(exact * 10);
    expect(close.bytes().buffer.byteLength).toBe(exact * 10 + 600);
  });

  it('parseIsoTimestamp answers the common shape as the general rules do', () => {
    const cases: [string, number | undefined][] = [
      ['2026-01-31T12:00:00Z', Date.parse('2026-01-31T12:00:00Z')],
      ['2026-01-31T12:00:00.1234567+05:30', Date.parse('2026-01-31T06:30:00.123Z')],
      ['2026-01-31T12:00:00.12-01:00', Date.parse('2026-01-31T13:00:00.120Z')],
      ['2026-02-29T00:00:00Z', undefined],
      ['2024-02-29T00:00:00Z', Date.parse('2024-02-29T00:00:00Z')],
      ['2026-01-31T12:00:00+24:00', undefined],
      ['2026-01-31T12:00:00.1234567890Z', undefined],
      ['2026-01-31T12:00:00', undefined],
      ['2026-01-31t12:00:00,5-05', Date.parse('2026-01-31T17:00:00.500Z')],
    ];
    for (const [text, ms] of cases) expect(parseIsoTimestamp(text), text).toBe(ms);
  });
});
