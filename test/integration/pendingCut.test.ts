import { describe, expect, it } from 'vitest';
import { createLake, startServiceProcess, waitFor } from '../support/env.js';
import { produce } from '../../src/producer/producer.js';
import { leaseOf } from '../support/leases.js';

describe('a forced cut announced in the lease', () => {
  it('is repeated by the next owner: the first segment ends exactly at the pending checkpoint', async () => {
    const lake = await createLake(1);
    const entries = (await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 0, count: 1000, keys: 50, seed: 51, badRatio: 0 }, true)).entries!;
    const cut = entries[299]!.sequenceNumber;
    // What an owner that was stopped between announcing its cut and checkpointing leaves behind.
    await lake.leases.ensureTable();
    const lease = leaseOf(entries[0]!.shardId, {
      leaseCounter: 7,
      pendingCheckpoint: cut,
      pendingCheckpointSubSequenceNumber: 0,
      ownerSwitchesSinceCheckpoint: 1,
      startingHashKey: '0',
      endingHashKey: '340282366920938463463374607431768211455',
    });
    expect(await lake.leases.createLeaseIfNotExists(lease)).toBe(true);
    // Long windows: without the pending cut, all 1000 records would form one segment.
    const svc = startServiceProcess(lake.env({ KL_FLUSH_INTERVAL_MS: '600000', KL_CLEANSED_FLUSH_INTERVAL_MS: '600000' }));
    try {
      await waitFor('the checkpoint at the pending cut', async () => (await lake.leases.getLease(lease.leaseKey))?.checkpoint === cut, 60_000, 200);
      const after = (await lake.leases.getLease(lease.leaseKey))!;
      expect(after.pendingCheckpoint).toBeUndefined();
      const raw = await lake.store.list(`raw/${lake.stream}/`);
      expect(raw).toHaveLength(1);
      expect(raw[0]!.key.endsWith(`-${entries[0]!.sequenceNumber}-${cut}.jsonl.gz`)).toBe(true);
      const cleansed = await lake.store.list('cleansed/');
      expect(cleansed.length).toBeGreaterThan(0);
      for (const o of cleansed) expect(o.key.endsWith(`-${entries[0]!.sequenceNumber}-${cut}.parquet`)).toBe(true);
    } finally {
      svc.child.kill('SIGTERM');
      await svc.exited;
    }
  });
});
