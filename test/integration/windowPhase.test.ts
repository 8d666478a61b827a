import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLake, startServiceProcess, waitFor, type Lake } from '../support/env.js';
import { checkRawZone, checkpointsReached, lastProducedPerShard } from '../support/lakeCheck.js';
import { produce } from '../../src/producer/producer.js';
import { staggeredPhaseMs } from '../../src/consumer/windowPhase.js';
import { leaseOf } from '../support/leases.js';
import { WINDOW_PHASE_METADATA } from '../../src/sinks/lakeWriter.js';

const WINDOW_MS = 2000;

describe('each shard cuts on the window phase its lease records', () => {
  let lake: Lake;

  beforeAll(async () => {
    lake = await createLake(3);
  });

  afterAll(() => {
    for (const c of Object.values(lake.clients)) c.destroy();
  });

  it('a new lease gets a staggered phase, an older lease keeps phase 0, a recorded phase wins over the config', async () => {
    const shards = ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002'];
    await lake.leases.ensureTable();
    // Shard 0: phase 700 recorded. Shard 1: a lease from before phases (none recorded). Shard 2: created by the service.
    expect(await lake.leases.createLeaseIfNotExists(leaseOf(shards[0]!, { flushWindowPhaseMs: 700 }))).toBe(true);
    expect(await lake.leases.createLeaseIfNotExists(leaseOf(shards[1]!))).toBe(true);
    const expectedPhase = new Map([
      [shards[0]!, 700],
      [shards[1]!, 0],
      [shards[2]!, staggeredPhaseMs(shards[2]!, WINDOW_MS)],
    ]);
    // Each differs from what the config would give a new lease of the shard, so none can pass by accident.
    for (const shardId of shards.slice(0, 2)) expect(expectedPhase.get(shardId)).not.toBe(staggeredPhaseMs(shardId, WINDOW_MS));
    expect(expectedPhase.get(shards[2]!)).toBeGreaterThan(0);

    const svc = startServiceProcess(
      lake.env({ KL_FLUSH_INTERVAL_MS: String(WINDOW_MS), KL_CLEANSED_FLUSH_INTERVAL_MS: String(WINDOW_MS), KL_IDLE_CLOSE_GRACE_MS: '300' }),
    );
    try {
      // Steady arrivals over several windows, so files run across the boundaries of every other phase.
      const { entries } = await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 600, count: 4200, keys: 3000, seed: 21, badRatio: 0 }, true);
      await waitFor('checkpoints to reach the last produced records', () => checkpointsReached(lake, lastProducedPerShard(entries!)), 90_000, 500);
      const check = await checkRawZone(lake, entries!);
      expect(check.missing).toEqual([]);
      expect(check.duplicates).toEqual([]);

      const leases = new Map((await lake.leases.listLeases()).map((l) => [l.leaseKey, l]));
      expect(leases.get(shards[0]!)!.flushWindowPhaseMs).toBe(700);
      expect(leases.get(shards[1]!)!.flushWindowPhaseMs).toBeUndefined();
      expect(leases.get(shards[2]!)!.flushWindowPhaseMs).toBe(expectedPhase.get(shards[2]!));

      const window = (ms: number, phase: number): number => Math.floor((ms - phase) / WINDOW_MS);
      const spansOtherPhase = new Map<string, boolean>();
      for (const o of check.objects) {
        const shardId = o.records[0]!.shardId;
        const phase = expectedPhase.get(shardId)!;
        // Every file lies inside one window of its own shard's phase.
        expect(new Set(o.records.map((r) => window(r.arrivalMs, phase))).size, o.key).toBe(1);
        // ...and the object records that phase for replay.
        expect((await lake.store.getWithMetadata(o.key)).metadata[WINDOW_PHASE_METADATA], o.key).toBe(String(phase));
        const other = phase === 0 ? 1100 : 0;
        if (new Set(o.records.map((r) => window(r.arrivalMs, other))).size > 1) spansOtherPhase.set(shardId, true);
      }
      // ...and some file of each shard runs across a boundary another phase would have cut at.
      for (const shardId of shards) expect(spansOtherPhase.get(shardId), shardId).toBe(true);
    } finally {
      svc.child.kill('SIGTERM');
      const exit = await svc.exited;
      expect(exit.code).toBe(0);
    }
  });
});
