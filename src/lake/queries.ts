/**
 * The five business queries (queries/*.sql), loaded and run. The SQL is
 * written once for Athena (Trino) and DuckDB alike; `{{table}}` stands for
 * the cleansed table. Locally, DuckDB reads the Parquet files directly:
 * the same engine the tests use to prove the lake's answers right.
 *
 * DuckDB is imported lazily, so the service itself never loads its native
 * binary; only `demo`, the tests and whoever calls runLakeQueries do.
 */
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { QUERY_NAMES, type LakeQueryResults, type QueryName } from './queryResults.js';

// src/lake/ and dist/lake/ are both two levels below the package root.
const QUERIES_DIR = new URL('../../queries/', import.meta.url);

/** The SQL text of one query, with `{{table}}` still in it. */
export function loadQuery(name: QueryName): string {
  return readFileSync(new URL(`${name}.sql`, QUERIES_DIR), 'utf8');
}

/** The SQL of one query against `table` (e.g. `"lake"."events"` in Athena). */
export function renderQuery(name: QueryName, table: string): string {
  return loadQuery(name).replaceAll('{{table}}', table);
}

export interface LakeQuerySource {
  /** Parquet files to read. */
  files?: string[];
  /** A folder searched recursively for *.parquet (e.g. a local copy of cleansed/<table>/). */
  folder?: string;
}

/** Every *.parquet under `folder`, sorted. */
export async function parquetFilesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true });
  return entries
    .filter((e) => e.endsWith('.parquet'))
    .map((e) => resolve(folder, e))
    .sort();
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** DuckDB returns BIGINT/HUGEINT as bigint; every count here fits a double exactly. */
function plain(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

function emptyResults(): LakeQueryResults {
  return { conversion_funnel: [], hourly_revenue: [], top_viewed_products: [], category_performance: [], user_activity: [] };
}

/** Runs the five queries with DuckDB over local Parquet files. */
export async function runLakeQueries(source: LakeQuerySource): Promise<LakeQueryResults> {
  const files = [...(source.files ?? []), ...(source.folder === undefined ? [] : await parquetFilesUnder(source.folder))].map((f) =>
    resolve(f),
  );
  if (files.length === 0) return emptyResults();
  let duckdb: typeof import('@duckdb/node-api');
  try {
    duckdb = await import('@duckdb/node-api');
  } catch (err) {
    throw new Error('running the lake queries locally needs the @duckdb/node-api package (npm install @duckdb/node-api)', { cause: err });
  }
  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    // Hive partitioning off: the table's columns come from the files alone, as in Athena's column list.
    await connection.run(
      `CREATE VIEW cleansed AS SELECT * FROM read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = false)`,
    );
    const results = emptyResults();
    for (const name of QUERY_NAMES) {
      const reader = await connection.runAndReadAll(renderQuery(name, 'cleansed'));
      const rows = reader.getRowObjectsJS().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
      (results as unknown as Record<QueryName, unknown[]>)[name] = rows;
    }
    return results;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}


export { QUERY_NAMES, type LakeQueryResults, type QueryName } from './queryResults.js';

/** Row count and distinct (shard, sequence, sub-sequence) count of the cleansed files: equal when there are no duplicates. */
export async function lakeRowCounts(source: LakeQuerySource): Promise<{ rows: number; distinctRecords: number }> {
  const files = [...(source.files ?? []), ...(source.folder === undefined ? [] : await parquetFilesUnder(source.folder))].map((f) => resolve(f));
  if (files.length === 0) return { rows: 0, distinctRecords: 0 };
  const duckdb = await import('@duckdb/node-api');
  const instance = await duckdb.DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT count(*) AS n, count(DISTINCT (_shard_id, _sequence_number, coalesce(_sub_sequence_number, -1))) AS d FROM read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = false)`,
    );
    const row = reader.getRowObjectsJS()[0]!;
    return { rows: Number(row.n), distinctRecords: Number(row.d) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
