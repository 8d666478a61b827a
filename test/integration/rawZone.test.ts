import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLake, startServiceProcess, waitFor, type Lake } from '../support/env.js';
import { checkRawZone, checkpointsReached, lastProducedPerShard } from '../support/lakeCheck.js';
import { produce, type GroundTruthEntry } from '../../src/producer/producer.js';

describe('one worker drains a 4-shard stream into the raw zone', () => {
  let lake: Lake;
  let entries: GroundTruthEntry[];

  beforeAll(async () => {
    lake = await createLake(4);
    const result = await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 0, count: 20_000, keys: 5000, seed: 7, badRatio: 0.01 }, true);
    entries = result.entries!;
  });

  afterAll(() => {
    for (const c of Object.values(lake.clients)) c.destroy();
  });

  it('lands each of 20,000 records exactly once, byte for byte, and checkpoints the last sequence written', async () => {
    const svc = startServiceProcess(lake.env({ KL_FLUSH_INTERVAL_MS: '5000', KL_FLUSH_MAX_RECORDS: '1500', KL_CLEANSED_FLUSH_INTERVAL_MS: '5000', KL_CLEANSED_FLUSH_MAX_RECORDS: '4000', KL_IDLE_CLOSE_GRACE_MS: '500' }));
    try {
      const last = lastProducedPerShard(entries);
      await waitFor('checkpoints to reach the last produced records', () => checkpointsReached(lake, last), 90_000, 500);
      const check = await checkRawZone(lake, entries);
      expect(check.missing).toEqual([]);
      expect(check.duplicates).toEqual([]);
      expect(check.corrupted).toEqual([]);
      expect(check.unexpected).toEqual([]);
      expect(check.found).toBe(20_000);
      // Count cuts happened: no object holds more than KL_FLUSH_MAX_RECORDS records.
      expect(Math.max(...check.objects.map((o) => o.records.length))).toBeLessThanOrEqual(1500);
      const leases = await lake.leases.listLeases();
      expect(leases).toHaveLength(4);
      for (const lease of leases) expect(lease.checkpoint).toBe(check.lastPerShard.get(lease.leaseKey));
    } finally {
      svc.child.kill('SIGTERM');
      const exit = await svc.exited;
      expect(exit.code).toBe(0);
    }
  });
});
