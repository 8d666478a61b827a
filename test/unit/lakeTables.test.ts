import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDdl } from '../../src/cli/ddl.js';
import { CLEANSED_COLUMNS, eventHourKey } from '../../src/lake/cleansedColumns.js';
import { cleansedKey, rawKey } from '../../src/lake/keys.js';
import { GLUE_TYPES, glueTableInput, lakeTables, RAW_COLUMNS, type LakeTableDefinition } from '../../src/lake/tables.js';
import { encodeRawLine } from '../../src/sinks/rawLine.js';
import { encodeParquet } from '../../src/sinks/parquet/encodeParquet.js';
import { encodeChunk, seededRandom, syntheticEvents, toColumnChunk } from '../support/cleansedFixtures.js';
import { openDuckDb, sqlString, type TestDuckDb } from '../support/duckdb.js';
import { tempDir } from '../support/env.js';

const SEED = Number(process.env.KL_TEST_SEED ?? Date.now() % 100_000);
const OPTIONS = { database: 'lake_db', bucket: 'my-lake-bucket', stream: 'clicks', table: 'events' };
const [raw, cleansed] = lakeTables(OPTIONS) as [LakeTableDefinition, LakeTableDefinition];

/** Parsed CREATE statements: name, columns and partition keys, and TBLPROPERTIES. */
function parseDdl(ddl: string) {
  const statements = ddl.split(/;\n(?:\n|$)/).filter((s) => s.trim() !== '');
  return statements.map((sql) => {
    const header = /^CREATE EXTERNAL TABLE IF NOT EXISTS `(\w+)`\.`(\w+)` \(\n([\s\S]*?)\n\)\nPARTITIONED BY \((.*)\)\n/.exec(sql);
    if (!header) throw new Error(`unexpected DDL:\n${sql}`);
    const columns = header[3]!.split(',\n').map((line) => {
      const m = /^ {2}`(\w+)` (\w+) COMMENT '(.*)'$/.exec(line);
      if (!m) throw new Error(`unexpected column line ${line}`);
      return { name: m[1]!, type: m[2]! };
    });
    const partitions = header[4]!.split(', ').map((p) => {
      const m = /^`(\w+)` (\w+)$/.exec(p)!;
      return { name: m[1]!, type: m[2]! };
    });
    const props = Object.fromEntries(
      [...(/TBLPROPERTIES \(\n([\s\S]*)\n\)$/.exec(sql)?.[1] ?? '').matchAll(/'((?:[^'\\]|\\.)*)'='((?:[^'\\]|\\.)*)'/g)].map((m) => [m[1]!, m[2]!]),
    );
    const location = /\nLOCATION '([^']*)'/.exec(sql)?.[1];
    return { database: header[1]!, name: header[2]!, columns, partitions, props, location };
  });
}

/** Values of one partition key as partition projection would write them into a path. */
function projected(params: Record<string, string>, key: string, value: string): boolean {
  const type = params[`projection.${key}.type`];
  if (type === 'integer') {
    const [min, max] = params[`projection.${key}.range`]!.split(',').map(Number) as [number, number];
    const digits = Number(params[`projection.${key}.digits`]);
    const n = Number(value);
    return /^\d+$/.test(value) && value.length === digits && n >= min && n <= max;
  }
  if (type === 'date') {
    expect(params[`projection.${key}.format`]).toBe('yyyy-MM-dd');
    const [first] = params[`projection.${key}.range`]!.split(',');
    return /^\d{4}-\d{2}-\d{2}$/.test(value) && value >= first!;
  }
  throw new Error(`no projection for ${key}`);
}

/** Checks that a key's directory is what the table's location template makes of the key's own partition values. */
function checkKeyAgainstTable(table: LakeTableDefinition, key: string): void {
  const params = table.parameters;
  const values = Object.fromEntries(
    key
      .split('/')
      .filter((s) => s.includes('='))
      .map((s) => s.split('=') as [string, string]),
  );
  expect(Object.keys(values)).toEqual(table.partitionKeys.map((k) => k.name));
  for (const [k, v] of Object.entries(values)) expect(projected(params, k, v), `${k}=${v} in ${key}`).toBe(true);
  const location = params['storage.location.template']!.replace(/\$\{(\w+)\}/g, (_, k: string) => values[k]!);
  expect(`s3://${OPTIONS.bucket}/${key}`.startsWith(`${location}/`), key).toBe(true);
  expect(location.startsWith(table.location)).toBe(true);
}

let db: TestDuckDb;
beforeAll(async () => {
  db = await openDuckDb();
});
afterAll(() => db.close());

describe('lake tables and their DDL', () => {
  it('declares the cleansed columns exactly as CLEANSED_COLUMNS, in the DDL and in the files', async () => {
    const parsed = parseDdl(renderDdl(OPTIONS));
    expect(parsed.map((p) => `${p.database}.${p.name}`)).toEqual(['lake_db.events_raw', 'lake_db.events']);
    const ddlColumns = parsed[1]!.columns;
    expect(ddlColumns).toEqual(CLEANSED_COLUMNS.map((c) => ({ name: c.name, type: GLUE_TYPES[c.type] })));

    const dir = tempDir('kl-ddl-');
    const path = join(dir, 'x.parquet');
    writeFileSync(path, await encodeParquet([encodeChunk(toColumnChunk(syntheticEvents(50, SEED)))], { compression: 'snappy' }));
    const described = await db.all(`DESCRIBE SELECT * FROM read_parquet(${sqlString(path)})`);
    const athenaOf: Record<string, string> = { 'TIMESTAMP WITH TIME ZONE': 'timestamp', VARCHAR: 'string', BIGINT: 'bigint', INTEGER: 'int', DOUBLE: 'double' };
    expect(described.map((d) => ({ name: d.column_name, type: athenaOf[String(d.column_type)] ?? d.column_type }))).toEqual(ddlColumns);
  });

  it('declares the raw columns as the keys of a raw line, lower-cased', () => {
    const record = { shardId: 's', sequenceNumber: '1', subSequenceNumber: 3, partitionKey: 'k', explicitHashKey: undefined, arrivalMs: 0 };
    const verbatim = JSON.parse(new TextDecoder().decode(encodeRawLine({ ...record, data: new TextEncoder().encode('{"a":1}') })));
    const base64 = JSON.parse(new TextDecoder().decode(encodeRawLine({ ...record, data: new Uint8Array([0xff]) })));
    const keys = new Set([...Object.keys(verbatim), ...Object.keys(base64)].map((k) => k.toLowerCase()));
    expect(new Set(RAW_COLUMNS.map((c) => c.name))).toEqual(keys);
    const parsed = parseDdl(renderDdl(OPTIONS))[0]!;
    expect(parsed.columns).toEqual(RAW_COLUMNS.map((c) => ({ name: c.name, type: c.type })));
    expect(parsed.partitions).toEqual(['year', 'month', 'day', 'hour', 'minute'].map((name) => ({ name, type: 'int' })));
  });

  it('projects partitions that match the keys the sinks write', () => {
    const random = seededRandom(SEED);
    for (let i = 0; i < 300; i++) {
      const ms = Date.UTC(2020, 0, 1) + Math.floor(random() * (Date.now() - Date.UTC(2020, 0, 1)));
      const seq = { shardId: 'shardId-000000000001', firstSequence: '100', lastSequence: '200' };
      checkKeyAgainstTable(cleansed, cleansedKey({ ...seq, table: OPTIONS.table, hour: eventHourKey(ms) }));
      checkKeyAgainstTable(raw, rawKey({ ...seq, stream: OPTIONS.stream, windowStartMs: ms }));
    }
    expect(cleansed.location).toBe('s3://my-lake-bucket/cleansed/events/');
    expect(raw.location).toBe('s3://my-lake-bucket/raw/clicks/');
  });

  it('renders the table definitions faithfully into the DDL', () => {
    const parsed = parseDdl(renderDdl(OPTIONS));
    for (const [table, ddl] of [
      [raw, parsed[0]!],
      [cleansed, parsed[1]!],
    ] as const) {
      const { EXTERNAL: _external, ...props } = table.parameters;
      expect(ddl.props).toEqual(props);
      expect(ddl.location).toBe(table.location);
      expect(ddl.partitions).toEqual(table.partitionKeys);
      expect(props['projection.enabled']).toBe('true');
    }
  });

  it('gives CDK a Glue TableInput with the same content', () => {
    const input = glueTableInput(cleansed);
    expect(input.tableType).toBe('EXTERNAL_TABLE');
    expect(input.storageDescriptor.columns.map((c) => c.name)).toEqual(CLEANSED_COLUMNS.map((c) => c.name));
    expect(input.storageDescriptor.serdeInfo.serializationLibrary).toMatch(/ParquetHiveSerDe$/);
    expect(input.parameters['storage.location.template']).toBe('s3://my-lake-bucket/cleansed/events/dt=${dt}/hour=${hour}');
  });

  it('rejects names Glue would change or refuse', () => {
    expect(() => lakeTables({ ...OPTIONS, table: 'Events' })).toThrow(/table "Events" must be/);
    expect(() => lakeTables({ ...OPTIONS, database: 'my-db' })).toThrow(/database "my-db" must be/);
    expect(() => lakeTables({ ...OPTIONS, firstEventDate: '2020/01/01' })).toThrow(/firstEventDate/);
  });
});
