import { describe, expect, it } from 'vitest';
import { steadyRate } from '../../bench/lib/progress.js';

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
