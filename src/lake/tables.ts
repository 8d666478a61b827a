/**
 * Glue/Athena definitions of the lake's two tables, as plain data: the DDL
 * command renders them as SQL, and the CDK app turns them into CfnTable
 * input (see glueTableInput). Both tables use partition projection, so a
 * new hour or minute is queryable the moment its first object lands: no
 * crawler, no MSCK REPAIR TABLE, no partition API calls from the service.
 */
import { CLEANSED_COLUMNS, type CleansedColumnType } from './cleansedColumns.js';

export interface LakeColumn {
  name: string;
  /** Glue/Hive type name as Athena DDL spells it. */
  type: string;
  comment: string;
}

export interface LakeTableDefinition {
  database: string;
  name: string;
  /** s3:// URL of the table's root prefix, ending with '/'. */
  location: string;
  columns: LakeColumn[];
  partitionKeys: { name: string; type: string }[];
  /** Table properties: classification, compression and partition projection. */
  parameters: Record<string, string>;
  serde: { library: string; parameters: Record<string, string> };
  inputFormat: string;
  outputFormat: string;
}

export interface LakeTablesOptions {
  database: string;
  bucket: string;
  /** Kinesis stream name: the raw zone's directory under raw/. */
  stream: string;
  /** Cleansed table name and its directory under cleansed/. */
  table: string;
  /** Raw table name; default `<table>_raw`. */
  rawTable?: string;
  /** First date the cleansed projection enumerates (late events older than this are invisible); default 2020-01-01. */
  firstEventDate?: string;
  /** First year the raw projection enumerates; default 2020. */
  firstArrivalYear?: number;
}

export const GLUE_TYPES: Readonly<Record<CleansedColumnType, string>> = {
  timestamp_ms: 'timestamp',
  string: 'string',
  int64: 'bigint',
  int32: 'int',
  double: 'double',
};

const GLUE_NAME = /^[a-z0-9_]{1,255}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Raw zone columns: the keys of a raw line (rawLine.ts), lower-cased because
 * the JSON SerDe matches keys case-insensitively and Athena column names are
 * lower case. `data` is declared string: the payload can be any JSON value,
 * and the OpenX SerDe hands a nested value to a string column as its JSON
 * text, ready for json_extract_scalar().
 */
export const RAW_COLUMNS: readonly LakeColumn[] = [
  { name: 'shardid', type: 'string', comment: 'Kinesis shard id' },
  { name: 'sequencenumber', type: 'string', comment: 'Kinesis sequence number (decimal, up to 128 bits)' },
  { name: 'subsequencenumber', type: 'bigint', comment: 'KPL sub-sequence number, null for plain records' },
  { name: 'partitionkey', type: 'string', comment: 'Kinesis partition key' },
  { name: 'arrivaltime', type: 'string', comment: 'ApproximateArrivalTimestamp, ISO-8601 UTC (read it with from_iso8601_timestamp)' },
  { name: 'data', type: 'string', comment: 'Payload as JSON text, when it was single-line UTF-8 JSON' },
  { name: 'database64', type: 'string', comment: 'Payload bytes in base64, when data could not hold them' },
];

const PARQUET = {
  library: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
};
// TextInputFormat decompresses by file extension, so .jsonl.gz objects need no property.
const JSON_LINES = {
  library: 'org.openx.data.jsonserde.JsonSerDe',
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
};

function glueName(what: string, value: string): string {
  if (!GLUE_NAME.test(value)) throw new Error(`${what} ${JSON.stringify(value)} must be 1-255 of a-z 0-9 _ (Glue lower-cases names)`);
  return value;
}

/** Partition projection parameters for one integer key written with a fixed number of digits. */
function integerProjection(key: string, min: number, max: number, digits: number): Record<string, string> {
  return {
    [`projection.${key}.type`]: 'integer',
    [`projection.${key}.range`]: `${min},${max}`,
    [`projection.${key}.digits`]: String(digits),
  };
}

export function lakeTables(options: LakeTablesOptions): LakeTableDefinition[] {
  const database = glueName('database', options.database);
  const table = glueName('table', options.table);
  const rawTable = glueName('raw table', options.rawTable ?? `${table}_raw`);
  const firstEventDate = options.firstEventDate ?? '2020-01-01';
  if (!DATE.test(firstEventDate)) throw new Error(`firstEventDate ${JSON.stringify(firstEventDate)} must be YYYY-MM-DD`);
  const firstArrivalYear = options.firstArrivalYear ?? 2020;
  const bucketRoot = `s3://${options.bucket}`;
  const cleansedLocation = `${bucketRoot}/cleansed/${table}/`;
  const rawLocation = `${bucketRoot}/raw/${options.stream}/`;

  const cleansed: LakeTableDefinition = {
    database,
    name: table,
    location: cleansedLocation,
    columns: CLEANSED_COLUMNS.map((c) => ({ name: c.name, type: GLUE_TYPES[c.type], comment: c.doc })),
    partitionKeys: [
      { name: 'dt', type: 'string' },
      { name: 'hour', type: 'int' },
    ],
    parameters: {
      EXTERNAL: 'TRUE',
      classification: 'parquet',
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      // Up to a day ahead: producers' clocks run fast, and event time comes from them.
      'projection.dt.range': `${firstEventDate},NOW+1DAYS`,
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
      ...integerProjection('hour', 0, 23, 2),
      'storage.location.template': `${cleansedLocation}dt=\${dt}/hour=\${hour}`,
    },
    serde: { library: PARQUET.library, parameters: { 'serialization.format': '1' } },
    inputFormat: PARQUET.inputFormat,
    outputFormat: PARQUET.outputFormat,
  };

  const raw: LakeTableDefinition = {
    database,
    name: rawTable,
    location: rawLocation,
    columns: RAW_COLUMNS.map((c) => ({ ...c })),
    partitionKeys: ['year', 'month', 'day', 'hour', 'minute'].map((name) => ({ name, type: 'int' })),
    parameters: {
      EXTERNAL: 'TRUE',
      classification: 'json',
      compressionType: 'gzip',
      'projection.enabled': 'true',
      // Five integer keys keep filters natural (year = 2026 AND month = 5); a query must filter on them,
      // or Athena enumerates every projected minute.
      ...integerProjection('year', firstArrivalYear, 2099, 4),
      ...integerProjection('month', 1, 12, 2),
      ...integerProjection('day', 1, 31, 2),
      ...integerProjection('hour', 0, 23, 2),
      ...integerProjection('minute', 0, 59, 2),
      'storage.location.template': `${rawLocation}year=\${year}/month=\${month}/day=\${day}/hour=\${hour}/minute=\${minute}`,
    },
    serde: { library: JSON_LINES.library, parameters: { 'ignore.malformed.json': 'FALSE', 'case.insensitive': 'TRUE' } },
    inputFormat: JSON_LINES.inputFormat,
    outputFormat: JSON_LINES.outputFormat,
  };
  return [raw, cleansed];
}

/** Shape of AWS::Glue::Table's TableInput (CDK `CfnTable.TableInputProperty`), without importing CDK. */
export interface GlueTableInput {
  name: string;
  tableType: 'EXTERNAL_TABLE';
  parameters: Record<string, string>;
  partitionKeys: { name: string; type: string }[];
  storageDescriptor: {
    columns: LakeColumn[];
    location: string;
    inputFormat: string;
    outputFormat: string;
    serdeInfo: { serializationLibrary: string; parameters: Record<string, string> };
  };
}

export function glueTableInput(table: LakeTableDefinition): GlueTableInput {
  return {
    name: table.name,
    tableType: 'EXTERNAL_TABLE',
    parameters: { ...table.parameters },
    partitionKeys: table.partitionKeys.map((k) => ({ ...k })),
    storageDescriptor: {
      columns: table.columns.map((c) => ({ ...c })),
      location: table.location,
      inputFormat: table.inputFormat,
      outputFormat: table.outputFormat,
      serdeInfo: { serializationLibrary: table.serde.library, parameters: { ...table.serde.parameters } },
    },
  };
}
