import type { Feature } from '../core/feature.js';
import { periodCli, periodVerifyCli, stakesCli } from './cli.js';
import { dailyCloseJob } from './daily-close.js';
import { accountingMigrations } from './migrations/index.js';
import { accountingRoutes } from './routes.js';

/** Accounting: stake register, attribution, period close and ledger, staker and operator views. */
export const accountingFeature: Feature = {
  name: 'accounting',
  migrations: accountingMigrations,
  routes: accountingRoutes,
  cli: { period: periodCli, stakes: stakesCli },
  standaloneCli: { period: { verify: periodVerifyCli } },
  jobs: (ctx) => [dailyCloseJob(ctx)],
};

export { closePeriod } from './close.js';
export { parseInputsDoc } from './close-inputs.js';
export { latestBtcPrice, latestNetwork } from './market.js';
export { seedDemoStakes } from './seed.js';
