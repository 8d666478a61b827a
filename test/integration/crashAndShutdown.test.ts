import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLake, startServiceProcess, waitFor, type Lake } from '../support/env.js';
import { checkRawZone, checkpointsReached, lastProducedPerShard } from '../support/lakeCheck.js';
import { produce } from '../../src/producer/producer.js';
import { compareSequence } from '../../src/consumer/records.js';

const FAST = { KL_FLUSH_INTERVAL_MS: '2000', KL_FLUSH_MAX_RECORDS: '700', KL_CLEANSED_FLUSH_INTERVAL_MS: '4000', KL_CLEANSED_FLUSH_MAX_RECORDS: '2000', KL_IDLE_CLOSE_GRACE_MS: '300' };

async function snapshot(lake: Lake): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const o of await lake.store.list(`raw/${lake.stream}/`)) {
    out.set(o.key, createHash('md5').update(await lake.store.get(o.key)).digest('hex'));
  }
  return out;
}

describe('crash and shutdown', () => {
  it('SIGKILL mid-stream and restart: still exactly once, and replayed objects keep their keys and bytes', async () => {
    const lake = await createLake(2);
    const producing = produce(lake.clients.kinesis, { streamName: lake.stream, rate: 2500, count: 15_000, keys: 1000, seed: 11, badRatio: 0 }, true);
    const first = startServiceProcess(lake.env(FAST), 'first');
    // Wait until some files are durable and checkpointed, then kill without warning.
    await waitFor('a first checkpoint', async () => (await lake.leases.listLeases()).some((l) => /^\d/.test(l.checkpoint)), 30_000, 100);
    await new Promise((r) => setTimeout(r, 700));
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');
    const before = await snapshot(lake);
    expect(before.size).toBeGreaterThan(0);
    // Every raw file the dead worker left beyond its checkpoint was announced in the lease before it was written.
    for (const lease of await lake.leases.listLeases()) {
      const ends = [...before.keys()]
        .map((key) => /(shardId-\d+)-(\d+)-(\d+)\.jsonl\.gz$/.exec(key))
        .filter((m) => m !== null && m[1] === lease.leaseKey && (!/^\d/.test(lease.checkpoint) || compareSequence(m[3]!, lease.checkpoint) > 0))
        .map((m) => m![3]!);
      for (const end of ends) {
        expect(lease.rawWrittenThrough, `${lease.leaseKey}: raw file ending ${end} beyond checkpoint ${lease.checkpoint}`).toBeDefined();
        expect(compareSequence(end, lease.rawWrittenThrough!)).toBeLessThanOrEqual(0);
      }
    }

    const second = startServiceProcess(lake.env(FAST), 'second');
    try {
      const entries = (await producing).entries!;
      await waitFor('checkpoints at the last produced records', () => checkpointsReached(lake, lastProducedPerShard(entries)), 90_000, 300);
      const check = await checkRawZone(lake, entries);
      expect(check.missing).toEqual([]);
      expect(check.duplicates).toEqual([]);
      expect(check.corrupted).toEqual([]);
      expect(check.found).toBe(15_000);
      const after = await snapshot(lake);
      for (const [key, md5] of before) expect(after.get(key), key).toBe(md5);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });

  it('SIGTERM under load: exits 0 within the timeout with everything read durable and checkpointed; a restart stays exactly once', async () => {
    const lake = await createLake(2);
    const abort = new AbortController();
    const producing = produce(lake.clients.kinesis, { streamName: lake.stream, rate: 2000, count: 40_000, keys: 1000, seed: 12, badRatio: 0, signal: abort.signal }, true);
    // Windows long enough that the stop always has an open file to cut early.
    const env = lake.env({ KL_FLUSH_INTERVAL_MS: '60000', KL_CLEANSED_FLUSH_INTERVAL_MS: '60000', KL_FLUSH_MAX_RECORDS: '100000', KL_SHUTDOWN_TIMEOUT_MS: '10000' });
    const svc = startServiceProcess(env, 'stopped');
    await waitFor('leases to be taken', async () => svc.log().includes('lease taken'), 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    const t0 = Date.now();
    svc.child.kill('SIGTERM');
    const exit = await svc.exited;
    const stopMs = Date.now() - t0;
    expect(exit.code).toBe(0);
    expect(stopMs).toBeLessThan(10_000);
    expect(svc.log()).toContain('"forced":true');

    // Everything read before the stop is in the raw zone and checkpointed: per shard, the
    // checkpoint is the last record written, and no cut or raw file is left announced beyond it.
    const leases = await lake.leases.listLeases();
    const midway = await checkRawZone(lake, []);
    for (const lease of leases) {
      expect(lease.leaseOwner).toBeUndefined();
      expect(lease.pendingCheckpoint).toBeUndefined();
      expect(lease.rawWrittenThrough).toBeUndefined();
      expect(lease.rawIdleCuts).toBeUndefined();
      expect(lease.checkpoint).toBe(midway.lastPerShard.get(lease.leaseKey));
    }
    abort.abort();
    const entries = (await producing).entries!;
    // Everything produced up to each checkpoint is there (nothing read was left behind).
    const cp = new Map(leases.map((l) => [l.leaseKey, l.checkpoint]));
    const upToCheckpoint = entries.filter((e) => compareSequence(e.sequenceNumber, cp.get(e.shardId)!) <= 0);
    const partial = await checkRawZone(lake, upToCheckpoint);
    expect(partial.missing).toEqual([]);
    expect(partial.duplicates).toEqual([]);

    const again = startServiceProcess(lake.env(FAST), 'restarted');
    try {
      await waitFor('checkpoints at the last produced records', () => checkpointsReached(lake, lastProducedPerShard(entries)), 90_000, 300);
      const check = await checkRawZone(lake, entries);
      expect(check.missing).toEqual([]);
      expect(check.duplicates).toEqual([]);
      expect(check.corrupted).toEqual([]);
    } finally {
      again.child.kill('SIGTERM');
      await again.exited;
    }
  });
});
