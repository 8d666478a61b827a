import { describe, expect, it } from 'vitest';
import { memoryBudgetProblem, processMemoryLimitBytes, PROCESS_MEMORY_BYTES } from '../../src/config/memoryFit.js';
import { loadConfig } from '../../src/config/loadConfig.js';
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
