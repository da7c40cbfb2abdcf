import type { Highs } from 'highs';
import { isoDate, monthStartMs } from './calendar.js';
import { type Classes, groupMiners, plannerKey } from './classes.js';
import { downtimeUsd, findRoute, monthlyMarginUsd } from './economics.js';
import { type Formulation, formulate, salvageUsd, stayStart } from './formulation.js';
import { type MilpResult, solveMilp } from './lp.js';
import { explainRoom } from './room.js';
import { checkReferences } from './schema.js';
import type { MoveBatch, MoveMode, Plan, PlannedMove, PlannerInput, Retirement } from './types.js';

/**
 * The relocation planner: a pure function of its inputs (and the loaded HiGHS instance).
 * Miners are grouped into classes, the placement MILP is solved once with moves and once
 * without (the "before" profit), and the optimal class flows are turned into dated moves.
 */
export function planRelocation(
  input: PlannerInput,
  highs: Highs,
  tuning: { warmStart?: boolean } = {},
): Plan {
  const problems = checkReferences(input);
  if (problems.length) throw new Error(`relocation input: ${problems.join('; ')}`);
  const siteIndex = new Map(input.sites.map((s, i) => [s.id, i]));
  const groups = groupMiners(input, siteIndex, plannerKey(input.policies.conditionStep));
  const opts = { timeLimitS: input.policies.timeLimitS, mipRelGap: input.policies.mipRelGap };
  const stay = formulate(input, groups, false);
  // All idle and in place is feasible: the no-move solve always has a solution to report.
  const before = solveMilp(highs, stay.builder, opts, stayStart(groups, stay));
  if (!before.x) throw new Error(`relocation solver: no plan without moves (HiGHS status ${before.status})`);
  const f = formulate(input, groups, true);
  // No start by default: handing HiGHS the no-move plan as incumbent took 46.4 CPU-s against
  // 13.6 cold on the 100,000-miner bench (same optimum); the no-move plan is the fallback instead.
  const solved = solveMilp(
    highs,
    f.builder,
    opts,
    tuning.warmStart ? stayStart(groups, f, { f: stay, x: before.x }) : undefined,
  );
  // On a time-out HiGHS may hold no plan of its own: the no-move plan is then the incumbent, and
  // its gap to HiGHS's bound says how much a longer solve could still find. Never a silent "0 moves".
  const after = solved.x
    ? { ...solved, x: solved.x }
    : {
        ...solved,
        x: stayStart(groups, f, { f: stay, x: before.x }),
        objective: before.objective,
        mipGap: gapTo(before.objective, solved.bound),
      };
  const timedOut = !before.optimal || !solved.optimal;
  const incumbent = solved.x ? 'solver' : 'no-move plan';
  const { moves, retirements } = extractMoves(input, groups, f, after.x);
  const batches = batch(moves);
  explainRoom(input, groups, moves, retirements, batches);
  return {
    start: input.start,
    horizonMonths: input.horizonMonths,
    profitBeforeUsd: round2(before.objective),
    profitAfterUsd: round2(after.objective),
    moves,
    batches,
    retirements,
    solver: {
      status: statusLine(before, solved, opts.timeLimitS, incumbent),
      optimal: after.optimal,
      timedOut,
      incumbent,
      mipGap: after.mipGap,
      bestBoundUsd: solved.bound === null ? null : round2(solved.bound),
      seconds: round2(before.seconds + after.seconds),
      classes: groups.classes.length,
      containers: groups.containers.length,
      columns: f.builder.columns,
      rows: f.builder.rows,
    },
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Relative gap of a maximisation's incumbent to its bound, over the incumbent as HiGHS's mip_gap; null without a bound. */
const gapTo = (objective: number, bound: number | null): number | null =>
  bound === null ? null : Math.max(0, bound - objective) / Math.max(Math.abs(objective), 1e-9);

/** What the solver did, in words the API and CLI show as they are. */
function statusLine(before: MilpResult, solved: MilpResult, limitS: number, incumbent: string): string {
  if (before.optimal && solved.optimal) return solved.status;
  const parts: string[] = [];
  if (!solved.optimal)
    parts.push(
      `${solved.status}: stopped after the ${limitS} s time limit; this is the best plan found (${incumbent}), not a proven optimum`,
    );
  if (!before.optimal)
    parts.push(`the no-move profit is a lower bound (that solve stopped too: ${before.status})`);
  return parts.join('; ');
}

type RawMove = {
  miner: number;
  t: number;
  from: number;
  to: number;
  mode: MoveMode;
  container: string | null;
};

/** Turns the solution's counts into per-miner moves and retirements; members of a class are interchangeable. */
export function extractMoves(
  input: PlannerInput,
  groups: Classes,
  f: Formulation,
  x: Float64Array,
): { moves: PlannedMove[]; retirements: Retirement[] } {
  const raw: RawMove[] = [];
  const retired: { miner: number; t: number; site: number }[] = [];
  const riding = new Set<number>();
  // Every miner of a moved container rides it (its class counts hold them all).
  const boxes = new Map<string, { t: number; from: number; to: number }>();
  for (const [ci, t, to, col] of f.containerMoves) {
    if (x[col]! >= 0.5)
      boxes.set(groups.containers[ci]!.id, { t, from: groups.containers[ci]!.homeSite, to });
  }
  input.miners.forEach((m, i) => {
    const box = boxes.get(m.containerId);
    if (!box) return;
    riding.add(i);
    raw.push({ miner: i, t: box.t, from: box.from, to: box.to, mode: 'container', container: m.containerId });
  });
  groups.classes.forEach((k, ki) => {
    const pool = k.members.filter((m) => !riding.has(m));
    // Positions in `pool` of the members at each site, ascending: each arc takes the first ones
    // there, so the same members move as when every arc scanned the whole pool (quadratic in a
    // class's size; 0.3 CPU-s of the 100,000-miner bench).
    const bySite: number[][] = input.sites.map(() => []);
    bySite[k.homeSite] = pool.map((_, i) => i);
    const moved = new Set<number>();
    const arcs = f.arcs[ki]!.filter(([, a, z, col]) => a !== z && x[col]! >= 0.5);
    arcs.sort((p, q) => p[0] - q[0]);
    for (let t = 0; t < input.horizonMonths; t++) {
      const leaving: [number, number][] = [];
      for (const [tm, a, z, col] of arcs) {
        if (tm !== t) continue;
        for (const i of bySite[a]!.splice(0, Math.round(x[col]!))) {
          const m = pool[i]!;
          leaving.push([i, z]);
          raw.push({
            miner: m,
            t,
            from: a,
            to: z,
            mode: 'miner',
            container: moved.has(m) ? null : input.miners[m]!.containerId,
          });
        }
      }
      for (const [tm, a, col] of f.retires[ki]!) {
        if (tm !== t || x[col]! < 0.5) continue;
        for (const i of bySite[a]!.splice(0, Math.round(x[col]!)))
          retired.push({ miner: pool[i]!, t, site: a });
      }
      for (const [i, z] of leaving) {
        bySite[z]!.push(i);
        moved.add(pool[i]!);
      }
      if (leaving.length) for (const list of bySite) list.sort((p, q) => p - q);
    }
  });
  const retiredAt = new Map(retired.map((r) => [r.miner, r.t]));
  return { moves: price(input, raw, retiredAt), retirements: retirements(input, retired) };
}

/** Each retirement with its case: salvage against the margin the miner would still earn where it is. */
function retirements(
  input: PlannerInput,
  retired: { miner: number; t: number; site: number }[],
): Retirement[] {
  const out = retired.map(({ miner, t, site }): Retirement => {
    const m = input.miners[miner]!;
    const s = input.sites[site]!;
    let forgone = 0;
    for (let u = t; u < input.horizonMonths; u++) forgone += Math.max(0, monthlyMarginUsd(input, m, s, u));
    const salvage = salvageUsd(input, m.model, site);
    return {
      minerId: m.id,
      serial: m.serial,
      model: m.model,
      month: t,
      date: isoDate(monthStartMs(input.start, t)),
      site: s.id,
      salvageUsd: round2(salvage),
      forgoneMarginUsd: round2(forgone),
      gainUsd: round2(salvage - forgone),
    };
  });
  return out.sort((a, b) => a.month - b.month || a.minerId.localeCompare(b.minerId));
}

/** Cost, downtime and gain of each move, from the miner's own figures. */
function price(input: PlannerInput, raw: RawMove[], retiredAt: ReadonlyMap<number, number>): PlannedMove[] {
  const byMiner = new Map<number, RawMove[]>();
  for (const r of raw) byMiner.set(r.miner, [...(byMiner.get(r.miner) ?? []), r]);
  const out: PlannedMove[] = [];
  const containerSize = new Map<string, number>();
  for (const r of raw)
    if (r.mode === 'container') containerSize.set(r.container!, (containerSize.get(r.container!) ?? 0) + 1);
  for (const [mi, list] of byMiner) {
    list.sort((a, b) => a.t - b.t);
    const m = input.miners[mi]!;
    list.forEach((r, i) => {
      const from = input.sites[r.from]!;
      const to = input.sites[r.to]!;
      const route = findRoute(input.routes, from.id, to.id)!;
      const cost =
        route.customsPerMinerUsd +
        (r.mode === 'container'
          ? route.costPerContainerUsd / containerSize.get(r.container!)!
          : route.costPerMinerUsd);
      const downtime = downtimeUsd(input, route, monthlyMarginUsd(input, m, to, r.t), r.t);
      const until = list[i + 1]?.t ?? retiredAt.get(mi) ?? input.horizonMonths;
      let gain = -cost - downtime;
      for (let t = r.t; t < until; t++) {
        gain +=
          Math.max(0, monthlyMarginUsd(input, m, to, t)) - Math.max(0, monthlyMarginUsd(input, m, from, t));
      }
      const depart = monthStartMs(input.start, r.t);
      out.push({
        minerId: m.id,
        serial: m.serial,
        batchId: `m${r.t}-${from.id}-${to.id}-${r.mode}-${r.container ?? 'slots'}`,
        month: r.t,
        departDate: isoDate(depart),
        arriveDate: isoDate(depart + route.transitDays * 86_400_000),
        fromSite: from.id,
        toSite: to.id,
        fromContainer: r.container,
        mode: r.mode,
        costUsd: round2(cost),
        downtimeUsd: round2(downtime),
        gainUsd: round2(gain),
      });
    });
  }
  out.sort(
    (a, b) => a.month - b.month || a.batchId.localeCompare(b.batchId) || a.minerId.localeCompare(b.minerId),
  );
  return out;
}

function batch(moves: PlannedMove[]): MoveBatch[] {
  const batches = new Map<string, MoveBatch>();
  for (const mv of moves) {
    let b = batches.get(mv.batchId);
    if (!b) {
      b = {
        id: mv.batchId,
        month: mv.month,
        departDate: mv.departDate,
        mode: mv.mode,
        fromSite: mv.fromSite,
        toSite: mv.toSite,
        containerId: mv.fromContainer,
        minerIds: [],
        costUsd: 0,
        downtimeUsd: 0,
        gainUsd: 0,
        reason: '',
        makesRoom: null,
      };
      batches.set(mv.batchId, b);
    }
    b.minerIds.push(mv.minerId);
    b.costUsd = round2(b.costUsd + mv.costUsd);
    b.downtimeUsd = round2(b.downtimeUsd + mv.downtimeUsd);
    b.gainUsd = round2(b.gainUsd + mv.gainUsd);
  }
  for (const b of batches.values()) {
    const what = b.mode === 'container' ? `container ${b.containerId}` : `${b.minerIds.length} miners`;
    b.reason =
      `${what} ${b.fromSite} → ${b.toSite} in ${b.departDate.slice(0, 7)}: ` +
      `gain ${b.gainUsd.toFixed(2)} USD net of transport ${b.costUsd.toFixed(2)} USD and downtime ${b.downtimeUsd.toFixed(2)} USD`;
  }
  return [...batches.values()];
}
