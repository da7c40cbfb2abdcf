/**
 * Relocation planner at fleet scale: 100,000 miners in 334 containers at 3 sites, 12 months.
 * Baseline: the same input grouped into classes without solving, in the same process, so the
 * solve time reads as a ratio. Prints wall time, peak RSS and the model's size.
 */
import { groupMiners, plannerKey } from '../src/relocation/classes.js';
import { kazakhstan, MODELS, miner, scenario, sichuan } from '../src/relocation/examples.js';
import { planRelocation } from '../src/relocation/planner.js';
import { loadSolver } from '../src/relocation/solver.js';
import type { MinerInput } from '../src/relocation/types.js';

const MINERS = Number(process.env.RELOCATION_BENCH_MINERS ?? 100_000);
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
const containers = Math.ceil(MINERS / PER_CONTAINER);
for (let c = 0; c < containers; c++) {
  const site = c % 10 < 5 ? 'sichuan' : sites[1 + (c % 2)]!;
  const kind = kinds[Math.floor(rand() * kinds.length)]!;
  const warrantyEnd = site === 'sichuan' && rand() < 0.4 ? `2027-0${1 + Math.floor(rand() * 6)}-28` : null;
  for (let i = 0; i < PER_CONTAINER && miners.length < MINERS; i++) {
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
const count = (s: string) => miners.filter((m) => m.siteId === s).length;
const input = scenario({
  start: '2026-06',
  horizonMonths: 12,
  miners,
  sites: [
    sichuan({ slots: count('sichuan') }),
    kazakhstan({ id: 'pavlodar', slots: count('pavlodar') + 12_000, mw: 150 }),
    kazakhstan({
      id: 'oskemen',
      slots: count('oskemen') + 6_000,
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
});

const mb = (bytes: number) => (bytes / 1048576).toFixed(0);
const siteIndex = new Map(input.sites.map((s, i) => [s.id, i]));
let t0 = performance.now();
const groups = groupMiners(input, siteIndex, plannerKey(input.policies.conditionStep));
const baselineMs = performance.now() - t0;
const highs = await loadSolver();
t0 = performance.now();
const plan = planRelocation(input, highs);
const planMs = performance.now() - t0;

console.log(`relocation planner, ${MINERS} miners, ${containers} containers, 3 sites, 12 months`);
console.log(
  `  baseline (group into classes only): ${baselineMs.toFixed(0)} ms, ${groups.classes.length} classes`,
);
console.log(
  `  plan (group + 2 MILP solves + moves): ${planMs.toFixed(0)} ms = ${(planMs / baselineMs).toFixed(1)}x baseline`,
);
console.log(
  `  MILP: ${plan.solver.columns} columns, ${plan.solver.rows} rows, status ${plan.solver.status}, gap ${plan.solver.mipGap === null ? 'unknown' : `${(plan.solver.mipGap * 100).toFixed(3)} %`}, solver ${plan.solver.seconds} s`,
);
console.log(
  `  result: ${plan.moves.length} moves in ${plan.batches.length} batches (${plan.batches.filter((b) => b.mode === 'container').length} whole containers); profit ${plan.profitBeforeUsd.toFixed(0)} -> ${plan.profitAfterUsd.toFixed(0)} USD`,
);
console.log(`  peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} MB`);
