import type { Feature } from '../core/feature.js';
import { profitRoutes } from './routes.js';

/**
 * Profit per day (issue 19 item 8): per miner, container and site, expected revenue at the latest
 * hashrate minus the energy cost at the site's tariff now, so a technician sees which unit loses
 * money. Reads the fleet's latest readings and the accounting's market entries; stores nothing.
 */
export const profitFeature: Feature = {
  name: 'profit',
  migrations: [],
  routes: profitRoutes,
};
