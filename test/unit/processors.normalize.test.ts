import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CLEANSED_COLUMNS, eventHourKey } from '../../src/lake/cleansedColumns.js';
import { utcDateHour } from '../../src/processors/normalize.js';
import { createProcessorContext } from '../../src/processors/context.js';
import { processPiece } from '../../src/processors/piece.js';
import { parseIsoTimestamp } from '../../src/processors/timestamp.js';
import { PiiTokenizer } from '../../src/processors/pii.js';
import { ARRIVAL_MS, PII_KEY, decodeChunks, event, kinesisRecord, piece, testOptions } from '../support/processorFixtures.js';

function rowsOf(payloads: Record<string, unknown>[], opts = testOptions()): { hour: string; rows: Record<string, unknown>[] }[] {
  const ctx = createProcessorContext(opts);
  const r = processPiece(piece(payloads.map((p) => kinesisRecord(JSON.stringify(p), { partitionKey: 'pk-1' }))), ctx);
  expect(r.dlq).toEqual([]);
  return r.cleansed.map((c) => {
    const chunk = decodeChunks([c])[0]!;
    expect(Object.keys(chunk.columns)).toEqual(CLEANSED_COLUMNS.map((col) => col.name));
    return { hour: c.hour, rows: Array.from({ length: chunk.rows }, (_, k) => Object.fromEntries(Object.entries(chunk.columns).map(([n, v]) => [n, v[k]]))) };
  });
}

describe('normalization', () => {
  it('converts any ISO-8601 offset to UTC and groups rows by UTC event hour', () => {
    const out = rowsOf([
      event({ timestamp: '2026-01-31T13:30:00+02:00' }), // 11:30Z
      event({ timestamp: '2026-01-31T06:15:00.123-0500' }), // 11:15:00.123Z
      event({ timestamp: '2026-01-31T10:59:59Z' }),
      event({ timestamp: '2026-02-01T00:30:00+14:00' }), // 2026-01-31T10:30Z
    ]);
    expect(out.map((h) => h.hour)).toEqual(['2026-01-31T11', '2026-01-31T10']);
    expect(out[0]!.rows.map((r) => r.event_time)).toEqual([Date.parse('2026-01-31T11:30:00Z'), Date.parse('2026-01-31T11:15:00.123Z')]);
    expect(out[1]!.rows.map((r) => [r.event_date, r.event_hour])).toEqual([
      ['2026-01-31', 10],
      ['2026-01-31', 10],
    ]);
  });

  it('casts numeric strings, cleans categories, derives revenue for purchases only', () => {
    const [h] = rowsOf([
      event({ quantity: '3', price: '19.99', category: '  Home & Garden ' }),
      event({ event_type: 'add_to_cart', quantity: 2, price: 5, category: 'TOYS' }),
      event({ event_type: 'page_view', quantity: undefined, price: undefined, category: '   ' }),
    ]);
    const [purchase, cart, view] = h!.rows;
    expect([purchase!.quantity, purchase!.price, purchase!.revenue, purchase!.category]).toEqual([3, 19.99, 59.97, 'home & garden']);
    expect([cart!.quantity, cart!.price, cart!.revenue, cart!.category]).toEqual([2, 5, null, 'toys']);
    expect([view!.quantity, view!.price, view!.revenue, view!.category]).toEqual([null, null, null, null]);
  });

  it('writes _extra as JSON.stringify would write an object of those fields: key order, numeric keys, __proto__, escapes', () => {
    const ctx = createProcessorContext(testOptions());
    const base = JSON.stringify(event());
    // Keys a JavaScript object treats specially, written into the payload text directly.
    const payload = `${base.slice(0, -1)},"zeta":"\\u00fc\\"\\n","10":1,"__proto__":{"polluted":true},"2":[1,null],"alpha":{"b":-0.5e3}}`;
    const r = processPiece(piece([kinesisRecord(payload)]), ctx);
    expect(r.dlq).toEqual([]);
    const extra = decodeChunks(r.cleansed)[0]!.columns._extra![0] as string;
    const expected = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(JSON.parse(payload) as Record<string, unknown>)) if (!Object.hasOwn(event(), k)) expected[k] = v;
    expect(extra).toBe(JSON.stringify(expected));
    expect(extra).toBe('{"2":[1,null],"10":1,"zeta":"ü\\"\\n","__proto__":{"polluted":true},"alpha":{"b":-500}}');
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('writes repeated, escaped, long and more distinct extra values than its quoting table holds exactly as JSON.stringify does', () => {
    const ctx = createProcessorContext(testOptions());
    // 5,000 distinct short values (beyond the 4,096 kept quoted), each twice, some needing escapes; and long ones.
    const values = Array.from({ length: 5_000 }, (_, i) => (i % 7 === 0 ? `q"\\\u0001\u00e9${i}` : `v-${i}`));
    const payloads = [...values, ...values].map((v, i) => ({ ...event(), device: v, page_url: `https://shop.example.com/${'x'.repeat(40)}/${i % 3}` }));
    const r = processPiece(piece(payloads.map((p) => kinesisRecord(JSON.stringify(p)))), ctx);
    expect(r.dlq).toEqual([]);
    const extras = decodeChunks(r.cleansed).flatMap((c) => c.columns._extra!);
    expect(extras).toEqual(payloads.map((p) => JSON.stringify({ device: p.device, page_url: p.page_url })));
  });

  it('puts fields the schema does not name into _extra, and fills the ingestion columns', () => {
    const ctx = createProcessorContext(testOptions());
    const rec = kinesisRecord(JSON.stringify(event({ referrer: 'https://x.example/', ab: { bucket: 'B', n: 2 } })), { partitionKey: 'user-77' });
    const r = processPiece(piece([rec, kinesisRecord(JSON.stringify(event()))]), ctx);
    const chunk = decodeChunks(r.cleansed)[0]!;
    expect(JSON.parse(chunk.columns._extra![0] as string)).toEqual({ referrer: 'https://x.example/', ab: { bucket: 'B', n: 2 } });
    expect(chunk.columns._extra![1]).toBeNull();
    expect(chunk.columns._shard_id![0]).toBe(rec.shardId);
    expect(chunk.columns._sequence_number![0]).toBe(rec.sequenceNumber);
    expect(chunk.columns._sub_sequence_number![0]).toBeNull();
    expect(chunk.columns._partition_key![0]).toBe('user-77');
    expect(chunk.columns._arrival_time![0]).toBe(ARRIVAL_MS);
  });

  it('parses timestamps strictly', () => {
    expect(parseIsoTimestamp('2024-02-29T23:59:59.999999Z')).toBe(Date.parse('2024-02-29T23:59:59.999Z'));
    expect(parseIsoTimestamp('2026-01-31 12:00+05:30')).toBe(Date.parse('2026-01-31T06:30:00Z'));
    for (const bad of ['2026-01-31T12:00:00', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-01-31T24:00:00Z', '1769860800000', 'Sat, 31 Jan 2026 12:00:00 GMT', '2026-01-31T12:00:00+25:00']) {
      expect(parseIsoTimestamp(bad), bad).toBeUndefined();
    }
  });

  it('reads years 0000-0099 as those years, not as 1900-1999, on both parsing paths', () => {
    const year50 = new Date(0);
    year50.setUTCFullYear(50, 0, 1);
    year50.setUTCHours(12, 0, 0, 0);
    expect(parseIsoTimestamp('0050-01-01T12:00:00Z')).toBe(year50.getTime());
    expect(parseIsoTimestamp('0050-01-01 12:00+00:00')).toBe(year50.getTime());
    // 0004 is a leap year, 0001 is not.
    expect(new Date(parseIsoTimestamp('0004-02-29T00:00:00Z')!).toISOString()).toBe('0004-02-29T00:00:00.000Z');
    expect(parseIsoTimestamp('0001-02-29T00:00:00Z')).toBeUndefined();
    expect(new Date(parseIsoTimestamp('0099-12-31T23:59:59.5-01:00')!).toISOString()).toBe('0100-01-01T00:59:59.500Z');
  });
});

describe('PII', () => {
  const secretUser = 'alice.secret@example.com';
  const secretSession = 'sess-very-secret-9f8e';

  it('never puts configured fields in clear in cleansed chunks or DLQ details', () => {
    const ctx = createProcessorContext(testOptions({ piiFields: ['user_id', 'session_id', 'email'] }));
    const payloads = [
      event({ user_id: secretUser, session_id: secretSession, email: secretUser }),
      event({ user_id: secretUser, session_id: secretSession, quantity: 'lots' }), // wrong_type
      event({ user_id: secretUser, session_id: secretSession, event_type: secretUser }), // unknown_event_type
      event({ user_id: secretUser, session_id: secretSession, timestamp: secretUser }), // invalid_timestamp
      { user_id: secretUser, session_id: secretSession, event_type: 'purchase' }, // missing_field
      `{"user_id":"${secretUser}","session_id":"${secretSession}",`, // invalid_json
    ];
    const r = processPiece(piece(payloads.map((p) => kinesisRecord(typeof p === 'string' ? p : JSON.stringify(p)))), ctx);
    expect(r.counts.valid).toBe(1);
    expect(r.dlq).toHaveLength(5);
    const cleansedText = r.cleansed.map((c) => new TextDecoder().decode(c.chunk)).join('\n');
    const details = r.dlq.map((d) => JSON.stringify({ ...d, payloadBase64: undefined })).join('\n');
    for (const secret of [secretUser, secretSession, 'alice', 'very-secret']) {
      expect(cleansedText).not.toContain(secret);
      expect(details).not.toContain(secret);
    }
    const row = decodeChunks(r.cleansed)[0]!;
    const token = (v: string): string => 'tok_' + createHmac('sha256', PII_KEY).update(v).digest('hex').slice(0, 32);
    expect(row.columns.user_id![0]).toBe(token(secretUser));
    expect(row.columns.session_id![0]).toBe(token(secretSession));
    expect(JSON.parse(row.columns._extra![0] as string)).toEqual({ email: token(secretUser) });
    // The raw zone (restricted) keeps the original bytes.
    expect(new TextDecoder().decode(r.raw)).toContain(secretUser);
  });

  it('caches the tokens of short values only: a long value in a listed field holds no memory after its record', () => {
    const tokenizer = new PiiTokenizer(['email'], PII_KEY);
    const long = 'x'.repeat(100_000);
    const token = (v: string): string => 'tok_' + createHmac('sha256', PII_KEY).update(v).digest('hex').slice(0, 32);
    expect(tokenizer.token(long)).toBe(token(long));
    expect(tokenizer.token(long)).toBe(token(long));
    expect(tokenizer.token('alice')).toBe(token('alice'));
    expect(tokenizer.cachedValues).toBe(1);
  });

  it('gives equal values equal tokens and different keys different tokens', () => {
    const a = rowsOf([event({ user_id: 'u1' }), event({ user_id: 'u1' }), event({ user_id: 'u2' })])[0]!.rows.map((r) => r.user_id);
    const b = rowsOf([event({ user_id: 'u1' })], testOptions({ piiKey: 'another-key-0123456789' }))[0]!.rows.map((r) => r.user_id);
    expect(a[0]).toBe(a[1]);
    expect(a[0]).not.toBe(a[2]);
    expect(b[0]).not.toBe(a[0]);
  });

  it('stores fields in clear when no PII field is configured', () => {
    const [h] = rowsOf([event({ user_id: 'plain-user' })], testOptions({ piiFields: [], piiKey: undefined }));
    expect(h!.rows[0]!.user_id).toBe('plain-user');
  });
});

describe('utcDateHour', () => {
  it('matches toISOString and eventHourKey across years, leap days and hours', () => {
    let x = 7;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const ms = Date.UTC(1970, 0, 1) + Math.floor((x / 2147483648) * (Date.UTC(2400, 0, 1) - Date.UTC(1970, 0, 1)));
      const { date, hour } = utcDateHour(ms);
      const iso = new Date(ms).toISOString();
      expect(`${date}T${String(hour).padStart(2, '0')}`).toBe(eventHourKey(ms));
      expect(date).toBe(iso.slice(0, 10));
    }
    expect(utcDateHour(Date.parse('2024-02-29T23:59:59.999Z'))).toEqual({ date: '2024-02-29', hour: 23 });
    expect(utcDateHour(Date.parse('2000-03-01T00:00:00Z'))).toEqual({ date: '2000-03-01', hour: 0 });
  });
});
