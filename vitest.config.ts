import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // Integration tests start several OS processes (workers, emulators) on a 2-core machine:
    // one file at a time keeps their timing meaningful.
    fileParallelism: false,
    maxWorkers: 1,
    reporters: ['default'],
  },
});
