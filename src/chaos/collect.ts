/**
 * Gathers what the reconciler compares, straight from the emulators (never
 * through the fault proxies): every raw object's bytes, the identity columns
 * of every cleansed Parquet file (read with DuckDB from a local copy), every
 * message in the dead-letter queue, and the five queries over the copy.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ObjectStorePort } from '../sinks/objectStore.js';
import { sleep } from '../consumer/backoff.js';
import { runLakeQueries, type LakeQueryResults } from '../lake/queries.js';
import type { CleansedRow, LakeObject } from './reconcile.js';

export async function readObjects(store: ObjectStorePort, prefix: string, concurrency = 8): Promise<LakeObject[]> {
  const listed = await store.list(prefix);
  const out: LakeObject[] = new Array(listed.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, listed.length) }, async () => {
      while (next < listed.length) {
        const i = next++;
        const key = listed[i]!.key;
        out[i] = { key, body: await store.get(key) };
      }
    }),
  );
  return out;
}

/** Writes objects under `dir`, keeping their keys as paths; returns path -> key. */
export function saveObjects(objects: readonly LakeObject[], dir: string): Map<string, string> {
  const paths = new Map<string, string>();
  for (const o of objects) {
    const path = join(dir, o.key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, o.body);
    paths.set(path, o.key);
  }
  return paths;
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export interface CleansedRead {
  rows: CleansedRow[];
  unreadable: string[];
  files: number;
  queries: LakeQueryResults | undefined;
  queryError: string | undefined;
}

/** Reads the identity columns of each local Parquet file (one by one, so a broken file is named) and runs the five queries. */
export async function readCleansed(paths: Map<string, string>): Promise<CleansedRead> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const rows: CleansedRow[] = [];
  const unreadable: string[] = [];
  const readable: string[] = [];
  try {
    for (const [path, key] of paths) {
      try {
        const reader = await connection.runAndReadAll(
          `SELECT _shard_id, _sequence_number, _sub_sequence_number FROM read_parquet(${sqlString(path)})`,
        );
        for (const r of reader.getRowObjectsJS()) {
          const sub = r._sub_sequence_number;
          rows.push({
            key,
            shardId: String(r._shard_id),
            sequenceNumber: String(r._sequence_number),
            subSequenceNumber: sub === null || sub === undefined ? null : Number(sub),
          });
        }
        readable.push(path);
      } catch {
        unreadable.push(key);
      }
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  let queries: LakeQueryResults | undefined;
  let queryError: string | undefined;
  try {
    queries = await runLakeQueries({ files: readable });
  } catch (err) {
    queryError = err instanceof Error ? err.message : String(err);
  }
  return { rows, unreadable, files: paths.size, queries, queryError };
}

/**
 * Every message in the queue. A long visibility timeout keeps a received
 * message from coming back during the drain; a few empty receives in a row
 * mean the queue is empty. Received messages are deleted: the queue is the
 * run's own, and moto's receive slows down with every in-flight message it
 * has to skip (seconds per call at a few hundred).
 */
export async function drainQueue(sqs: SQSClient, queueUrl: string, concurrency = 8): Promise<string[]> {
  const bodies: string[] = [];
  // Several receivers at once: each call to the emulator is slow, and hidden messages never reach two receivers.
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      let empty = 0;
      while (empty < 5) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 900 }));
        const messages = out.Messages ?? [];
        if (messages.length === 0) {
          empty++;
          await sleep(200);
        } else empty = 0;
        for (const m of messages) bodies.push(m.Body ?? '');
        if (messages.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })) }),
          );
        }
      }
    }),
  );
  return bodies;
}
