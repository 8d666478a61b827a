import { describe, expect, it } from 'vitest';
import { staggeredPhaseMs } from '../../src/consumer/windowPhase.js';
import { rangeStartMs } from '../../src/batch/replay.js';

const shardId = (i: number): string => `shardId-${String(i).padStart(12, '0')}`;

describe('staggeredPhaseMs', () => {
  it('gives each shard a whole number of milliseconds inside the window, the same on every call', () => {
    for (const interval of [1000, 60_000, 3_600_000]) {
      for (let i = 0; i < 200; i++) {
        const p = staggeredPhaseMs(shardId(i), interval);
        expect(Number.isInteger(p)).toBe(true);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(interval);
        expect(staggeredPhaseMs(shardId(i), interval)).toBe(p);
      }
    }
    for (const id of ['my-shard', 'shardId-abc', 'shardId-99999999999999999999']) {
      const p = staggeredPhaseMs(id, 60_000);
      expect(p >= 0 && p < 60_000 && Number.isInteger(p)).toBe(true);
    }
  });

  it('spreads the shards of a stream over the window: no gap between neighbours wider than 3 / n of it', () => {
    for (const n of [2, 8, 50, 200]) {
      const interval = 60_000;
      const phases = Array.from({ length: n }, (_, i) => staggeredPhaseMs(shardId(i), interval)).sort((a, b) => a - b);
      const gaps = phases.map((p, i) => (i + 1 < n ? phases[i + 1]! : phases[0]! + interval) - p);
      expect(Math.max(...gaps)).toBeLessThanOrEqual((3 * interval) / n);
      expect(new Set(phases).size).toBe(n);
    }
  });
});

describe('rangeStartMs', () => {
  it('is the start of the phased window that holds the time', () => {
    expect(rangeStartMs(10_500, 1000, 0)).toBe(10_000);
    expect(rangeStartMs(10_500, 1000, 300)).toBe(10_300);
    expect(rangeStartMs(10_200, 1000, 300)).toBe(9_300);
    expect(rangeStartMs(10_300, 1000, 300)).toBe(10_300);
  });
});
