import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { groundTruth, revenueCents, roundHalfAwayFromZero } from '../../src/lake/groundTruth.js';
import { cleansedKey } from '../../src/lake/keys.js';
import { loadQuery, parquetFilesUnder, renderQuery, runLakeQueries } from '../../src/lake/queries.js';
import { QUERY_NAMES, TOP_VIEWED_LIMIT, type LakeQueryResults } from '../../src/lake/queryResults.js';
import { encodeParquet } from '../../src/sinks/parquet/encodeParquet.js';
import { byEventHour, encodeChunk, pieces, syntheticEvents, toColumnChunk, type SyntheticEvent } from '../support/cleansedFixtures.js';
import { tempDir } from '../support/env.js';

const SEED = Number(process.env.KL_TEST_SEED ?? Date.now() % 100_000);

/** Writes the events as the cleansed sink would: one file per shard and event hour, under the table's layout. */
async function writeLake(events: SyntheticEvent[], compression: 'snappy' | 'zstd'): Promise<string> {
  const root = tempDir('kl-lake-');
  for (const [hour, hourEvents] of byEventHour(events)) {
    const byShard = new Map<string, SyntheticEvent[]>();
    for (const e of hourEvents) byShard.set(e.meta.shardId, [...(byShard.get(e.meta.shardId) ?? []), e]);
    for (const [shardId, shardEvents] of byShard) {
      const key = cleansedKey({
        table: 'events',
        shardId,
        firstSequence: shardEvents[0]!.meta.sequenceNumber,
        lastSequence: shardEvents.at(-1)!.meta.sequenceNumber,
        hour,
      });
      const chunks = pieces(shardEvents, 250).map((p) => encodeChunk(toColumnChunk(p)));
      const path = join(root, key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, await encodeParquet(chunks, { compression, rowGroupRows: 400 }));
    }
  }
  return join(root, 'cleansed', 'events');
}

describe('the five business queries', () => {
  const events = syntheticEvents(6_000, SEED);
  let folder: string;
  let truth: LakeQueryResults;

  beforeAll(async () => {
    console.log(`lakeQueries seed ${SEED}`);
    folder = await writeLake(events, 'snappy');
    truth = groundTruth(events);
  });

  it('the fixture covers late events, several days and null optional fields', () => {
    const hours = byEventHour(events);
    expect(hours.size).toBeGreaterThan(4);
    expect(new Set(events.map((e) => e.timestamp.slice(0, 10))).size).toBeGreaterThan(1);
    expect(events.some((e) => e.user_id === null)).toBe(true);
    expect(events.some((e) => typeof e.price === 'string')).toBe(true);
    expect(truth.hourly_revenue.length).toBeGreaterThan(4);
    expect(truth.top_viewed_products).toHaveLength(TOP_VIEWED_LIMIT);
  });

  it('give exactly the ground truth when DuckDB runs them over the encoded files', async () => {
    const lake = await runLakeQueries({ folder });
    for (const name of QUERY_NAMES) expect(lake[name], `${name} (seed ${SEED})`).toEqual(truth[name]);
  });

  it('give the same answers from a ZSTD lake and from an explicit file list', async () => {
    const zstdFolder = await writeLake(events, 'zstd');
    const files = await parquetFilesUnder(zstdFolder);
    expect(files.length).toBeGreaterThan(5);
    expect(await runLakeQueries({ files })).toEqual(truth);
  });

  it('detect a lost or duplicated file (the comparison can fail)', async () => {
    const files = await parquetFilesUnder(folder);
    const dropped = await runLakeQueries({ files: files.slice(1) });
    const doubled = await runLakeQueries({ files: [...files, files[0]!] });
    expect(dropped).not.toEqual(truth);
    expect(doubled.user_activity).toEqual(truth.user_activity); // distinct counts hide duplicates...
    expect(doubled.category_performance).not.toEqual(truth.category_performance); // ...counts do not
  });

  it('return empty results for no files', async () => {
    const empty = tempDir('kl-empty-');
    const results = await runLakeQueries({ folder: empty });
    for (const name of QUERY_NAMES) expect(results[name]).toEqual([]);
  });
});

describe('query files', () => {
  it('each reads the cleansed table through the {{table}} placeholder and nothing engine-specific', () => {
    for (const name of QUERY_NAMES) {
      const sql = loadQuery(name);
      expect(sql).toContain('FROM {{table}}');
      expect(renderQuery(name, '"lake"."events"')).not.toContain('{{');
      // DuckDB-only or Trino-only spellings would break the other engine.
      expect(sql).not.toMatch(/::|count_if|date_trunc|strftime|epoch_ms|QUALIFY|;/i);
    }
  });
});

describe('groundTruth normalization', () => {
  it('rounds cents half away from zero like SQL ROUND, and multiplies before rounding', () => {
    expect(roundHalfAwayFromZero(2.5)).toBe(3);
    expect(roundHalfAwayFromZero(-2.5)).toBe(-3);
    expect(revenueCents(19.99, 3)).toBe(5997);
  });

  it('uses the UTC hour, trims and lower-cases categories, casts numeric strings', () => {
    const result = groundTruth([
      { timestamp: '2026-05-01T23:30:00-02:00', event_type: 'purchase', product_id: 'p1', price: '10.10', quantity: '3', category: ' Books ', user_id: 'u', session_id: 's' },
      { timestamp: '2026-05-02T01:10:00Z', event_type: 'purchase', product_id: 'p1', price: 5, quantity: 1, category: 'BOOKS', user_id: 'u', session_id: 't' },
      { timestamp: '2026-05-02T01:20:00Z', event_type: 'page_view', product_id: 'p2', category: '   ' },
    ]);
    expect(result.hourly_revenue).toEqual([{ event_date: '2026-05-02', event_hour: 1, purchases: 2, revenue_cents: 3530 }]);
    expect(result.category_performance).toEqual([{ event_date: '2026-05-02', category: 'books', event_type: 'purchase', events: 2 }]);
    expect(result.user_activity).toEqual([{ event_date: '2026-05-02', users: 1, sessions: 2 }]);
    expect(result.conversion_funnel).toEqual([
      { product_id: 'p1', page_views: 0, add_to_carts: 0, purchases: 2 },
      { product_id: 'p2', page_views: 1, add_to_carts: 0, purchases: 0 },
    ]);
    expect(result.top_viewed_products).toEqual([{ product_id: 'p2', page_views: 1 }]);
  });
});
