/** Reads and clears a lake's cleansed zone, for tests that rebuild it. */
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { Lake } from './env.js';

/** Key -> bytes of every object under cleansed/<table>/. */
export async function snapshotCleansed(lake: Lake, table: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const o of await lake.store.list(`cleansed/${table}/`)) out.set(o.key, await lake.store.get(o.key));
  return out;
}

export async function deleteCleansed(lake: Lake, table: string): Promise<number> {
  const listed = await lake.store.list(`cleansed/${table}/`);
  for (const o of listed) await lake.clients.s3.send(new DeleteObjectCommand({ Bucket: lake.bucket, Key: o.key }));
  return listed.length;
}

/** Keys whose bytes differ, or that only one side has. */
export function diffSnapshots(expected: Map<string, Buffer>, actual: Map<string, Buffer>): { missing: string[]; extra: string[]; different: string[] } {
  const missing = [...expected.keys()].filter((k) => !actual.has(k));
  const extra = [...actual.keys()].filter((k) => !expected.has(k));
  const different = [...expected].filter(([k, v]) => actual.has(k) && !actual.get(k)!.equals(v)).map(([k]) => k);
  return { missing, extra, different };
}
