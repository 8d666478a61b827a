/**
 * Where an interrupted replay resumes: one small JSON object per run under
 * replay/_progress/<table>/<run>.json, holding per shard the last sequence
 * number of the last segment made durable. The run id is a function of the
 * stream, table and range, so running the same command again finds it. The
 * marker is deleted when a run completes, so a later replay of the same
 * range (after a code change) does the whole range again. Rewriting a
 * segment is idempotent anyway: the marker only saves work.
 */
import { createHash } from 'node:crypto';
import type { ObjectStorePort } from '../sinks/objectStore.js';
import type { ObjectDeletePort } from './objectDelete.js';

export interface ReplayMarkerBody {
  stream: string;
  table: string;
  from: string;
  to: string;
  /** shardId -> last sequence number of the last finished segment. */
  shards: Record<string, string>;
}

export function replayMarkerKey(stream: string, table: string, fromMs: number, toMs: number): string {
  const run = createHash('sha256').update(`${stream}\n${table}\n${fromMs}\n${toMs}`).digest('hex').slice(0, 24);
  return `replay/_progress/${table}/${run}.json`;
}

export class ReplayMarker {
  private body: ReplayMarkerBody;
  // Puts are chained so shards finishing together never write an older body last.
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly store: ObjectStorePort,
    private readonly deleter: ObjectDeletePort,
    readonly key: string,
    body: ReplayMarkerBody,
  ) {
    this.body = body;
  }

  static async load(store: ObjectStorePort, deleter: ObjectDeletePort, base: Omit<ReplayMarkerBody, 'shards'>, fromMs: number, toMs: number, restart: boolean): Promise<ReplayMarker> {
    const key = replayMarkerKey(base.stream, base.table, fromMs, toMs);
    let shards: Record<string, string> = {};
    if (!restart) {
      const existing = await store.list(key);
      if (existing.some((o) => o.key === key)) {
        const parsed = JSON.parse((await store.get(key)).toString('utf8')) as Partial<ReplayMarkerBody>;
        shards = parsed.shards ?? {};
      }
    }
    return new ReplayMarker(store, deleter, key, { ...base, shards });
  }

  /** Last finished sequence of a shard from an earlier, interrupted run. */
  doneThrough(shardId: string): string | undefined {
    return this.body.shards[shardId];
  }

  get resumed(): boolean {
    return Object.keys(this.body.shards).length > 0;
  }

  record(shardId: string, lastSequence: string): Promise<void> {
    this.body = { ...this.body, shards: { ...this.body.shards, [shardId]: lastSequence } };
    const snapshot = JSON.stringify(this.body);
    this.writes = this.writes.then(() => this.store.put(this.key, Buffer.from(snapshot), { contentType: 'application/json' }));
    return this.writes;
  }

  async complete(): Promise<void> {
    await this.writes;
    await this.deleter.delete(this.key);
  }
}
