import { describe, expect, it } from 'vitest';
import { BUDGET_BYTES_PER_DEAD_LETTER, BudgetFactor, outputBytes, outputExcess, type PieceCount } from '../../src/consumer/pieceBudget.js';

/** What outputBytes measures of an output with raw lines of `rawBytes` and chunks of `chunkBytes`. */
function output(rawBytes: number, chunkBytes: number[]): PieceCount {
  return outputBytes({ raw: new Uint8Array(rawBytes), cleansed: chunkBytes.map((n) => ({ hour: '2026-11-23T10', rows: 1, chunk: new Uint8Array(n) })) });
}

describe('outputExcess', () => {
  it('is nothing for an output within its counts, and what lies beyond them otherwise', () => {
    const counted = { file: 1500, segment: 1500 };
    expect(outputExcess(counted, output(1700, [700, 600]), 0)).toEqual({ file: 200, segment: 0 });
    expect(outputExcess(counted, output(1000, [1000, 900]), 0)).toEqual({ file: 0, segment: 400 });
    expect(outputExcess(counted, output(10, []), 2)).toEqual({ file: 2 * BUDGET_BYTES_PER_DEAD_LETTER, segment: 0 });
    expect(outputExcess({ file: 3500, segment: 1500 }, output(3400, [1500]), 0)).toEqual({ file: 0, segment: 0 });
  });
});

describe('outputBytes', () => {
  it('measures the memory a view keeps, not the view', () => {
    const big = new Uint8Array(4000);
    const chunk = new Uint8Array(300);
    expect(outputBytes({ raw: big.subarray(0, 10), cleansed: [{ hour: 'h', rows: 1, chunk: chunk.subarray(0, 1) }, { hour: 'g', rows: 1, chunk: new Uint8Array(20) }] })).toEqual({ file: 4000, segment: 320 });
  });
});

describe('BudgetFactor', () => {
  const K = 64 * 1024; // a piece this large counts in full

  it('counts half a byte more per part until measured, then each part as measured: up at once, down by a fifth, never below its floor', () => {
    const factor = new BudgetFactor(3);
    expect(factor.bytesPerPayloadByte).toBe(4);
    expect(factor.count(1000)).toEqual({ file: 2000, segment: 2000 });
    // Raw lines 4 bytes and chunks 2 bytes per payload byte (KPL aggregates of small events).
    factor.observe(K, output(4 * K, [1.2 * K, 0.8 * K]));
    expect(factor.count(1000)).toEqual({ file: 4000, segment: 2000 });
    factor.observe(K, output(2 * K, [K]));
    expect(factor.count(1000)).toEqual({ file: Math.ceil(1000 * (0.8 * 4 + 0.2 * 2)), segment: Math.ceil(1000 * (0.8 * 2 + 0.2 * 1)) });
    for (let i = 0; i < 50; i++) factor.observe(K, output(100, []));
    expect(factor.count(1000)).toEqual({ file: 1500, segment: 1500 });
    factor.observe(0, output(100_000, []));
    expect(factor.bytesPerPayloadByte).toBe(3);
  });

  it('lets a small piece, whose chunks are mostly headers, move it only in proportion to its size', () => {
    const factor = new BudgetFactor(3, 0);
    // One 176-byte event: chunks of 680 bytes (3.9 per payload byte).
    factor.observe(176, output(360, [680]));
    const segment = factor.count(1_000_000).segment;
    expect(segment).toBeGreaterThan(1_500_000);
    expect(segment).toBeLessThan(1_520_000);
    factor.observe(K / 2, output(K, [2 * K]));
    expect(factor.count(1000).segment).toBeCloseTo(1000 * (segment / 1_000_000 + 0.5 * (4 - segment / 1_000_000)), -1);
  });

  it('splits a floor below the segment share to the segment first, and can start at the floor', () => {
    const factor = new BudgetFactor(1, 0);
    expect(factor.count(1000)).toEqual({ file: 0, segment: 1000 });
  });
});
