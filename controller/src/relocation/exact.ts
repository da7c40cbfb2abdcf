import type { Highs } from 'highs';
import { groupMiners } from './classes.js';
import { formulate } from './formulation.js';
import { solveMilp } from './lp.js';
import type { PlannedMove, PlannerInput } from './types.js';

/**
 * The same placement MILP with one class per miner and each miner's own condition (no
 * aggregation, no rounding): the reference the planner is checked against on small instances.
 * `fixed` evaluates a given set of moves instead: every placement and container move is pinned
 * and HiGHS only chooses which miners run, so the figure is that plan's true objective.
 */
export function solveExact(
  input: PlannerInput,
  highs: Highs,
  fixed?: readonly PlannedMove[],
): { objective: number; optimal: boolean } {
  const siteIndex = new Map(input.sites.map((s, i) => [s.id, i]));
  const groups = groupMiners(input, siteIndex, (m) => `miner:${m.id}`);
  const f = formulate(input, groups, true);
  if (fixed) {
    const T = input.horizonMonths;
    const boxMoves = new Set(
      fixed.filter((m) => m.mode === 'container').map((m) => `${m.fromContainer}|${m.month}|${m.toSite}`),
    );
    for (const [ci, t, z, col] of f.containerMoves) {
      const on = boxMoves.has(`${groups.containers[ci]!.id}|${t}|${input.sites[z]!.id}`) ? 1 : 0;
      f.builder.lower[col] = on;
      f.builder.upper[col] = on;
    }
    groups.classes.forEach((k, ki) => {
      const m = input.miners[k.members[0]!]!;
      const own = fixed.filter((mv) => mv.minerId === m.id).sort((a, b) => a.month - b.month);
      const rides = own.some((mv) => mv.mode === 'container');
      const path: number[] = [];
      let site = k.homeSite;
      for (let t = 0; t < T; t++) {
        for (const mv of own) if (mv.month === t) site = siteIndex.get(mv.toSite)!;
        path.push(site);
      }
      for (const [t, a, z, col] of f.arcs[ki]!) {
        const used = !rides && z === path[t] && a === (t === 0 ? k.homeSite : path[t - 1]) ? 1 : 0;
        f.builder.lower[col] = used;
        f.builder.upper[col] = used;
      }
    });
  }
  const r = solveMilp(highs, f.builder, { timeLimitS: input.policies.timeLimitS, mipRelGap: 0 });
  if (!r.x) throw new Error(`exact relocation MILP: no solution (HiGHS status ${r.status})`);
  return { objective: r.objective, optimal: r.optimal };
}
