import { describe, expect, it } from 'vitest';
import { countOpenShards, desiredTaskCount, isOpenShard, type ShardRange } from '../../src/scaling/desiredTaskCount.js';

function openShard(id: number): ShardRange {
  return { ShardId: `shardId-${String(id).padStart(12, '0')}`, SequenceNumberRange: { StartingSequenceNumber: String(id * 1000) } };
}

function closedShard(id: number): ShardRange {
  return { ShardId: `shardId-${String(id).padStart(12, '0')}`, SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '999' } };
}

function shards(open: number, closed = 0): ShardRange[] {
  return [...Array.from({ length: closed }, (_, i) => closedShard(i)), ...Array.from({ length: open }, (_, i) => openShard(closed + i))];
}

describe('desiredTaskCount', () => {
  it('gives 2 tasks for 8 open shards at 4 per task', () => {
    expect(desiredTaskCount(countOpenShards(shards(8)), { shardsPerTask: 4 })).toBe(2);
  });

  it('gives 3 tasks after 4 of 8 shards split into 8 children (12 open, 4 closed)', () => {
    const afterSplit = shards(12, 4);
    expect(countOpenShards(afterSplit)).toBe(12);
    expect(desiredTaskCount(countOpenShards(afterSplit), { shardsPerTask: 4 })).toBe(3);
  });

  it('rounds a partial task up', () => {
    expect(desiredTaskCount(9, { shardsPerTask: 4 })).toBe(3);
    expect(desiredTaskCount(1, { shardsPerTask: 4 })).toBe(1);
  });

  it('does not count closed shards', () => {
    expect(isOpenShard(closedShard(1))).toBe(false);
    expect(isOpenShard(openShard(1))).toBe(true);
    expect(isOpenShard({ ShardId: 'shardId-x' })).toBe(true);
    expect(countOpenShards(shards(3, 5))).toBe(3);
  });

  it('keeps at least minTasks (default 1)', () => {
    expect(desiredTaskCount(0, { shardsPerTask: 4 })).toBe(1);
    expect(desiredTaskCount(4, { shardsPerTask: 4, minTasks: 3 })).toBe(3);
  });

  it('caps at maxTasks', () => {
    expect(desiredTaskCount(40, { shardsPerTask: 4, maxTasks: 6 })).toBe(6);
    expect(desiredTaskCount(20, { shardsPerTask: 4, maxTasks: 6 })).toBe(5);
  });

  it('rejects limits that make no sense', () => {
    expect(() => desiredTaskCount(8, { shardsPerTask: 0 })).toThrow(RangeError);
    expect(() => desiredTaskCount(8, { shardsPerTask: 2.5 })).toThrow(RangeError);
    expect(() => desiredTaskCount(-1, { shardsPerTask: 4 })).toThrow(RangeError);
    expect(() => desiredTaskCount(8, { shardsPerTask: 4, minTasks: 3, maxTasks: 2 })).toThrow(RangeError);
  });
});
