import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEANSED_COLUMNS, type CleansedColumnType, type ColumnChunk } from '../../src/lake/cleansedColumns.js';
import { PLAIN_COLUMNS, encodeParquet } from '../../src/sinks/parquet/encodeParquet.js';
import { CleansedChunkError } from '../../src/sinks/parquet/errors.js';
import { ColumnChunkBuilder, chunkValues, decodeColumnChunk } from '../../src/lake/columnChunk.js';
import { cleansedRow, encodeChunk, pieces, syntheticEvents, toColumnChunk } from '../support/cleansedFixtures.js';
import { openDuckDb, sqlString, type TestDuckDb } from '../support/duckdb.js';
import { tempDir } from '../support/env.js';

const SEED = Number(process.env.KL_TEST_SEED ?? Date.now() % 100_000);
const DUCKDB_TYPES: Record<CleansedColumnType, string> = {
  timestamp_ms: 'TIMESTAMP WITH TIME ZONE',
  string: 'VARCHAR',
  int64: 'BIGINT',
  int32: 'INTEGER',
  double: 'DOUBLE',
};

const dir = tempDir('kl-parquet-');
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

  it('compresses with Snappy or ZSTD, dictionary-encodes repeating columns, writes unique ones plain, and cuts row groups at rowGroupRows', async () => {
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
      for (const name of PLAIN_COLUMNS) {
        const plain = meta.filter((m) => m.path_in_schema === name);
        expect(plain.length, name).toBe(3);
        for (const m of plain) expect(String(m.encodings), name).not.toContain('DICTIONARY');
      }
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

  it('writes the bytes earlier versions wrote for the same rows, so a replay across an upgrade rewrites identical files', async () => {
    // Taken on 2026-11-23 from the encoder that built its Arrow IPC with apache-arrow; the hand-written IPC
    // (arrowBatch.ts) gives the same. A parquet-wasm upgrade changes them (created_by): update them knowingly,
    // and say in docs/cleansed-zone.md that files written across that upgrade differ in bytes.
    const fixed = pieces(syntheticEvents(1_500, 7), 400).map((p) => encodeChunk(toColumnChunk(p)));
    const digest = async (compression: 'snappy' | 'zstd') => createHash('sha256').update(await encodeParquet(fixed, { compression, rowGroupRows: 1_000 })).digest('hex');
    expect(await digest('snappy')).toBe('bc83c78d28f40c7a4b92cf2b87495ee3f83150b2a9d78090c927dda88623b22f');
    expect(await digest('zstd')).toBe('16649a38a096e37e508ffee9377d0c151473f790858049526c93977d4ecc4ae9');
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

describe('column chunks keep the column contract', () => {
  const good = toColumnChunk(syntheticEvents(5, SEED));
  const variants: [string, (c: ColumnChunk) => void, RegExp][] = [
    ['a missing column', (c) => delete c.columns.event_type, /column "event_type" is missing/],
    ['an unknown column', (c) => (c.columns.colour = c.columns.event_type!.slice()), /column "colour" is not declared in CLEANSED_COLUMNS/],
    ['a short column', (c) => c.columns.price!.pop(), /column "price" has 4 values for 5 rows/],
    ['a null in a required column', (c) => (c.columns._shard_id![2] = null), /column "_shard_id" row 2 is null: expected a value/],
    ['a string in a number column', (c) => (c.columns.quantity![1] = '3'), /column "quantity" row 1 is "3": expected a whole number/],
    ['a number in a string column', (c) => (c.columns.product_id![0] = 7), /column "product_id" row 0 is 7: expected a string/],
    ['an int32 out of range', (c) => (c.columns.event_hour![3] = 2 ** 31), /column "event_hour" row 3 .*expected a 32-bit whole number/],
  ];
  for (const [what, mutate, message] of variants) {
    it(`refuses to build a chunk with ${what}`, () => {
      const chunk = structuredClone(good);
      mutate(chunk);
      expect(() => encodeChunk(chunk)).toThrow(CleansedChunkError);
      expect(() => encodeChunk(chunk)).toThrow(message);
    });
  }

  it('leaves no trace of a refused row in the builder', () => {
    const builder = new ColumnChunkBuilder();
    const rows = CLEANSED_COLUMNS.map((c) => good.columns[c.name]!);
    builder.push(rows.map((col) => col[0]!));
    const bad = rows.map((col) => col[1]!);
    bad[CLEANSED_COLUMNS.findIndex((c) => c.name === 'event_hour')] = 'seven';
    expect(() => builder.push(bad)).toThrow(/column "event_hour" row 1 is "seven"/);
    builder.push(rows.map((col) => col[2]!));
    const back = chunkValues(decodeColumnChunk(builder.encode(), 0));
    expect(back.rows).toBe(2);
    for (const c of CLEANSED_COLUMNS) expect(back.columns[c.name]).toEqual([good.columns[c.name]![0], good.columns[c.name]![2]]);
  });

  it('builds the same chunk after reset as a fresh builder does, whatever the previous chunk held', () => {
    // The previous chunk: more rows than the next (its arrays grew), nulls, and non-ASCII text.
    const before = toColumnChunk(syntheticEvents(700, SEED + 3));
    before.columns.search_query![5] = 'größe ✓';
    const nullable = CLEANSED_COLUMNS.find((c) => c.nullable && c.type !== 'string')!;
    before.columns[nullable.name]![9] = null;
    const next = structuredClone(good);
    const rowsOf = (c: ColumnChunk, r: number) => CLEANSED_COLUMNS.map((col) => c.columns[col.name]![r]!);
    const reused = new ColumnChunkBuilder();
    for (let r = 0; r < before.rows; r++) reused.push(rowsOf(before, r));
    expect(chunkValues(decodeColumnChunk(reused.encode(), 0))).toEqual(before);
    reused.reset();
    for (let r = 0; r < next.rows; r++) reused.push(rowsOf(next, r));
    const fresh = new ColumnChunkBuilder();
    for (let r = 0; r < next.rows; r++) fresh.push(rowsOf(next, r));
    const bytes = reused.encode();
    expect(Buffer.from(bytes).equals(Buffer.from(fresh.encode()))).toBe(true);
    expect(chunkValues(decodeColumnChunk(bytes, 0))).toEqual(next);
  });

  it('reads back every value it was given, nulls, negative numbers and non-ASCII text included', () => {
    const chunk = structuredClone(good);
    chunk.columns.search_query![0] = 'ünïcödé ✓ 🚀 \u0000 "quoted"';
    chunk.columns.search_query![1] = '';
    chunk.columns.price![2] = -0.1;
    chunk.columns.quantity![3] = -(2 ** 53 - 1);
    chunk.columns._sub_sequence_number![4] = 2 ** 53 - 1;
    chunk.columns.event_hour![0] = -(2 ** 31);
    expect(chunkValues(decodeColumnChunk(encodeChunk(chunk), 0))).toEqual(chunk);
  });
});

describe('encodeParquet rejects bytes that are not a sound column chunk', () => {
  const good = encodeChunk(toColumnChunk(syntheticEvents(5, SEED)));
  // The first column (event_time, not nullable) has its header right after the 16-byte chunk header.
  const corrupt = (at: number, value: number): Uint8Array => {
    const copy = new Uint8Array(good);
    new DataView(copy.buffer).setUint32(at, value, true);
    return copy;
  };
  const cases: [string, Uint8Array, RegExp][] = [
    ['text instead of a chunk', new TextEncoder().encode('{"rows":5,"columns":{}}'), /column chunk 1 is not a column chunk/],
    ['a truncated chunk', good.subarray(0, good.byteLength - 8), /column chunk 1 is truncated/],
    ['a column of another type', corrupt(16, 9), /column chunk 1 column "event_time" has type code 9/],
    ['nulls in a required column', corrupt(20, 1), /column chunk 1 column "event_time" has 1 nulls but is not nullable/],
    ['a different column count', corrupt(8, 3), /column chunk 1 has 3 columns/],
  ];
  for (const [what, bytes, message] of cases) {
    it(`throws CleansedChunkError for ${what}`, async () => {
      const attempt = encodeParquet([good, bytes], { compression: 'snappy' });
      await expect(attempt).rejects.toThrow(CleansedChunkError);
      await expect(encodeParquet([good, bytes], { compression: 'snappy' })).rejects.toThrow(message);
    });
  }

  it('throws for string offsets that run backwards', async () => {
    const chunk = decodeColumnChunk(good, 0);
    const text = chunk.columns.find((c) => c.offsets !== undefined && c.offsets[2]! > c.offsets[1]!)!;
    const at = text.offsets!.byteOffset - good.byteOffset + 4;
    await expect(encodeParquet([corrupt(at, text.offsets![2]! + 1)], { compression: 'snappy' })).rejects.toThrow(/decreasing offsets at row 1/);
  });

  it('throws for bad options', async () => {
    await expect(encodeParquet([], { compression: 'snappy', rowGroupRows: 0 })).rejects.toThrow(/rowGroupRows must be/);
    await expect(encodeParquet([], { compression: 'gzip' as 'snappy' })).rejects.toThrow(/compression must be snappy or zstd/);
  });
});
