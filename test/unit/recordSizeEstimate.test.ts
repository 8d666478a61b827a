import { describe, expect, it } from 'vitest';
import { ReadPacer, MIN_CALL_GAP_MS } from '../../src/consumer/readPacer.js';
import { MAX_GET_RECORDS_RESPONSE_BYTES, RecordSizeEstimate, UNKNOWN_RECORD_BYTES } from '../../src/consumer/recordSizeEstimate.js';

describe('RecordSizeEstimate', () => {
  it('assumes the largest common record until a response brings records', () => {
    const estimate = new RecordSizeEstimate();
    expect(estimate.known).toBe(false);
    expect(estimate.bytes).toBe(UNKNOWN_RECORD_BYTES);
    estimate.observe(0, 0);
    expect(estimate.known).toBe(false);
    estimate.observe(2_700, 10);
    expect(estimate.known).toBe(true);
    expect(estimate.bytes).toBe(270);
  });

  it('bounds what a response may bring by the records asked for and by the 10 MiB Kinesis sends at most', () => {
    const estimate = new RecordSizeEstimate();
    expect(estimate.responseBytes(3)).toBe(3 * UNKNOWN_RECORD_BYTES);
    expect(estimate.responseBytes(10_000)).toBe(MAX_GET_RECORDS_RESPONSE_BYTES);
    estimate.observe(2_700, 10);
    expect(estimate.responseBytes(10_000)).toBe(2_700_000);
  });

  it('takes a larger mean at once and a smaller one by a fifth per response', () => {
    const estimate = new RecordSizeEstimate();
    estimate.observe(270, 1);
    estimate.observe(27_000, 1); // KPL aggregates arrive
    expect(estimate.bytes).toBe(27_000);
    estimate.observe(270 * 4, 4);
    expect(estimate.bytes).toBeCloseTo(0.8 * 27_000 + 0.2 * 270);
    estimate.observe(100_000, 2);
    expect(estimate.bytes).toBe(50_000);
  });
});

describe('ReadPacer', () => {
  it('waits the call gap after a response, unless it only learned the size of the records', () => {
    let now = 1_000;
    const pacer = new ReadPacer(500, () => now);
    pacer.onResponse(now, 1_000, 1, true);
    expect(pacer.delayMs()).toBeLessThan(1);
    pacer.onResponse(now, 1_000, 10);
    expect(pacer.delayMs()).toBe(MIN_CALL_GAP_MS);
    // Bytes cost time at 2 MiB/s either way, and an empty response waits the idle wait.
    pacer.onResponse(now, 4 * 1024 * 1024, 100, true);
    expect(pacer.delayMs()).toBe(2_000);
    pacer.onResponse(now, 0, 0, true);
    expect(pacer.delayMs()).toBe(500);
    now += 600;
    expect(pacer.delayMs()).toBe(0);
  });
});
