import { describe, expect, it } from 'vitest';
import { median } from '../../bench/lib/median.js';

describe('bench median', () => {
  it('takes the middle of an odd count, whatever the order', () => {
    expect(median([89_314, 79_573, 82_231])).toBe(82_231);
  });

  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('leaves its input as it was', () => {
    const rounds = [3, 1, 2];
    median(rounds);
    expect(rounds).toEqual([3, 1, 2]);
  });

  it('refuses no values', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});
