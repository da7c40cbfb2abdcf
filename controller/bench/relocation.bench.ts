/**
 * Relocation planner at fleet scale: 100,000 miners in 334 containers at 3 sites, 12 months.
 * Baseline: the same input grouped into classes without solving, in the same process, so the
 * solve time reads as a ratio. Prints wall time, peak RSS and the model's size.
 */
import { groupMiners, plannerKey } from '../src/relocation/classes.js';
import { planRelocation } from '../src/relocation/planner.js';
import { loadSolver } from '../src/relocation/solver.js';
import { fleetInstance } from './relocation-instance.js';

const MINERS = Number(process.env.RELOCATION_BENCH_MINERS ?? 100_000);
const input = fleetInstance(MINERS);
const containers = Math.ceil(MINERS / 300);

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
