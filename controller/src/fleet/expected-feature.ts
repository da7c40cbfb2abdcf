import type { Feature } from '../core/feature.js';
import { markNotFound } from './inventory/not-found.js';

/** Expected inventory (issue 19 item 1): miners the agents never found are said not to answer. */
export const expectedInventoryFeature: Feature = {
  name: 'expected-inventory',
  migrations: [],
  jobs: (ctx) => [
    {
      name: 'expected-miners',
      everyMs: 2_000,
      singleton: true,
      run: async (now) => {
        await markNotFound(ctx.db, now);
      },
    },
  ],
};
