import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests start OS processes against one shared local stack; two cores.
    fileParallelism: true,
    maxWorkers: 2,
    reporters: ['default'],
  },
});
