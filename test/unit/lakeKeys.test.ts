import { describe, expect, it } from 'vitest';
import { eventHourKey } from '../../src/lake/cleansedColumns.js';
import { cleansedKey, rawKey } from '../../src/lake/keys.js';
import { seededRandom } from '../support/cleansedFixtures.js';

const SEED = Number(process.env.KL_TEST_SEED ?? Date.now() % 100_000);
const base = { shardId: 'shardId-000000000007', firstSequence: '49650000000000000000000000000000000000000000000000000012', lastSequence: '49650000000000000000000000000000000000000000000000009999' };

describe('cleansedKey', () => {
  it('puts the file under its event hour, named by shard and sequence range', () => {
    expect(cleansedKey({ ...base, table: 'events', hour: '2026-05-01T07' })).toBe(
      `cleansed/events/dt=2026-05-01/hour=07/shardId-000000000007-${base.firstSequence}-${base.lastSequence}.parquet`,
    );
  });

  it('agrees with eventHourKey for any instant', () => {
    const random = seededRandom(SEED);
    for (let i = 0; i < 200; i++) {
      const ms = Math.floor(random() * Date.UTC(2090, 0, 1));
      const iso = new Date(ms).toISOString();
      const key = cleansedKey({ ...base, table: 't', hour: eventHourKey(ms) });
      expect(key.startsWith(`cleansed/t/dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/`), `${ms} (seed ${SEED})`).toBe(true);
    }
  });

  it('rejects hours that are not YYYY-MM-DDTHH or not on the calendar, and unsafe names', () => {
    for (const hour of ['2026-05-01T7', '2026-05-01 07', '2026-02-30T01', '2026-05-01T24', '2026-05-01']) {
      expect(() => cleansedKey({ ...base, table: 'events', hour })).toThrow(/is not of the form YYYY-MM-DDTHH/);
    }
    expect(() => cleansedKey({ ...base, table: '../x', hour: '2026-05-01T07' })).toThrow(/table "..\/x" cannot be used/);
    expect(() => cleansedKey({ ...base, shardId: 'a/b', table: 'events', hour: '2026-05-01T07' })).toThrow(/shard id/);
  });

  it('is a pure function of its parts', () => {
    const parts = { ...base, table: 'events', hour: '2031-12-31T23' };
    expect(cleansedKey({ ...parts })).toBe(cleansedKey({ ...parts }));
    expect(cleansedKey({ ...parts, lastSequence: '1' })).not.toBe(cleansedKey(parts));
  });
});

describe('rawKey', () => {
  it('puts the file under the UTC minute of its window start', () => {
    const windowStartMs = Date.UTC(2026, 0, 9, 3, 4, 0);
    expect(rawKey({ ...base, stream: 'clicks', windowStartMs })).toBe(
      `raw/clicks/year=2026/month=01/day=09/hour=03/minute=04/shardId-000000000007-${base.firstSequence}-${base.lastSequence}.jsonl.gz`,
    );
  });

  it('matches the ISO UTC fields of any instant', () => {
    const random = seededRandom(SEED + 1);
    for (let i = 0; i < 200; i++) {
      const ms = Math.floor(random() * Date.UTC(2090, 0, 1));
      const iso = new Date(ms).toISOString();
      const dirs = rawKey({ ...base, stream: 's', windowStartMs: ms }).split('/').slice(2, 7);
      expect(dirs, `${ms} (seed ${SEED})`).toEqual([
        `year=${iso.slice(0, 4)}`,
        `month=${iso.slice(5, 7)}`,
        `day=${iso.slice(8, 10)}`,
        `hour=${iso.slice(11, 13)}`,
        `minute=${iso.slice(14, 16)}`,
      ]);
    }
  });

  it('rejects a window start that is not a time', () => {
    expect(() => rawKey({ ...base, stream: 's', windowStartMs: Number.NaN })).toThrow(/not a time/);
  });
});
