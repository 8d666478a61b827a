import { describe, expect, it } from 'vitest';
import { MergeShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { createLake, startServiceProcess, waitFor } from '../support/env.js';
import { checkRawZone, checkpointsReached, lastProducedPerShard } from '../support/lakeCheck.js';
import { produce } from '../../src/producer/producer.js';
import { waitForStreamActive } from '../../src/local/provision.js';
import { SENTINEL, type Lease } from '../../src/checkpoint/lease.js';

const FAST = { KL_FLUSH_INTERVAL_MS: '2000', KL_FLUSH_MAX_RECORDS: '800', KL_CLEANSED_FLUSH_INTERVAL_MS: '4000', KL_IDLE_CLOSE_GRACE_MS: '300', KL_SHARD_SYNC_INTERVAL_MS: '2000' };

interface LogLine {
  msg: string;
  shardId?: string;
  time: string;
}

function logLines(text: string): LogLine[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** The first raw object of each child was written after every parent checkpointed SHARD_END. */
function childrenAfterParents(lines: LogLine[], leases: Lease[]): void {
  const endAt = new Map<string, number>();
  const firstWrite = new Map<string, number>();
  lines.forEach((l, i) => {
    if (l.msg === 'shard ended; SHARD_END checkpointed' && l.shardId) endAt.set(l.shardId, i);
    if (l.msg === 'raw object written' && l.shardId && !firstWrite.has(l.shardId)) firstWrite.set(l.shardId, i);
  });
  const children = leases.filter((l) => l.parentShardIds.length > 0);
  expect(children.length).toBeGreaterThan(0);
  for (const child of children) {
    const written = firstWrite.get(child.leaseKey);
    if (written === undefined) continue;
    for (const parent of child.parentShardIds) {
      expect(endAt.get(parent), `${parent} ended before ${child.leaseKey} was written`).toBeDefined();
      expect(endAt.get(parent)!).toBeLessThan(written);
    }
  }
}

describe('resharding mid-run', () => {
  it('split: the parent is read to its end, SHARD_END is stored, the children after it, exactly once', async () => {
    const lake = await createLake(1);
    const abort = new AbortController();
    const producing = produce(lake.clients.kinesis, { streamName: lake.stream, rate: 1500, count: 12_000, keys: 2000, seed: 21, badRatio: 0, signal: abort.signal }, true);
    const svc = startServiceProcess(lake.env(FAST));
    try {
      await new Promise((r) => setTimeout(r, 2500));
      await lake.clients.kinesis.send(
        new SplitShardCommand({ StreamName: lake.stream, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '170141183460469231731687303715884105728' }),
      );
      await waitForStreamActive(lake.clients.kinesis, lake.stream);
      const entries = (await producing).entries!;
      const shards = new Set(entries.map((e) => e.shardId));
      expect(shards.size).toBe(3);
      await waitFor('checkpoints at the last produced records', () => checkpointsReached(lake, lastProducedPerShard(entries)), 90_000, 300);
      const check = await checkRawZone(lake, entries);
      expect(check.missing).toEqual([]);
      expect(check.duplicates).toEqual([]);
      expect(check.corrupted).toEqual([]);
      const leases = await lake.leases.listLeases();
      expect(leases.find((l) => l.leaseKey === 'shardId-000000000000')?.checkpoint).toBe(SENTINEL.SHARD_END);
      childrenAfterParents(logLines(svc.log()), leases);
    } finally {
      abort.abort();
      svc.child.kill('SIGTERM');
      await svc.exited;
    }
  });

  it('merge: the child is read only after both parents ended, exactly once', async () => {
    const lake = await createLake(2);
    const abort = new AbortController();
    const producing = produce(lake.clients.kinesis, { streamName: lake.stream, rate: 1500, count: 12_000, keys: 2000, seed: 22, badRatio: 0, signal: abort.signal }, true);
    const svc = startServiceProcess(lake.env(FAST));
    try {
      await new Promise((r) => setTimeout(r, 2500));
      await lake.clients.kinesis.send(
        new MergeShardsCommand({ StreamName: lake.stream, ShardToMerge: 'shardId-000000000000', AdjacentShardToMerge: 'shardId-000000000001' }),
      );
      await waitForStreamActive(lake.clients.kinesis, lake.stream);
      const entries = (await producing).entries!;
      await waitFor('checkpoints at the last produced records', () => checkpointsReached(lake, lastProducedPerShard(entries)), 90_000, 300);
      const check = await checkRawZone(lake, entries);
      expect(check.missing).toEqual([]);
      expect(check.duplicates).toEqual([]);
      const leases = await lake.leases.listLeases();
      const child = leases.find((l) => l.parentShardIds.length === 2);
      expect(child).toBeDefined();
      childrenAfterParents(logLines(svc.log()), leases);
    } finally {
      abort.abort();
      svc.child.kill('SIGTERM');
      await svc.exited;
    }
  });
});
