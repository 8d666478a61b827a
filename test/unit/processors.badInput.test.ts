import { describe, expect, it } from 'vitest';
import { createProcessorContext } from '../../src/processors/context.js';
import { processPiece } from '../../src/processors/piece.js';
import { badInputCatalogue, decodeChunks, expectMixedPieceResult, kinesisRecord, mixedPiece, piece, testOptions } from '../support/processorFixtures.js';

describe('processPiece: the bad-input catalogue', () => {
  const ctx = createProcessorContext(testOptions());

  it('sends each bad record to the DLQ with its own reason while the rest lands intact', () => {
    const m = mixedPiece();
    expectMixedPieceResult(processPiece(m.input, ctx), m);
  });

  for (const c of badInputCatalogue()) {
    it(`${c.name} → ${c.reason}`, () => {
      const r = processPiece(piece([kinesisRecord(c.data)]), ctx);
      expect(r.dlq).toHaveLength(1);
      expect(r.dlq[0]!.reason).toBe(c.reason);
      expect(r.cleansed).toHaveLength(0);
      expect(r.rawRecords).toBe(1);
    });
  }

  it('reports the stage of each failure', () => {
    const stages = new Map(processPiece(mixedPiece().input, ctx).dlq.map((d) => [d.reason, d.stage]));
    expect(stages.get('kpl_bad_checksum')).toBe('deaggregate');
    expect(stages.get('invalid_json')).toBe('parse');
    expect(stages.get('missing_field')).toBe('validate');
    expect(stages.get('future_timestamp')).toBe('normalize');
  });

  it('names the field path and rule in the detail', () => {
    const [missing, wrong] = processPiece(piece([kinesisRecord(JSON.stringify({ timestamp: '2026-01-31T12:00:00Z', user_id: 'u', session_id: 's', event_type: 'search' })), kinesisRecord(JSON.stringify({ timestamp: '2026-01-31T12:00:00Z', user_id: 'u', session_id: 's', event_type: 'search', search_query: 5 }))]), ctx).dlq;
    expect(missing!.detail).toContain('/search_query');
    expect(wrong!.detail).toMatch(/\/search_query: .*rule: type/);
  });

  it('honours a lower KL_MAX_RECORD_BYTES and KL_MAX_FUTURE_MS', () => {
    const strict = createProcessorContext(testOptions({ maxRecordBytes: 100, maxFutureMs: 0 }));
    const r = processPiece(piece([kinesisRecord('{"pad":"' + 'x'.repeat(200) + '"}'), kinesisRecord(JSON.stringify({ timestamp: '2026-01-31T12:00:01Z', user_id: 'u', session_id: 's', event_type: 'page_view' }))]), strict);
    expect(r.dlq.map((d) => d.reason)).toEqual(['too_large', 'future_timestamp']);
  });

  it('keeps the column chunk whole when lone surrogates of consecutive rows would pair up if joined', () => {
    const search = (q: string): string => JSON.stringify({ timestamp: '2026-01-31T12:00:00Z', user_id: 'u', session_id: 's', event_type: 'search', search_query: q });
    const r = processPiece(piece([kinesisRecord(search('a\ud83d')), kinesisRecord(search('\ude00b')), kinesisRecord(search('ok'))]), ctx);
    expect(r.counts.valid).toBe(3);
    const [chunk] = decodeChunks(r.cleansed);
    // Each value on its own: a lone surrogate becomes U+FFFD, as UTF-8 requires.
    expect(chunk!.columns.search_query).toEqual(['a\ufffd', '\ufffdb', 'ok']);
    expect(chunk!.columns.event_type).toEqual(['search', 'search', 'search']);
  });

  it('sends a timestamp outside the years 0001-9999 in UTC to the DLQ: its event hour could name no partition', () => {
    const at = (timestamp: string): string => JSON.stringify({ timestamp, user_id: 'u', session_id: 's', event_type: 'page_view' });
    const r = processPiece(piece([kinesisRecord(at('0000-01-01T00:00:00+01:00')), kinesisRecord(at('0001-01-01T00:00:00Z'))]), ctx);
    expect(r.dlq.map((d) => [d.reason, d.detail])).toEqual([['invalid_timestamp', '/timestamp: outside the years 0001-9999 in UTC']]);
    expect(r.cleansed.map((c) => c.hour)).toEqual(['0001-01-01T00']);
  });

  it('accepts a timestamp before arrival however old (a replay decides like the first run)', () => {
    const r = processPiece(piece([kinesisRecord(JSON.stringify({ timestamp: '2019-01-01T00:00:00Z', user_id: 'u', session_id: 's', event_type: 'page_view' }))]), ctx);
    expect(r.counts.valid).toBe(1);
  });
});
