import { kazakhstan, MODELS, miner, scenario, sichuan } from '../src/relocation/examples.js';
import { policiesSchema } from '../src/relocation/schema.js';
import type { MinerInput, PlannerInput } from '../src/relocation/types.js';

/**
 * The fleet-scale relocation instance (shared by the bench and the time-out test): `miners` in
 * containers of 300 at 3 sites (half in Sichuan, some under warranty), 12 months from 2026-06,
 * from a fixed seed so every run plans the same fleet.
 */
export function fleetInstance(count: number, policies: Partial<PlannerInput['policies']> = {}): PlannerInput {
  const PER_CONTAINER = 300;

  let seed = 42;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };

  // A container holds one model bought at one time (one warranty end); condition varies per unit.
  const kinds = Object.keys(MODELS) as (keyof typeof MODELS)[];
  const sites = ['sichuan', 'pavlodar', 'oskemen'];
  const miners: MinerInput[] = [];
  const containers = Math.ceil(count / PER_CONTAINER);
  for (let c = 0; c < containers; c++) {
    const site = c % 10 < 5 ? 'sichuan' : sites[1 + (c % 2)]!;
    const kind = kinds[Math.floor(rand() * kinds.length)]!;
    const warrantyEnd = site === 'sichuan' && rand() < 0.4 ? `2027-0${1 + Math.floor(rand() * 6)}-28` : null;
    for (let i = 0; i < PER_CONTAINER && miners.length < count; i++) {
      miners.push(
        miner(`m${miners.length}`, kind, {
          siteId: site,
          containerId: `${site}-c${c}`,
          condition: 0.7 + rand() * 0.35,
          warrantyEnd,
        }),
      );
    }
  }
  const at = (s: string) => miners.filter((m) => m.siteId === s).length;
  return scenario({
    start: '2026-06',
    horizonMonths: 12,
    miners,
    sites: [
      sichuan({ slots: at('sichuan') }),
      kazakhstan({ id: 'pavlodar', slots: at('pavlodar') + 12_000, mw: 150 }),
      kazakhstan({
        id: 'oskemen',
        slots: at('oskemen') + 6_000,
        mw: 120,
        tariffUsdPerKwh: Array(12).fill(0.034),
      }),
    ],
    routes: [
      {
        from: 'sichuan',
        to: 'pavlodar',
        transitDays: 21,
        costPerMinerUsd: 35,
        costPerContainerUsd: 6_000,
        customsPerMinerUsd: 4,
      },
      {
        from: 'sichuan',
        to: 'oskemen',
        transitDays: 18,
        costPerMinerUsd: 30,
        costPerContainerUsd: 5_500,
        customsPerMinerUsd: 4,
      },
      {
        from: 'pavlodar',
        to: 'oskemen',
        transitDays: 4,
        costPerMinerUsd: 8,
        costPerContainerUsd: 1_500,
        customsPerMinerUsd: 0,
      },
    ],
    policies: { ...policiesSchema.parse({}), ...policies },
  });
}
