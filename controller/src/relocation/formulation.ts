import type { Classes } from './classes.js';
import { downtimeUsd, findRoute, monthlyMarginUsd, powerW } from './economics.js';
import { addTerm, MilpBuilder } from './lp.js';
import type { PlannerInput } from './types.js';

/**
 * The placement MILP over the horizon (maximise expected profit):
 *
 *   y[k,t,a,b]  miners of class k at site a in month t-1 and at b in month t (t = 0: a = home),
 *               loose moves, each paying the route's per-miner cost, customs and downtime;
 *   w[c,t,b]    container c moves whole to b at the start of month t (binary, at most once),
 *               paying the per-container cost and carrying its miners *and its slots*;
 *   on[k,t,s]   miners of class k running at s in month t, earning their margin (idle ones earn 0);
 *   r[k,t,a]    loose miners of class k at a retired (sold or scrapped) at the start of month t,
 *               earning the model's salvage value there once (the site's figure, else the policy's)
 *               and leaving the flow (and their slot);
 *               only with moves allowed and a salvage value above 0, so "idle" stays the default.
 *
 *   supply       Σ_b y[k,0,home,b] + r[k,0,home] + Σ_c n[c,k]·W_c = |k|   (a moved container's miners ride it)
 *   flow         Σ_b y[k,t,s,b] + r[k,t,s] = Σ_a y[k,t-1,a,s]
 *   running      on[k,t,s] <= loose at s + riding at s
 *   slots        miners at s <= slots_s - slots of containers gone + slots of containers come
 *   power        Σ_k W_k·on[k,t,s] <= MW_s
 *   warranty     no move to a site without the repair centre while a miner's warranty runs
 *
 * With slot capacity only and no container moves this is a min-cost flow (integral LP); the MW
 * rows and container binaries make it a generalised assignment problem, solved as a MILP.
 */
export type Formulation = {
  builder: MilpBuilder;
  /** Loose arcs per class: [t, from, to, column]. */
  arcs: [number, number, number, number][][];
  /** Retirements per class: [t, from, column]. */
  retires: [number, number, number][][];
  /** Container moves: [container, t, to, column]. */
  containerMoves: [number, number, number, number][];
  /** Running miners per class, month and site: column, or -1 where never profitable. */
  on: number[][][];
  margin: number[][][];
};

/**
 * Long because it builds the model in one pass: every block of rows indexes the same columns, which
 * the blocks would otherwise have to pass from one function to the next.
 */
export function formulate(input: PlannerInput, groups: Classes, allowMoves: boolean): Formulation {
  const { classes, containers } = groups;
  const S = input.sites.length;
  const T = input.horizonMonths;
  const b = new MilpBuilder();
  const margin = classes.map((k) =>
    Array.from({ length: T }, (_, t) => input.sites.map((s) => monthlyMarginUsd(input, k.econ, s, t))),
  );
  const route = (a: number, z: number) => findRoute(input.routes, input.sites[a]!.id, input.sites[z]!.id);
  const heldOut = (holdMonths: number, t: number, z: number) => t < holdMonths && !input.sites[z]!.repairSite;
  const minerMoves = allowMoves && input.policies.minerMoves === 'allow';
  const boxMoves = allowMoves && input.policies.containerMoves === 'allow';

  // Loose arcs; inArcs/outArcs index them by (class, t, site) for the flow and running rows.
  const arcs: Formulation['arcs'] = classes.map(() => []);
  const into = classes.map(() =>
    Array.from({ length: T }, () => Array.from({ length: S }, () => [] as number[])),
  );
  const outOf = classes.map(() =>
    Array.from({ length: T }, () => Array.from({ length: S }, () => [] as number[])),
  );
  classes.forEach((k, ki) => {
    const n = k.members.length;
    for (let t = 0; t < T; t++) {
      for (let a = 0; a < S; a++) {
        if (t === 0 && a !== k.homeSite) continue;
        if (!allowMoves && a !== k.homeSite) continue;
        for (let z = 0; z < S; z++) {
          let cost = 0;
          if (a !== z) {
            const r = route(a, z);
            if (!minerMoves || !r || heldOut(k.holdMonths, t, z)) continue;
            cost = r.costPerMinerUsd + r.customsPerMinerUsd + downtimeUsd(input, r, margin[ki]![t]![z]!, t);
          }
          const col = b.col(-cost, n);
          arcs[ki]!.push([t, a, z, col]);
          into[ki]![t]![z]!.push(col);
          if (t > 0) outOf[ki]![t - 1]![a]!.push(col);
        }
      }
    }
  });

  // Retirement columns: out of the flow at (t, a) like an arc that arrives nowhere.
  const retires: Formulation['retires'] = classes.map(() => []);
  classes.forEach((k, ki) => {
    if (!allowMoves) return;
    for (let t = 0; t < T; t++) {
      for (let a = 0; a < S; a++) {
        if (t === 0 && a !== k.homeSite) continue;
        const salvage = salvageUsd(input, k.model, a);
        if (salvage <= 0) continue;
        const col = b.col(salvage, k.members.length);
        retires[ki]!.push([t, a, col]);
        if (t > 0) outOf[ki]![t - 1]![a]!.push(col);
      }
    }
  });

  const containerMoves: Formulation['containerMoves'] = [];
  const movesOf = containers.map(() => [] as [number, number, number][]); // [t, to, col]
  containers.forEach((c, ci) => {
    if (!boxMoves) return;
    for (let t = 0; t < T; t++) {
      for (let z = 0; z < S; z++) {
        const r = z === c.homeSite ? null : route(c.homeSite, z);
        if (!r || heldOut(c.holdMonths, t, z)) continue;
        let cost = r.costPerContainerUsd + r.customsPerMinerUsd * c.miners;
        for (const [ki, n] of c.counts) cost += n * downtimeUsd(input, r, margin[ki]![t]![z]!, t);
        const col = b.col(-cost, 1);
        containerMoves.push([ci, t, z, col]);
        movesOf[ci]!.push([t, z, col]);
      }
    }
  });

  // Riding miners of class k at (t, s): terms over container-move columns.
  const holders = classes.map(() => [] as [number, number][]); // class -> [container, count]
  containers.forEach((c, ci) => {
    for (const [ki, n] of c.counts) holders[ki]!.push([ci, n]);
  });
  const all = containers.map((c, ci) => [ci, c.miners] as [number, number]);
  const ridingTerms = (terms: Map<number, number>, ki: number | null, t: number, s: number, sign: number) => {
    for (const [ci, n] of ki === null ? all : holders[ki]!) {
      const home = containers[ci]!.homeSite;
      for (const [tm, z, col] of movesOf[ci]!) {
        if (s === home && tm > t) addTerm(terms, col, sign * n);
        if (s === z && tm <= t) addTerm(terms, col, sign * n);
      }
    }
  };

  // supply
  classes.forEach((k, ki) => {
    const terms = new Map<number, number>();
    for (const col of outOfStart(arcs[ki]!)) addTerm(terms, col, 1);
    for (const [t, , col] of retires[ki]!) if (t === 0) addTerm(terms, col, 1);
    for (const [ci, n] of holders[ki]!) for (const [, , col] of movesOf[ci]!) addTerm(terms, col, n);
    b.row(terms, k.members.length, k.members.length);
  });
  // flow
  classes.forEach((_, ki) => {
    for (let t = 0; t + 1 < T; t++) {
      for (let s = 0; s < S; s++) {
        const terms = new Map<number, number>();
        for (const col of outOf[ki]![t]![s]!) addTerm(terms, col, 1);
        for (const col of into[ki]![t]![s]!) addTerm(terms, col, -1);
        b.row(terms, 0, 0);
      }
    }
  });
  // running and power
  const onCols: number[][][] = classes.map(() => Array.from({ length: T }, () => Array(S).fill(-1)));
  classes.forEach((k, ki) => {
    for (let t = 0; t < T; t++) {
      for (let s = 0; s < S; s++) {
        const m = margin[ki]![t]![s]!;
        if (m <= 0) continue;
        const terms = new Map<number, number>();
        for (const col of into[ki]![t]![s]!) addTerm(terms, col, -1);
        ridingTerms(terms, ki, t, s, -1);
        if (terms.size === 0) continue;
        const on = b.col(m, k.members.length);
        onCols[ki]![t]![s] = on;
        addTerm(terms, on, 1);
        b.row(terms, -Infinity, 0);
      }
    }
  });
  for (let t = 0; t < T; t++) {
    for (let s = 0; s < S; s++) {
      const power = new Map<number, number>();
      classes.forEach((k, ki) => {
        const on = onCols[ki]![t]![s]!;
        if (on >= 0) addTerm(power, on, powerW(k.econ));
      });
      b.row(power, -Infinity, input.sites[s]!.mw * 1e6);
      // slots
      const slots = new Map<number, number>();
      classes.forEach((_, ki) => {
        for (const col of into[ki]![t]![s]!) addTerm(slots, col, 1);
      });
      ridingTerms(slots, null, t, s, 1);
      containers.forEach((c, ci) => {
        for (const [tm, z, col] of movesOf[ci]!) {
          if (tm > t) continue;
          if (c.homeSite === s) addTerm(slots, col, c.slots);
          if (z === s) addTerm(slots, col, -c.slots);
        }
      });
      b.row(slots, -Infinity, input.sites[s]!.slots);
    }
  }
  // a container moves at most once
  for (const moves of movesOf) {
    const terms = new Map<number, number>();
    for (const [, , col] of moves) addTerm(terms, col, 1);
    b.row(terms, -Infinity, 1);
  }
  return { builder: b, arcs, retires, containerMoves, on: onCols, margin };
}

/** What retiring one miner of the model at site `site` brings: the site's figure, else policies.salvageUsd, else the default. */
export const salvageUsd = (input: PlannerInput, model: string, site: number): number =>
  input.sites[site]?.salvageUsd?.[model] ??
  input.policies.salvageUsd[model] ??
  input.policies.defaultSalvageUsd;

function* outOfStart(arcs: [number, number, number, number][]): Generator<number> {
  for (const [t, , , col] of arcs) if (t === 0) yield col;
}

/**
 * A feasible start for `f`: everyone stays, running as in the no-move solution `before` (same
 * classes), or all idle without one. HiGHS then always holds a plan at least as good as that,
 * even when it stops at its time limit.
 */
export function stayStart(
  groups: Classes,
  f: Formulation,
  before?: { f: Formulation; x: Float64Array },
): Float64Array {
  const x = new Float64Array(f.builder.columns);
  groups.classes.forEach((k, ki) => {
    for (const [, a, z, col] of f.arcs[ki]!)
      if (a === k.homeSite && z === k.homeSite) x[col] = k.members.length;
    if (!before) return;
    for (const [t, sites] of f.on[ki]!.entries()) {
      for (const [s, col] of sites.entries()) {
        const was = before.f.on[ki]?.[t]?.[s] ?? -1;
        if (col >= 0 && was >= 0) x[col] = Math.round(before.x[was]!);
      }
    }
  });
  return x;
}
