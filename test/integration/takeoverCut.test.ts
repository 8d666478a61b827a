/**
 * A worker takes a shard over from one that died in the middle of a
 * segment, after writing some of its raw files, and is itself stopped before
 * it has read as far as the dead worker wrote. Its shutdown must not cut the
 * open segment inside one of those files: that cut would land the same
 * records under a second key (the CI failure of 2026-11-24, in
 * multiWorker.test.ts, where a shard moved twice within seconds).
 */
import { describe, expect, it } from 'vitest';
import { createLake, startServiceProcess, waitFor } from '../support/env.js';
import { checkRawZone, checkpointsReached, lastProducedPerShard } from '../support/lakeCheck.js';
import { produce } from '../../src/producer/producer.js';
import { startFaultProxy } from '../../src/local/faultProxy.js';

// Raw files of 500 records, one segment of 5,000 (the whole stream); windows too long to cut anything.
const RULES = {
  KL_WORKER_ID: 'the-worker',
  KL_FLUSH_MAX_RECORDS: '500',
  KL_FLUSH_INTERVAL_MS: '3600000',
  KL_CLEANSED_FLUSH_MAX_RECORDS: '5000',
  KL_CLEANSED_FLUSH_INTERVAL_MS: '3600000',
  KL_STAGGER_FLUSH_WINDOWS: 'false',
};

describe('a shard taken over from a worker that died mid-segment', () => {
  it('stopped before reading past the dead worker\'s files, the new owner cuts nothing early, and the lake has each record once', async () => {
    const lake = await createLake(1);
    const entries = (await produce(lake.clients.kinesis, { streamName: lake.stream, rate: 0, count: 5000, keys: 1000, seed: 71, badRatio: 0 }, true)).entries!;
    // The first worker writes through an S3 that answers in 1 s, so it is killed after its second raw file
    // and long before the segment's tenth (and its checkpoint).
    const s3 = await startFaultProxy({ target: process.env.AWS_ENDPOINT_URL_S3!, seed: 71 });
    s3.setPlan({ latencyMs: 1000, faults: [] });
    const first = startServiceProcess(lake.env({ ...RULES, AWS_ENDPOINT_URL_S3: s3.url }), 'first');
    try {
      await waitFor('two raw files of the first worker', async () => (await lake.store.list(`raw/${lake.stream}/`)).length >= 2, 60_000, 100);
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
      await s3.close();
    }
    expect((await lake.leases.listLeases())[0]!.checkpoint).toBe('TRIM_HORIZON');

    // The second reads 50 records a call (about 250 a second): stopped a second after it starts reading,
    // it is short of the 1,000 records the first worker wrote.
    const second = startServiceProcess(lake.env({ ...RULES, KL_MAX_RECORDS_PER_CALL: '50' }), 'second');
    await waitFor('the second worker to read', async () => second.log().includes('kinesis-lake started'), 30_000, 50);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
    // It wrote no segment: a forced cut there would have ended a raw file inside the first worker's.
    expect(second.log()).not.toContain('"forced":true');

    const third = startServiceProcess(lake.env(RULES), 'third');
    try {
      await waitFor('checkpoints at the last produced records', () => checkpointsReached(lake, lastProducedPerShard(entries)), 90_000, 200);
      const check = await checkRawZone(lake, entries);
      expect(check.missing).toEqual([]);
      expect(check.duplicates.length, `records held twice, in ${check.duplicateObjects.join(', ')}`).toBe(0);
      expect(check.corrupted).toEqual([]);
      expect(check.found).toBe(5000);
      expect(check.objects.length).toBeGreaterThanOrEqual(10);
    } finally {
      third.child.kill('SIGTERM');
      await third.exited;
    }
  });
});
