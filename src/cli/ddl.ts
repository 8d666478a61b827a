/**
 * `kinesis-lake ddl`: Athena statements creating the lake's tables, for
 * teams that manage Glue by hand rather than with the CDK app. Rendered from
 * the same definitions the CDK app uses, so the two cannot disagree.
 */
import { lakeTables, type LakeTableDefinition, type LakeTablesOptions } from '../lake/tables.js';

export type DdlOptions = LakeTablesOptions;

function identifier(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

// Hive DDL string literals take backslash escapes.
function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function properties(map: Record<string, string>): string {
  return Object.entries(map)
    .map(([k, v]) => `  ${literal(k)}=${literal(v)}`)
    .join(',\n');
}

// EXTERNAL is a Glue parameter that the DDL keyword already states.
function tableProperties(parameters: Record<string, string>): Record<string, string> {
  const { EXTERNAL: _external, ...rest } = parameters;
  return rest;
}

/** One CREATE EXTERNAL TABLE statement, terminated by ';'. */
export function renderTableDdl(table: LakeTableDefinition): string {
  const columns = table.columns.map((c) => `  ${identifier(c.name)} ${c.type} COMMENT ${literal(c.comment)}`).join(',\n');
  const partitions = table.partitionKeys.map((k) => `${identifier(k.name)} ${k.type}`).join(', ');
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS ${identifier(table.database)}.${identifier(table.name)} (`,
    columns,
    ')',
    `PARTITIONED BY (${partitions})`,
    `ROW FORMAT SERDE ${literal(table.serde.library)}`,
    `WITH SERDEPROPERTIES (\n${properties(table.serde.parameters)}\n)`,
    `STORED AS INPUTFORMAT ${literal(table.inputFormat)}`,
    `OUTPUTFORMAT ${literal(table.outputFormat)}`,
    `LOCATION ${literal(table.location)}`,
    `TBLPROPERTIES (\n${properties(tableProperties(table.parameters))}\n);`,
  ].join('\n');
}

/** Both tables' statements (raw, then cleansed), separated by a blank line. */
export function renderDdl(options: DdlOptions): string {
  return `${lakeTables(options).map(renderTableDdl).join('\n\n')}\n`;
}
