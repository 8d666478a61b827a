import { describe, expect, it } from 'vitest';
import { CheckpointCoverage, checkpointProgress, steadyRate } from '../../bench/lib/progress.js';

describe('bench steady rate', () => {
  it('counts from the first point past the warm-up share to the first that reaches the total', () => {
    const points = [
      { atMs: 1_000, done: 40 },
      { atMs: 3_000, done: 120 },
      { atMs: 4_000, done: 600 },
      { atMs: 5_000, done: 1_000 },
      { atMs: 9_000, done: 1_000 },
    ];
    // From 120 records at 3 s to 1,000 at 5 s: 880 records in 2 s.
    expect(steadyRate(points, points, 1_000)).toBe(440);
  });

  it('starts the clock on what was started and counts what was started but not finished then', () => {
    const read = [
      { atMs: 1_000, done: 50 },
      { atMs: 2_000, done: 400 },
      { atMs: 3_000, done: 1_000 },
    ];
    const checkpointed = [
      { atMs: 2_500, done: 300 },
      { atMs: 4_000, done: 1_000 },
    ];
    // The clock starts at 2 s with 400 records read (only 0 of them checkpointed): 600 records in 2 s.
    expect(steadyRate(read, checkpointed, 1_000)).toBe(300);
  });

  it('takes another warm-up share when asked', () => {
    const points = [
      { atMs: 0, done: 100 },
      { atMs: 1_000, done: 500 },
      { atMs: 2_000, done: 1_000 },
    ];
    expect(steadyRate(points, points, 1_000, 0.5)).toBe(500);
    expect(steadyRate(points, points, 1_000, 0)).toBe(450);
  });

  it('is NaN when the points never reach the total or span no time', () => {
    const short = [{ atMs: 0, done: 200 }, { atMs: 1_000, done: 900 }];
    expect(steadyRate(short, short, 1_000)).toBeNaN();
    const instant = [{ atMs: 500, done: 1_000 }];
    expect(steadyRate(instant, instant, 1_000)).toBeNaN();
  });
});

describe('bench checkpoint coverage', () => {
  const coverage = new CheckpointCoverage(
    new Map([
      ['shard-a', ['49600000000000000000000000000000000000000000000000000003', '49600000000000000000000000000000000000000000000000000001', '49600000000000000000000000000000000000000000000000000002']],
      ['shard-b', ['9', '10', '11']],
    ]),
  );

  it('counts the records at or before a checkpoint, whatever order they were put in', () => {
    expect(coverage.covered('shard-a', '49600000000000000000000000000000000000000000000000000002')).toBe(2);
    expect(coverage.covered('shard-a', '49600000000000000000000000000000000000000000000000000003')).toBe(3);
    expect(coverage.covered('shard-a', '49600000000000000000000000000000000000000000000000000000')).toBe(0);
  });

  it('orders sequence numbers as numbers, not as text', () => {
    expect(coverage.covered('shard-b', '10')).toBe(2);
    expect(coverage.covered('shard-b', '9')).toBe(1);
  });

  it('counts nothing for a checkpoint that is not a sequence number or a shard it does not know', () => {
    expect(coverage.covered('shard-a', 'TRIM_HORIZON')).toBe(0);
    expect(coverage.covered('shard-c', '10')).toBe(0);
  });
});

describe('bench checkpoint progress', () => {
  it('sums each shard\'s latest checkpoint, so a later checkpoint replaces an earlier one', () => {
    const coverage = new CheckpointCoverage(new Map([['a', ['1', '2', '3', '4']], ['b', ['5', '6']]]));
    const lines = [
      { atMs: 10, shardId: 'a', sequenceNumber: '2' },
      { atMs: 20, shardId: 'b', sequenceNumber: '5' },
      { atMs: 30, shardId: 'a', sequenceNumber: '4' },
      { atMs: 40, shardId: 'b', sequenceNumber: '6' },
    ];
    expect(checkpointProgress(lines, coverage)).toEqual([
      { atMs: 10, done: 2 },
      { atMs: 20, done: 3 },
      { atMs: 30, done: 5 },
      { atMs: 40, done: 6 },
    ]);
  });
});
