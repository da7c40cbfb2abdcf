import { defineConfig } from 'vitest/config';

/** `npm test`: unit and embedded-integration tests of every workspace. No external servers. */
export default defineConfig({
  test: {
    include: ['*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'interop/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
