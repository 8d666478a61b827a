/** The Glue tables: raw JSON and cleansed Parquet, both with partition projection, built from the service's contracts. */
import { describe, expect, it } from 'vitest';
import { cleansedTable, defaultLakeTables, glueName, rawTable } from '../../deploy/ecs/lib/defaultTables.js';
import type { LakeTableDefinition } from '../../deploy/ecs/lib/lakeTableDefinition.js';
import { CLEANSED_COLUMNS } from '../../src/lake/cleansedColumns.js';
import { synthStack } from './synthStack.js';
import { onlyResource, resourcesOf } from './templateQueries.js';

const input = { database: 'lake_db', bucket: 'my-lake-bucket', stream: 'click-stream', table: 'click_events' };

function projectedColumns(def: LakeTableDefinition): string[] {
  return Object.keys(def.parameters)
    .map((k) => /^projection\.([^.]+)\.type$/.exec(k)?.[1])
    .filter((c): c is string => c !== undefined);
}

function templateColumns(def: LakeTableDefinition): string[] {
  return [...def.parameters['storage.location.template']!.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]!);
}

describe('default lake tables', () => {
  it('projects every raw partition down to the minute, zero-padded', () => {
    const raw = rawTable(input);
    expect(raw.name).toBe('click_stream_raw');
    expect(raw.location).toBe('s3://my-lake-bucket/raw/click-stream/');
    expect(raw.partitionKeys.map((k) => k.name)).toEqual(['year', 'month', 'day', 'hour', 'minute']);
    expect(raw.parameters['projection.enabled']).toBe('true');
    expect(projectedColumns(raw)).toEqual(raw.partitionKeys.map((k) => k.name));
    for (const key of ['month', 'day', 'hour', 'minute']) {
      expect(raw.parameters[`projection.${key}.type`]).toBe('integer');
      expect(raw.parameters[`projection.${key}.digits`]).toBe('2');
    }
    expect(raw.parameters['projection.minute.range']).toBe('0,59');
    expect(raw.parameters['projection.hour.range']).toBe('0,23');
    expect(raw.parameters['storage.location.template']).toBe(
      's3://my-lake-bucket/raw/click-stream/year=${year}/month=${month}/day=${day}/hour=${hour}/minute=${minute}/',
    );
    expect(templateColumns(raw)).toEqual(raw.partitionKeys.map((k) => k.name));
    expect(raw.serde.library).toMatch(/JsonSerDe$/);
  });

  it('declares the raw line fields', () => {
    const line = { shardId: 's', sequenceNumber: '1', subSequenceNumber: 0, partitionKey: 'p', arrivalTime: 't', data: {}, dataBase64: '' };
    expect(rawTable(input).columns.map((c) => c.name).sort()).toEqual(Object.keys(line).map((k) => k.toLowerCase()).sort());
  });

  it('declares the cleansed columns of CLEANSED_COLUMNS in order, with dt/hour projection', () => {
    const cleansed = cleansedTable(input);
    expect(cleansed.name).toBe('click_events');
    expect(cleansed.location).toBe('s3://my-lake-bucket/cleansed/click_events/');
    expect(cleansed.columns.map((c) => c.name)).toEqual(CLEANSED_COLUMNS.map((c) => c.name));
    const typeOf = (name: string) => cleansed.columns.find((c) => c.name === name)?.type;
    for (const column of CLEANSED_COLUMNS) {
      const expected = { timestamp_ms: 'timestamp', string: 'string', int64: 'bigint', int32: 'int', double: 'double' }[column.type];
      expect(typeOf(column.name), column.name).toBe(expected);
    }
    expect(cleansed.partitionKeys.map((k) => k.name)).toEqual(['dt', 'hour']);
    expect(cleansed.parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.hour.type': 'integer',
      'projection.hour.range': '0,23',
      'projection.hour.digits': '2',
      'storage.location.template': 's3://my-lake-bucket/cleansed/click_events/dt=${dt}/hour=${hour}/',
    });
    expect(cleansed.serde.library).toMatch(/ParquetHiveSerDe$/);
  });

  it('makes Glue-safe names', () => {
    expect(glueName('My-Stream.v2')).toBe('my_stream_v2');
  });
});

describe('Glue resources of the stack', () => {
  it('creates the database and one table per definition, with projection enabled', () => {
    const { template } = synthStack({ glueDatabase: 'lake_db_test', cleansedTable: 'clicks_clean' });
    const [, database] = onlyResource(template, 'AWS::Glue::Database');
    expect((database.Properties.DatabaseInput as { Name: string }).Name).toBe('lake_db_test');
    const tables = resourcesOf(template, 'AWS::Glue::Table').map(([, t]) => t.Properties);
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      expect(table.DatabaseName).toBe('lake_db_test');
      const tableInput = table.TableInput as { Parameters: Record<string, string>; TableType: string; StorageDescriptor: { Location: unknown } };
      expect(tableInput.TableType).toBe('EXTERNAL_TABLE');
      expect(tableInput.Parameters['projection.enabled']).toBe('true');
      expect(tableInput.Parameters['storage.location.template']).toBeDefined();
    }
    expect(tables.map((t) => (t.TableInput as { Name: string }).Name).sort()).toEqual(['clicks_clean', 'clickstream_raw']);
  });

  it('builds the tables from a supplied definition list (the shared src/lake/tables.ts later)', () => {
    const custom = (i: typeof input): LakeTableDefinition[] => defaultLakeTables(i).map((d) => ({ ...d, name: `${d.name}_v2` }));
    const { template } = synthStack({ lakeTables: custom });
    const names = resourcesOf(template, 'AWS::Glue::Table').map(([, t]) => (t.Properties.TableInput as { Name: string }).Name);
    expect(names.sort()).toEqual(['clickstream_raw_v2', 'events_v2']);
  });
});
