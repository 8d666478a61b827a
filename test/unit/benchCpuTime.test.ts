import { describe, expect, it } from 'vitest';
import { processCpuSeconds, processesCpuSeconds } from '../../bench/lib/cpuTime.js';

describe.runIf(process.platform === 'linux')('the e2e bench CPU accounting (/proc)', () => {
  it('reads a process\'s CPU seconds, which grow with the work it does', () => {
    const before = processCpuSeconds(process.pid);
    const usage0 = process.cpuUsage();
    let x = 0;
    while ((process.cpuUsage(usage0).user + process.cpuUsage(usage0).system) / 1e6 < 0.3) x += Math.sqrt(x + 1);
    const after = processCpuSeconds(process.pid);
    expect(x).toBeGreaterThan(0);
    // Ticks of 10 ms: at least most of the 0.3 s spent shows.
    expect(after - before).toBeGreaterThanOrEqual(0.25);
    expect(after - before).toBeLessThan(5);
  });

  it('sums several processes, and gives NaN for one that does not exist', () => {
    const self = processCpuSeconds(process.pid);
    expect(processesCpuSeconds([process.pid, process.pid])).toBeGreaterThanOrEqual(2 * self);
    expect(processCpuSeconds(2 ** 22 + 12_345)).toBeNaN();
    expect(processCpuSeconds(undefined)).toBeNaN();
  });
});
