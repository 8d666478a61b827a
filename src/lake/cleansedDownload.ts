/**
 * Copies the cleansed zone of one table into a local folder (keys kept as
 * paths), so DuckDB, our local stand-in for Athena, can query it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ObjectStorePort } from '../sinks/objectStore.js';

export async function downloadCleansed(store: ObjectStorePort, table: string, folder: string): Promise<string[]> {
  const files: string[] = [];
  for (const o of await store.list(`cleansed/${table}/`)) {
    const path = join(folder, o.key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, await store.get(o.key));
    files.push(path);
  }
  return files;
}
