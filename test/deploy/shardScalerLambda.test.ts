/**
 * The Lambda's plain-JS copy of the scaling rule must agree with
 * src/scaling/desiredTaskCount.ts, and its reconcile loop must page through
 * ListShards and write to ECS only when the count changes.
 */
import { describe, expect, it } from 'vitest';
import * as lambdaScaling from '../../deploy/ecs/lambda/shardScaler/scaling.mjs';
import type { ScalerAws, ShardPage } from '../../deploy/ecs/lambda/shardScaler/scaling.mjs';
import { countOpenShards, desiredTaskCount, type ShardRange, type TaskCountLimits } from '../../src/scaling/desiredTaskCount.js';

function shard(id: number, closed: boolean): ShardRange {
  return {
    ShardId: `shardId-${id}`,
    SequenceNumberRange: closed ? { StartingSequenceNumber: '1', EndingSequenceNumber: '2' } : { StartingSequenceNumber: '1' },
  };
}

class FakeAws implements ScalerAws {
  readonly updates: number[] = [];
  readonly listCalls: ({ first: true } | { nextToken: string })[] = [];
  constructor(
    private readonly pages: ShardPage[],
    private desiredCount: number | undefined,
  ) {}
  async listShards(input: { first: true } | { nextToken: string }): Promise<ShardPage> {
    this.listCalls.push(input);
    const index = 'nextToken' in input ? Number(input.nextToken) : 0;
    const page = this.pages[index];
    if (!page) throw new Error(`no page ${index}`);
    return page;
  }
  async describeService(): Promise<{ desiredCount: number | undefined }> {
    return { desiredCount: this.desiredCount };
  }
  async updateDesiredCount(desired: number): Promise<void> {
    this.updates.push(desired);
    this.desiredCount = desired;
  }
}

describe('shard scaler Lambda', () => {
  it('computes the same task count as src/scaling for every case of a grid', () => {
    const limitsGrid: TaskCountLimits[] = [];
    for (const shardsPerTask of [1, 2, 3, 4, 7]) {
      for (const minTasks of [undefined, 1, 2, 5]) {
        for (const maxTasks of [undefined, 5, 9]) {
          if (maxTasks !== undefined && maxTasks < (minTasks ?? 1)) continue;
          limitsGrid.push({ shardsPerTask, minTasks, maxTasks });
        }
      }
    }
    let compared = 0;
    for (const limits of limitsGrid) {
      for (let open = 0; open <= 40; open++) {
        expect(lambdaScaling.desiredTaskCount(open, limits), JSON.stringify({ open, limits })).toBe(desiredTaskCount(open, limits));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
    const mixed = [shard(1, true), shard(2, false), shard(3, true), shard(4, false), shard(5, false)];
    expect(lambdaScaling.countOpenShards(mixed)).toBe(countOpenShards(mixed));
  });

  it('rejects the same bad limits', () => {
    expect(() => lambdaScaling.desiredTaskCount(8, { shardsPerTask: 0 })).toThrow(RangeError);
    expect(() => lambdaScaling.desiredTaskCount(8, { shardsPerTask: 4, minTasks: 3, maxTasks: 2 })).toThrow(RangeError);
  });

  it('reads its limits from the environment the stack sets', () => {
    expect(lambdaScaling.limitsFromEnv({ SCALER_SHARDS_PER_TASK: '4', SCALER_MIN_TASKS: '2', SCALER_MAX_TASKS: '10' })).toEqual({
      shardsPerTask: 4,
      minTasks: 2,
      maxTasks: 10,
    });
    expect(lambdaScaling.limitsFromEnv({ SCALER_SHARDS_PER_TASK: '3' })).toEqual({ shardsPerTask: 3, minTasks: undefined, maxTasks: undefined });
    expect(() => lambdaScaling.limitsFromEnv({})).toThrow(/SCALER_SHARDS_PER_TASK/);
    expect(() => lambdaScaling.limitsFromEnv({ SCALER_SHARDS_PER_TASK: 'four' })).toThrow(/SCALER_SHARDS_PER_TASK/);
  });

  it('pages through ListShards and scales 2 -> 3 tasks after a split', async () => {
    // 8 original shards, 4 of them split: 4 closed parents + 4 open + 8 open children, over three pages.
    const all = [
      ...Array.from({ length: 4 }, (_, i) => shard(i, true)),
      ...Array.from({ length: 12 }, (_, i) => shard(100 + i, false)),
    ];
    const aws = new FakeAws([{ Shards: all.slice(0, 6), NextToken: '1' }, { Shards: all.slice(6, 11), NextToken: '2' }, { Shards: all.slice(11) }], 2);
    const result = await lambdaScaling.reconcile(aws, { shardsPerTask: 4 });
    expect(aws.listCalls).toEqual([{ first: true }, { nextToken: '1' }, { nextToken: '2' }]);
    expect(result).toEqual({ openShards: 12, previous: 2, desired: 3, updated: true });
    expect(aws.updates).toEqual([3]);
  });

  it('writes nothing when the service already has the right count', async () => {
    const aws = new FakeAws([{ Shards: Array.from({ length: 8 }, (_, i) => shard(i, false)) }], 2);
    const result = await lambdaScaling.reconcile(aws, { shardsPerTask: 4 });
    expect(result.updated).toBe(false);
    expect(aws.updates).toEqual([]);
  });

  it('applies the max clamp when the stream outgrows it', async () => {
    const aws = new FakeAws([{ Shards: Array.from({ length: 64 }, (_, i) => shard(i, false)) }], 4);
    await lambdaScaling.reconcile(aws, { shardsPerTask: 4, maxTasks: 10 });
    expect(aws.updates).toEqual([10]);
  });
});
