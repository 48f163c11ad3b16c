import { defineConfig } from 'vitest/config';

/** End-to-end suite: the built renderer in Debian's Chromium over the local test transport. */
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    environment: 'node',
    // Expected failures (broken test files) would otherwise log warnings into the test output.
    env: { MOODSHELF_LOG_LEVEL: 'error' },
    globalSetup: ['tests/e2e/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
