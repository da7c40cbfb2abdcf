import { defineConfig } from 'vitest/config';
import { SkipGuard } from './.ci/skip-guard.js';

/** The interop suite: the same flows against real servers (Mosquitto, PostgreSQL, VictoriaMetrics, OpenSSH, snmpd, Chromium). */
export default defineConfig({
  test: {
    include: ['interop/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    reporters: process.env.CI ? ['default', new SkipGuard()] : ['default'],
  },
});
