import { warrantyMonths } from './calendar.js';
import type { MinerEconomics } from './economics.js';
import type { MinerInput, PlannerInput } from './types.js';

/**
 * Miners that plan alike: same model figures, cooling, condition step, current site and months
 * of warranty left. 100,000 miners fall into a few hundred classes, so the solver's model stays
 * small; whole-container moves keep per-container counts of each class.
 */
export type MinerClass = {
  key: string;
  model: string;
  homeSite: number;
  /** Class figures; condition is the members' mean, so the class's total revenue is exact. */
  econ: MinerEconomics;
  /** Horizon months during which the warranty policy keeps these miners near a repair site. */
  holdMonths: number;
  members: number[];
};

export type ContainerGroup = {
  id: string;
  homeSite: number;
  slots: number;
  /** class index -> miners of that class in this container */
  counts: Map<number, number>;
  miners: number;
  holdMonths: number;
};

export type Classes = { classes: MinerClass[]; containers: ContainerGroup[] };

/** Groups by `keyOf` (the planner's buckets, or the miner id for the exact per-miner model). */
export function groupMiners(
  input: PlannerInput,
  siteIndex: ReadonlyMap<string, number>,
  keyOf: (m: MinerInput, holdMonths: number) => string,
): Classes {
  const byKey = new Map<string, number>();
  const classes: MinerClass[] = [];
  const containers = new Map<string, ContainerGroup>();
  const slotsOf = new Map(input.containers.map((c) => [c.id, c.slots]));
  input.miners.forEach((m, i) => {
    const homeSite = siteIndex.get(m.siteId)!;
    const hold =
      input.policies.warranty === 'keep-near-repair'
        ? warrantyMonths(input.start, input.horizonMonths, m.warrantyEnd)
        : 0;
    const key = `${keyOf(m, hold)}@${homeSite}`;
    let ci = byKey.get(key);
    if (ci === undefined) {
      ci = classes.length;
      byKey.set(key, ci);
      classes.push({
        key,
        model: m.model,
        homeSite,
        econ: { nominalThs: m.nominalThs, efficiencyJth: m.efficiencyJth, condition: 0, cooling: m.cooling },
        holdMonths: hold,
        members: [],
      });
    }
    const c = classes[ci]!;
    c.members.push(i);
    c.econ.condition += m.condition;
    let g = containers.get(m.containerId);
    if (!g) {
      g = { id: m.containerId, homeSite, slots: 0, counts: new Map(), miners: 0, holdMonths: 0 };
      containers.set(m.containerId, g);
    }
    g.counts.set(ci, (g.counts.get(ci) ?? 0) + 1);
    g.miners++;
    g.holdMonths = Math.max(g.holdMonths, hold);
  });
  for (const c of classes) c.econ.condition /= c.members.length;
  for (const g of containers.values()) g.slots = Math.max(g.miners, slotsOf.get(g.id) ?? 0);
  return { classes, containers: [...containers.values()] };
}

/** The planner's class key: model figures, cooling, condition rounded to the policy's step. */
export function plannerKey(step: number) {
  return (m: MinerInput, hold: number): string => {
    const cond = step > 0 ? Math.round(m.condition / step) : m.condition;
    return `${m.model}|${m.nominalThs}|${m.efficiencyJth}|${m.cooling}|${cond}|${hold}`;
  };
}
