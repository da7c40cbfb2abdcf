import type { Feature } from '../core/feature.js';
import { relocationCli } from './cli.js';
import { migration } from './migrations/0200_relocation.js';
import { migration as siteFacts } from './migrations/0201_relocation_sites.js';
import { migration as siteTariffSalvage } from './migrations/0202_relocation_site_tariff_salvage.js';
import { relocationRoutes } from './routes.js';

/** Relocation: the placement planner, plans with approval, and the move workflow over inventory. */
export const relocationFeature: Feature = {
  name: 'relocation',
  migrations: [migration, siteFacts, siteTariffSalvage],
  routes: relocationRoutes,
  cli: { relocation: relocationCli },
};

export { planRelocation } from './planner.js';
export type { Plan, PlannerInput } from './types.js';
