/** A throwaway in-memory DuckDB for tests that inspect Parquet files. */
import { DuckDBInstance } from '@duckdb/node-api';

export type Row = Record<string, unknown>;

export interface TestDuckDb {
  all(sql: string): Promise<Row[]>;
  close(): void;
}

export async function openDuckDb(): Promise<TestDuckDb> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  return {
    async all(sql) {
      const reader = await connection.runAndReadAll(sql);
      return reader
        .getRowObjectsJS()
        .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
