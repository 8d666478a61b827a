/**
 * Default Glue tables of the lake, derived from the service's own contracts:
 * the raw line format (src/sinks/rawLine.ts) and CLEANSED_COLUMNS. Both use
 * partition projection, so no crawler or MSCK REPAIR is ever needed.
 */
import { CLEANSED_COLUMNS, type CleansedColumnType } from '../../../src/lake/cleansedColumns.js';
import type { LakeTableColumn, LakeTableDefinition, LakeTablesInput } from './lakeTableDefinition.js';

/** Earliest year the raw table projects; queries must filter on partitions anyway. */
const FIRST_YEAR = 2020;
const LAST_YEAR = 2099;

const ATHENA_TYPE: Record<CleansedColumnType, string> = {
  timestamp_ms: 'timestamp',
  string: 'string',
  int64: 'bigint',
  int32: 'int',
  double: 'double',
};

/** Glue table names: lower case, [a-z0-9_] only (Athena rejects hyphens unquoted). */
export function glueName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/**
 * The raw line's fields (see rawLine.ts). Athena lower-cases names and the
 * OpenX serde matches JSON keys case-insensitively; `data` is declared string
 * so any payload JSON comes back as its text.
 */
const RAW_COLUMNS: LakeTableColumn[] = [
  { name: 'shardid', type: 'string', comment: 'Kinesis shard id' },
  { name: 'sequencenumber', type: 'string', comment: 'Kinesis sequence number' },
  { name: 'subsequencenumber', type: 'bigint', comment: 'KPL sub-sequence number; absent for plain records' },
  { name: 'partitionkey', type: 'string', comment: 'Kinesis partition key' },
  { name: 'arrivaltime', type: 'string', comment: 'ApproximateArrivalTimestamp, ISO-8601 UTC' },
  { name: 'data', type: 'string', comment: 'Payload JSON, verbatim, when it was single-line UTF-8 JSON' },
  { name: 'database64', type: 'string', comment: 'Payload bytes in base64 otherwise' },
];

function integerProjection(column: string, min: number, max: number, digits: number): Record<string, string> {
  return {
    [`projection.${column}.type`]: 'integer',
    [`projection.${column}.range`]: `${min},${max}`,
    [`projection.${column}.digits`]: String(digits),
  };
}

export function rawTable(input: LakeTablesInput): LakeTableDefinition {
  const location = `s3://${input.bucket}/raw/${input.stream}/`;
  return {
    name: `${glueName(input.stream)}_raw`,
    location,
    columns: RAW_COLUMNS,
    partitionKeys: ['year', 'month', 'day', 'hour', 'minute'].map((name) => ({ name, type: 'int' })),
    parameters: {
      classification: 'json',
      compressionType: 'gzip',
      EXTERNAL: 'TRUE',
      'projection.enabled': 'true',
      ...integerProjection('year', FIRST_YEAR, LAST_YEAR, 4),
      ...integerProjection('month', 1, 12, 2),
      ...integerProjection('day', 1, 31, 2),
      ...integerProjection('hour', 0, 23, 2),
      ...integerProjection('minute', 0, 59, 2),
      'storage.location.template': `${location}year=\${year}/month=\${month}/day=\${day}/hour=\${hour}/minute=\${minute}/`,
    },
    serde: { library: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'case.insensitive': 'TRUE', 'ignore.malformed.json': 'FALSE' } },
    inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  };
}

export function cleansedTable(input: LakeTablesInput): LakeTableDefinition {
  const location = `s3://${input.bucket}/cleansed/${input.table}/`;
  return {
    name: glueName(input.table),
    location,
    columns: CLEANSED_COLUMNS.map((c) => ({ name: c.name, type: ATHENA_TYPE[c.type], comment: c.doc })),
    partitionKeys: [
      { name: 'dt', type: 'string' },
      { name: 'hour', type: 'int' },
    ],
    parameters: {
      classification: 'parquet',
      EXTERNAL: 'TRUE',
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': `${FIRST_YEAR}-01-01,NOW`,
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
      ...integerProjection('hour', 0, 23, 2),
      'storage.location.template': `${location}dt=\${dt}/hour=\${hour}/`,
    },
    serde: { library: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe', parameters: { 'serialization.format': '1' } },
    inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
    outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  };
}

/** Same signature as `lakeTables` in src/lake/tables.ts. */
export function defaultLakeTables(input: LakeTablesInput): LakeTableDefinition[] {
  return [rawTable(input), cleansedTable(input)];
}
