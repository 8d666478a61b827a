import { defineConfig } from 'vitest/config';

/**
 * Files that measure memory, elapsed time or fail-over, or load the machine on purpose: each runs
 * alone, after the rest, so another file's work cannot move what they measure.
 */
const ALONE = ['backpressure', 'badInputSoak', 'chaos', 'crashAndShutdown', 'multiWorker'].map((name) => `test/integration/${name}.test.ts`);

export default defineConfig({
  test: {
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        // Every other file makes its own resources (fresh names on the shared emulators) and waits on
        // outcomes, not clocks: two at a time, as the 2-core CI machine has cores for.
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: ALONE, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'alone', include: ALONE, fileParallelism: false, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
