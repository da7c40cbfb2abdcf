/** Example sites, models and routes for Sichuan and Kazakhstan: the tests' cases and the CLI's defaults. */
import { plannerInputSchema } from './schema.js';
import type { MinerInput, PlannerInput, SiteInput } from './types.js';

// Sichuan: hydro ≈ ¥0.08/kWh May–Oct vs ≈ ¥0.28 in the dry season (docs/reference.md §11) at ¥7.2/USD;
// Kazakhstan ≈ USD 0.03/kWh all year (docs/architecture.md §1). The ambient figures are test fixtures,
// not climate normals: none is bundled (docs/reference.md §11).
export const sichuan = (over: Partial<SiteInput> = {}): SiteInput => ({
  id: 'sichuan',
  tariffUsdPerKwh: [0.039, 0.039, 0.039, 0.039, 0.011, 0.011, 0.011, 0.011, 0.011, 0.011, 0.039, 0.039],
  slots: 1000,
  mw: 100,
  ambientC: [7, 9, 14, 19, 23, 25, 27, 27, 23, 18, 13, 8],
  availability: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  repairSite: true,
  ...over,
});

export const kazakhstan = (over: Partial<SiteInput> = {}): SiteInput => ({
  id: 'kazakhstan',
  tariffUsdPerKwh: [0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03, 0.03],
  slots: 1000,
  mw: 100,
  ambientC: [-15, -13, -5, 7, 15, 20, 22, 20, 13, 5, -4, -12],
  availability: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  repairSite: false,
  ...over,
});

/** Figures from the model table (firmware-profiles/src/models.ts). */
export const MODELS = {
  s19xp: { model: 'Antminer S19 XP', nominalThs: 140, efficiencyJth: 21.5 },
  m20s: { model: 'Whatsminer M20S', nominalThs: 68, efficiencyJth: 49.41 },
  t17: { model: 'Antminer T17', nominalThs: 40, efficiencyJth: 55 },
  s21: { model: 'Antminer S21', nominalThs: 200, efficiencyJth: 17.5 },
} as const;

export const miner = (id: string, kind: keyof typeof MODELS, over: Partial<MinerInput> = {}): MinerInput => ({
  id,
  serial: `SN-${id}`,
  ...MODELS[kind],
  condition: 1,
  cooling: 'air',
  warrantyEnd: null,
  siteId: 'sichuan',
  containerId: 'sc-c1',
  slot: null,
  ...over,
});

/** The example route: 10 days, 20 USD a miner, 5,000 USD a container, no customs. */
export const SICHUAN_KAZAKHSTAN = {
  from: 'sichuan',
  to: 'kazakhstan',
  transitDays: 10,
  costPerMinerUsd: 20,
  costPerContainerUsd: 5000,
  customsPerMinerUsd: 0,
};

export function scenario(over: Partial<PlannerInput>): PlannerInput {
  return plannerInputSchema.parse({
    start: '2026-12',
    horizonMonths: 4,
    sites: [sichuan(), kazakhstan()],
    routes: [SICHUAN_KAZAKHSTAN],
    market: { btcPriceUsd: 90_000, hashpriceBtcPerPhDay: 0.0006 },
    miners: [],
    ...over,
  });
}
