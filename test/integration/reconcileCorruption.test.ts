/**
 * The reconciler catches what it is for: a real lake written by a service
 * process reconciles clean, and copies of it with one corruption each (an
 * object duplicated under a new key, an object deleted, a flipped byte, a
 * lost dead letter) are each reported, in the zone where they happened.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLake, startServiceProcess, tempDir, waitFor, type Lake } from '../support/env.js';
import { chaosProduce } from '../../src/chaos/producer.js';
import { lastSequencePerShard, type TruthEntry } from '../../src/chaos/truth.js';
import { drainQueue, readCleansed, readObjects, saveObjects, type CleansedRead } from '../../src/chaos/collect.js';
import { reconcile, type LakeObject, type ReconcileInput } from '../../src/chaos/reconcile.js';
import { compareSequence } from '../../src/consumer/records.js';

const FAST = {
  KL_FLUSH_INTERVAL_MS: '2000',
  KL_FLUSH_MAX_RECORDS: '400',
  KL_CLEANSED_FLUSH_INTERVAL_MS: '3000',
  KL_IDLE_CLOSE_GRACE_MS: '300',
  KL_TABLE_NAME: 'events',
  KL_WORKERS: '1',
};

interface Finished {
  lake: Lake;
  produced: TruthEntry[];
  raw: LakeObject[];
  cleansed: LakeObject[];
  dlq: string[];
}

async function drained(lake: Lake, produced: TruthEntry[]): Promise<boolean> {
  const cps = new Map((await lake.leases.listLeases()).map((l) => [l.leaseKey, l.checkpoint]));
  for (const [shard, seq] of lastSequencePerShard(produced)) {
    const cp = cps.get(shard);
    if (cp === undefined || !(cp === 'SHARD_END' || (/^\d+$/.test(cp) && compareSequence(cp, seq) >= 0))) return false;
  }
  return true;
}

async function finishedLake(): Promise<Finished> {
  const lake = await createLake(2);
  const dir = tempDir('kl-reconcile-');
  const stop = new AbortController();
  const producing = chaosProduce(lake.clients.kinesis, {
    streamName: lake.stream,
    rate: 400,
    seed: 5,
    badRatio: 0.08,
    kplRatio: 0.2,
    corruptKplRatio: 0.02,
    keys: 500,
    truthPath: join(dir, 'truth.jsonl'),
    signal: stop.signal,
  });
  const svc = startServiceProcess(lake.env(FAST), 'reconcile');
  try {
    await new Promise((r) => setTimeout(r, 4000));
    stop.abort();
    const { entries } = await producing;
    await waitFor('checkpoints at the last produced records', () => drained(lake, entries), 90_000, 300);
    svc.child.kill('SIGTERM');
    await svc.exited;
    return {
      lake,
      produced: entries,
      raw: await readObjects(lake.store, `raw/${lake.stream}/`),
      cleansed: await readObjects(lake.store, 'cleansed/events/'),
      dlq: await drainQueue(lake.clients.sqs, lake.dlqUrl),
    };
  } finally {
    stop.abort();
    if (svc.child.exitCode === null && svc.child.signalCode === null) svc.child.kill('SIGKILL');
  }
}

let copies = 0;
/** Reads a (possibly corrupted) copy of the cleansed zone the way the chaos command does. */
async function readCopy(objects: LakeObject[]): Promise<CleansedRead> {
  const dir = join(tempDir('kl-cleansed-copy-'), String(copies++));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return readCleansed(saveObjects(objects, dir));
}

async function inputOf(f: Finished, over: { raw?: LakeObject[]; cleansed?: LakeObject[]; dlq?: string[] } = {}): Promise<ReconcileInput> {
  const cleansed = await readCopy(over.cleansed ?? f.cleansed);
  return {
    stream: f.lake.stream,
    produced: f.produced,
    rawObjects: over.raw ?? f.raw,
    cleansedRows: cleansed.rows,
    cleansedUnreadable: cleansed.unreadable,
    cleansedFiles: cleansed.files,
    dlqMessages: over.dlq ?? f.dlq,
    lakeQueries: cleansed.queries,
  };
}

function flipByte(body: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(body);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}

function linesOf(o: LakeObject): number {
  return gunzipSync(o.body).toString('utf8').split('\n').filter((l) => l.length > 0).length;
}

describe('reconciler on a corrupted copy of a finished lake', () => {
  let f: Finished;

  beforeAll(async () => {
    f = await finishedLake();
  }, 150_000);

  it('reconciles the untouched lake clean, with KPL, malformed and undecodable records in it', async () => {
    const r = reconcile(await inputOf(f));
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.produced.kplUserRecords).toBeGreaterThan(0);
    expect(r.produced.malformed).toBeGreaterThan(0);
    expect(r.raw.found).toBe(r.produced.userRecords);
    expect(r.cleansed.found).toBe(r.produced.valid);
    expect(r.dlq.distinct).toBe(r.produced.malformed);
  });

  it('reports a raw object duplicated under a new key', async () => {
    const victim = f.raw[0]!;
    const copy = [...f.raw, { key: victim.key.replace('.jsonl.gz', '-copy.jsonl.gz'), body: victim.body }];
    const r = reconcile(await inputOf(f, { raw: copy }));
    expect(r.ok).toBe(false);
    expect(r.raw.duplicated).toBe(linesOf(victim));
    expect(r.raw.missing).toBe(0);
    expect(r.problems.some((p) => p.startsWith('raw duplicate'))).toBe(true);
  });

  it('reports a deleted raw object as missing records', async () => {
    const r = reconcile(await inputOf(f, { raw: f.raw.slice(1) }));
    expect(r.ok).toBe(false);
    expect(r.raw.missing).toBe(linesOf(f.raw[0]!));
    expect(r.raw.duplicated).toBe(0);
  });

  it('reports a flipped byte in a raw object (compressed: unreadable; inside a payload: bytes differ)', async () => {
    const victim = f.raw[0]!;
    const broken = reconcile(await inputOf(f, { raw: [{ key: victim.key, body: flipByte(victim.body, Math.floor(victim.body.length / 2)) }, ...f.raw.slice(1)] }));
    expect(broken.ok).toBe(false);
    expect(broken.raw.unreadableObjects + broken.raw.payloadMismatch + broken.raw.missing).toBeGreaterThan(0);

    // The same flip on the text, re-compressed: the object reads, one payload is wrong.
    const text = gunzipSync(victim.body);
    const firstLine = text.toString('utf8').split('\n')[0]!;
    const at = Buffer.byteLength(firstLine) - 3; // inside the payload, before the closing braces
    const flipped = Buffer.from(text);
    flipped[at] = flipped[at] === 0x61 ? 0x62 : 0x61;
    const r = reconcile(await inputOf(f, { raw: [{ key: victim.key, body: gzipSync(flipped) }, ...f.raw.slice(1)] }));
    expect(r.ok).toBe(false);
    expect(r.raw.payloadMismatch + r.raw.unreadableObjects).toBe(1);
  });

  it('reports a cleansed file duplicated under a new key, and the business queries drift', async () => {
    // The largest file: a small late-hour file may hold only search events, which no count but user activity sees.
    const victim = [...f.cleansed].sort((a, b) => b.body.length - a.body.length)[0]!;
    const copy = [...f.cleansed, { key: victim.key.replace('.parquet', '-copy.parquet'), body: victim.body }];
    const r = reconcile(await inputOf(f, { cleansed: copy }));
    expect(r.ok).toBe(false);
    expect(r.cleansed.duplicated).toBeGreaterThan(0);
    expect(Object.values(r.queries)).toContain('differs');
  });

  it('reports a deleted cleansed file and a flipped byte in one', async () => {
    const deleted = reconcile(await inputOf(f, { cleansed: f.cleansed.slice(1) }));
    expect(deleted.ok).toBe(false);
    expect(deleted.cleansed.missing).toBeGreaterThan(0);
    const victim = f.cleansed[0]!;
    // The last byte belongs to the trailing PAR1 magic: the file no longer reads as Parquet.
    const flipped = reconcile(await inputOf(f, { cleansed: [{ key: victim.key, body: flipByte(victim.body, victim.body.length - 1) }, ...f.cleansed.slice(1)] }));
    expect(flipped.ok).toBe(false);
    expect(flipped.cleansed.unreadableFiles).toBe(1);
  });

  it('reports a lost dead letter, and accepts a redelivered one', async () => {
    const lostId = (JSON.parse(f.dlq[0]!) as { id: string }).id;
    const lost = reconcile(await inputOf(f, { dlq: f.dlq.filter((b) => (JSON.parse(b) as { id: string }).id !== lostId) }));
    expect(lost.ok).toBe(false);
    expect(lost.dlq.missing).toBe(1);
    const again = reconcile(await inputOf(f, { dlq: [...f.dlq, f.dlq[0]!] }));
    expect(again.dlq.missing).toBe(0);
    expect(again.dlq.duplicated).toBe(f.dlq.length + 1 - again.dlq.distinct);
    expect(again.ok).toBe(true);
  });

  it('reports a record in the lake that was never produced', async () => {
    const produced = f.produced.slice(1);
    const r = reconcile({ ...(await inputOf(f)), produced });
    expect(r.ok).toBe(false);
    expect(r.raw.unexpected).toBe(1);
    expect(r.cleansed.unexpected + r.dlq.unexpected).toBe(1);
  });
});
