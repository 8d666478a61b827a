import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEANSED_COLUMNS, type CleansedColumnType, type ColumnChunk } from '../../src/lake/cleansedColumns.js';
import { encodeParquet } from '../../src/sinks/parquet/encodeParquet.js';
import { CleansedChunkError } from '../../src/sinks/parquet/errors.js';
import { cleansedRow, encodeChunk, pieces, syntheticEvents, toColumnChunk } from '../support/cleansedFixtures.js';
import { openDuckDb, sqlString, type TestDuckDb } from '../support/duckdb.js';

const SEED = Number(process.env.KL_TEST_SEED ?? Date.now() % 100_000);
const DUCKDB_TYPES: Record<CleansedColumnType, string> = {
  timestamp_ms: 'TIMESTAMP WITH TIME ZONE',
  string: 'VARCHAR',
  int64: 'BIGINT',
  int32: 'INTEGER',
  double: 'DOUBLE',
};

const dir = mkdtempSync(join(tmpdir(), 'kl-parquet-'));
let db: TestDuckDb;
let fileCounter = 0;

function save(bytes: Uint8Array): string {
  const path = join(dir, `f${fileCounter++}.parquet`);
  writeFileSync(path, bytes);
  return path;
}

/** Every column, timestamps as epoch ms, in sequence order. */
function selectAll(path: string): string {
  const cols = CLEANSED_COLUMNS.map((c) => (c.type === 'timestamp_ms' ? `epoch_ms(${c.name}) AS ${c.name}` : c.name));
  return `SELECT ${cols.join(', ')} FROM read_parquet(${sqlString(path)}) ORDER BY _sequence_number`;
}

beforeAll(async () => {
  console.log(`parquetEncoder seed ${SEED}`);
  db = await openDuckDb();
});
afterAll(() => db.close());

describe('encodeParquet', () => {
  const events = syntheticEvents(2_500, SEED);
  // Uneven chunk sizes, so row groups straddle chunk boundaries.
  const chunks = [events.slice(0, 333), events.slice(333, 1_900), events.slice(1_900)].map((p) => encodeChunk(toColumnChunk(p)));

  it('writes every row and value back as DuckDB reads it, nulls and text included', async () => {
    const path = save(await encodeParquet(chunks, { compression: 'snappy', rowGroupRows: 1_000 }));
    const rows = await db.all(selectAll(path));
    const expected = events.map(cleansedRow).sort((a, b) => String(a._sequence_number).localeCompare(String(b._sequence_number)));
    expect(rows.length).toBe(events.length);
    expect(rows).toEqual(expected);
    // The fixture must exercise nulls in every nullable column, or this test proves less than it says.
    for (const c of CLEANSED_COLUMNS.filter((col) => col.nullable)) {
      expect(expected.some((r) => r[c.name] === null), `no null in ${c.name}`).toBe(true);
    }
  });

  it('keeps empty strings apart from nulls and encodes any UTF-16 text as UTF-8', async () => {
    const texts = ['', 'a', null, 'é', 'x👟y', '\uD800', '', null, 'plain'];
    const expectedTexts = ['', 'a', null, 'é', 'x👟y', '\uFFFD', '', null, 'plain'];
    const rowEvents = syntheticEvents(texts.length, SEED + 7);
    for (const asciiOnly of [false, true]) {
      const chunk = toColumnChunk(rowEvents);
      const used = asciiOnly ? texts.map((t) => (t === null ? null : [...t].filter((ch) => ch.charCodeAt(0) < 0x80).join(''))) : texts;
      chunk.columns.search_query = used;
      const path = save(await encodeParquet([encodeChunk(chunk)], { compression: 'snappy' }));
      const rows = await db.all(`SELECT search_query FROM read_parquet(${sqlString(path)}) ORDER BY _sequence_number`);
      const want = asciiOnly ? used : expectedTexts;
      expect(rows.map((r) => r.search_query)).toEqual(want);
    }
  });

  it('declares the contract types: UTC-adjusted millisecond timestamps, required vs optional per column', async () => {
    const path = save(await encodeParquet(chunks, { compression: 'snappy' }));
    const described = await db.all(`DESCRIBE SELECT * FROM read_parquet(${sqlString(path)})`);
    expect(described.map((r) => [r.column_name, r.column_type])).toEqual(CLEANSED_COLUMNS.map((c) => [c.name, DUCKDB_TYPES[c.type]]));

    const schema = await db.all(
      `SELECT name, type, logical_type, repetition_type FROM parquet_schema(${sqlString(path)}) WHERE num_children IS NULL OR num_children = 0`,
    );
    expect(schema.map((r) => r.name)).toEqual(CLEANSED_COLUMNS.map((c) => c.name));
    for (const column of CLEANSED_COLUMNS) {
      const entry = schema.find((r) => r.name === column.name)!;
      expect(entry.repetition_type, column.name).toBe(column.nullable ? 'OPTIONAL' : 'REQUIRED');
      const physical = { timestamp_ms: 'INT64', string: 'BYTE_ARRAY', int64: 'INT64', int32: 'INT32', double: 'DOUBLE' }[column.type];
      expect(entry.type, column.name).toBe(physical);
      if (column.type === 'timestamp_ms') {
        expect(String(entry.logical_type)).toMatch(/^TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS=/);
      }
      if (column.type === 'string') expect(String(entry.logical_type)).toBe('StringType()');
    }
  });

  it('compresses with Snappy or ZSTD, dictionary-encodes strings, and cuts row groups at rowGroupRows', async () => {
    for (const [compression, codec] of [
      ['snappy', 'SNAPPY'],
      ['zstd', 'ZSTD'],
    ] as const) {
      const path = save(await encodeParquet(chunks, { compression, rowGroupRows: 1_000 }));
      const meta = await db.all(
        `SELECT row_group_id, row_group_num_rows, path_in_schema, compression, encodings FROM parquet_metadata(${sqlString(path)})`,
      );
      expect(new Set(meta.map((m) => m.compression))).toEqual(new Set([codec]));
      const groups = new Map(meta.map((m) => [m.row_group_id, m.row_group_num_rows]));
      expect([...groups.values()]).toEqual([1_000, 1_000, 500]);
      const eventType = meta.filter((m) => m.path_in_schema === 'event_type');
      for (const m of eventType) expect(String(m.encodings)).toContain('RLE_DICTIONARY');
      expect((await db.all(`SELECT count(*) AS n FROM read_parquet(${sqlString(path)})`))[0]!.n).toBe(events.length);
    }
  });

  it('is deterministic: same rows give the same bytes, however the rows are split into chunks', async () => {
    const a = await encodeParquet(chunks, { compression: 'zstd', rowGroupRows: 700 });
    const b = await encodeParquet(chunks, { compression: 'zstd', rowGroupRows: 700 });
    const resplit = pieces(events, 97).map((p) => encodeChunk(toColumnChunk(p)));
    const c = await encodeParquet(resplit, { compression: 'zstd', rowGroupRows: 700 });
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(c).equals(Buffer.from(a))).toBe(true);
    // Nothing time- or host-dependent in the footer: only the library version and the Arrow schema.
    const path = save(a);
    const [file] = await db.all(`SELECT created_by FROM parquet_file_metadata(${sqlString(path)})`);
    expect(String(file!.created_by)).toMatch(/^parquet-rs version \d+\.\d+\.\d+$/);
    const kv = await db.all(`SELECT decode(key) AS key FROM parquet_kv_metadata(${sqlString(path)})`);
    expect(kv.map((r) => r.key)).toEqual(['ARROW:schema']);
  });

  it('returns bytes that own their whole buffer, so a worker can transfer them', async () => {
    for (const rowGroupRows of [100_000, 500]) {
      const out = await encodeParquet(chunks, { compression: 'snappy', rowGroupRows });
      expect(out.byteOffset).toBe(0);
      expect(out.byteLength).toBe(out.buffer.byteLength);
      const moved = structuredClone(out, { transfer: [out.buffer] });
      expect(Buffer.from(moved.subarray(0, 4)).toString()).toBe('PAR1');
    }
  });

  it('writes a readable empty file for no rows', async () => {
    const empty = toColumnChunk([]);
    const path = save(await encodeParquet([encodeChunk(empty)], { compression: 'snappy' }));
    expect((await db.all(`SELECT count(*) AS n FROM read_parquet(${sqlString(path)})`))[0]!.n).toBe(0);
  });
});

describe('encodeParquet rejects chunks that break the column contract', () => {
  const good = toColumnChunk(syntheticEvents(5, SEED));
  const variants: [string, (c: ColumnChunk) => void, RegExp][] = [
    ['a missing column', (c) => delete c.columns.event_type, /lacks column "event_type"/],
    ['an unknown column', (c) => (c.columns.colour = c.columns.event_type!.slice()), /column "colour", which CLEANSED_COLUMNS does not declare/],
    ['a short column', (c) => c.columns.price!.pop(), /column "price" has 4 values for 5 rows/],
    ['a null in a required column', (c) => (c.columns._shard_id![2] = null), /column "_shard_id" row 2 is null: expected a value/],
    ['a string in a number column', (c) => (c.columns.quantity![1] = '3'), /column "quantity" row 1 is "3": expected a whole number/],
    ['a number in a string column', (c) => (c.columns.product_id![0] = 7), /column "product_id" row 0 is 7: expected a string/],
    ['an int32 out of range', (c) => (c.columns.event_hour![3] = 2 ** 31), /column "event_hour" row 3 .*expected a 32-bit whole number/],
  ];
  for (const [what, mutate, message] of variants) {
    it(`throws CleansedChunkError for ${what}`, async () => {
      const chunk = structuredClone(good);
      mutate(chunk);
      const attempt = encodeParquet([encodeChunk(good), encodeChunk(chunk)], { compression: 'snappy' });
      await expect(attempt).rejects.toThrow(CleansedChunkError);
      await expect(encodeParquet([encodeChunk(chunk)], { compression: 'snappy' })).rejects.toThrow(message);
    });
  }

  it('throws for bytes that are not JSON, and for bad options', async () => {
    await expect(encodeParquet([new TextEncoder().encode('{"rows":')], { compression: 'snappy' })).rejects.toThrow(/column chunk 0 is not UTF-8 JSON/);
    await expect(encodeParquet([], { compression: 'snappy', rowGroupRows: 0 })).rejects.toThrow(/rowGroupRows must be/);
    await expect(encodeParquet([], { compression: 'gzip' as 'snappy' })).rejects.toThrow(/compression must be snappy or zstd/);
  });
});
