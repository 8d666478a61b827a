import { describe, expect, it } from 'vitest';
import { memoryBudgetProblem, processMemoryLimitBytes, PROCESS_MEMORY_BYTES, WORKER_GROWTH_BYTES, workerShareWarning } from '../../src/config/memoryFit.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { OPTIONS } from '../../src/config/options.js';
import { MAX_PROCESS_SHARE } from '../../src/consumer/memoryBudget.js';
import { ConfigError } from '../../src/errors.js';
import { startService } from '../../src/service.js';
import { BASE_ENV } from '../support/configFixtures.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('processMemoryLimitBytes', () => {
  it('takes the container limit when it is below the machine', () => {
    expect(processMemoryLimitBytes(2 * GiB, 24 * GiB)).toBe(2 * GiB);
  });

  it('takes the machine when there is no limit (0, or a number beyond the machine as Node reports cgroup "max")', () => {
    expect(processMemoryLimitBytes(0, 24 * GiB)).toBe(24 * GiB);
    expect(processMemoryLimitBytes(2 ** 64, 24 * GiB)).toBe(24 * GiB);
  });
});

describe('memoryBudgetProblem', () => {
  it('accepts a budget that leaves the process its share', () => {
    expect(memoryBudgetProblem(768 * MiB, 2 * GiB)).toBeUndefined();
    expect(memoryBudgetProblem(2 * GiB - PROCESS_MEMORY_BYTES, 2 * GiB)).toBeUndefined();
  });

  it('names the field, what is left and the largest budget that fits', () => {
    expect(memoryBudgetProblem(768 * MiB, GiB)).toBe(
      "KL_MEMORY_BUDGET_BYTES=805306368 leaves 256 MiB of the 1024 MiB this process may use (its container's memory limit, else the machine's memory), and the process itself needs about 400 MiB beside the budget (docs/deploy.md): set KL_MEMORY_BUDGET_BYTES to at most 654311424, or give the container more memory",
    );
  });

  it('asks for more memory when no budget would fit', () => {
    expect(memoryBudgetProblem(768 * MiB, 256 * MiB)).toBe(
      "KL_MEMORY_BUDGET_BYTES=805306368 leaves 0 MiB of the 256 MiB this process may use (its container's memory limit, else the machine's memory), and the process itself needs about 400 MiB beside the budget (docs/deploy.md): give the container at least 1168 MiB of memory",
    );
  });
});

describe('startService', () => {
  it('refuses a budget the memory limit cannot hold before it calls AWS', async () => {
    const started = startService(loadConfig(BASE_ENV), { memoryLimitBytes: GiB });
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toMatchObject({ field: 'KL_MEMORY_BUDGET_BYTES' });
  });
});

describe('workerShareWarning', () => {
  it('stays quiet while the workers\' expected growth fits in 65 % of the budget', () => {
    expect(workerShareWarning(768 * MiB, 2)).toBeUndefined();
    expect(workerShareWarning(Math.ceil((2 * WORKER_GROWTH_BYTES) / 0.65), 2)).toBeUndefined();
  });

  it('names the field, the workers, and the budget that would fit them', () => {
    expect(workerShareWarning(256 * MiB, 2)).toBe(
      'KL_MEMORY_BUDGET_BYTES=268435456 is small for 2 worker thread(s): each is expected to grow the process by about 160 MiB under load, which the budget counts up to 65 % of it, so the records keep between 5 % and 25 % and reading pauses often. Set KL_MEMORY_BUDGET_BYTES to at least 516947968 (with the container\'s memory to match), or lower KL_WORKERS',
    );
    expect(workerShareWarning(768 * MiB, 4)).toMatch(/^KL_MEMORY_BUDGET_BYTES=805306368 is small for 4 worker thread\(s\)/);
  });
});

describe('the option docs', () => {
  it('give the figures the budget works with', () => {
    expect(OPTIONS.find((o) => o.env === 'KL_WORKERS')!.doc).toContain(`at least ${WORKER_GROWTH_BYTES / MiB} MiB of process growth for each`);
    expect(OPTIONS.find((o) => o.env === 'KL_MEMORY_BUDGET_BYTES')!.doc).toContain(`up to ${MAX_PROCESS_SHARE * 100}% of the budget`);
    expect(OPTIONS.find((o) => o.env === 'KL_MEMORY_BUDGET_BYTES')!.doc).toContain(`less than ${PROCESS_MEMORY_BYTES / MiB} MiB`);
  });
});
