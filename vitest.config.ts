import { defineConfig } from 'vitest/config';
import { SkipGuard } from './.ci/skip-guard.js';

/** `npm test`: unit and embedded-integration tests of every workspace. No external servers. */
export default defineConfig({
  test: {
    include: ['*/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'interop/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    // Under CI=1 a test that skips without a reason in .ci/skip-guard.ts fails the run.
    reporters: process.env.CI ? ['default', new SkipGuard()] : ['default'],
  },
});
