import type { StakeEntry, StakingNode } from './types.js';

/**
 * Time-weighted eligible stake. A holding (holder, node) is a step function of time built from
 * its entries; a node is eligible while the sum of its holdings is at least the minimum
 * collateral. Weight over [from, to) = sum of amount x eligible seconds, exact in bigint.
 */

export interface Segment {
  fromMs: number;
  /** Exclusive; Infinity for the last level. */
  toMs: number;
  amountUnits: bigint;
}

export interface Timeline {
  /** key `${holder}\u0000${nodeId}` -> segments in time order. */
  holdings: Map<string, { holder: string; nodeId: string; segments: Segment[] }>;
  /** nodeId -> segments of the node's total collateral, with eligibility. */
  nodes: Map<string, (Segment & { eligible: boolean })[]>;
}

export interface Weights {
  /** holder -> units x seconds in eligible nodes. */
  byHolder: Map<string, bigint>;
  /** nodeId -> units x seconds while eligible. */
  byNode: Map<string, bigint>;
  /** `${holder}\u0000${nodeId}` -> units x seconds. */
  byHolding: Map<string, bigint>;
  total: bigint;
}

export function holdingKey(holder: string, nodeId: string): string {
  return `${holder}\u0000${nodeId}`;
}

function steps(changes: { atMs: number; amountUnits: bigint }[]): Segment[] {
  const out: Segment[] = [];
  for (const c of changes) {
    const last = out[out.length - 1];
    if (last && last.fromMs === c.atMs) {
      last.amountUnits = c.amountUnits;
      continue;
    }
    if (last) last.toMs = c.atMs;
    out.push({ fromMs: c.atMs, toMs: Number.POSITIVE_INFINITY, amountUnits: c.amountUnits });
  }
  return out;
}

export function buildTimeline(
  entries: readonly StakeEntry[],
  nodes: readonly StakingNode[],
  minCollateralUnits: bigint,
): Timeline {
  const knownNodes = new Set(nodes.map((n) => n.id));
  // Group first, then sort each holding's few changes: cheaper than sorting a million entries.
  const byHolding = new Map<string, { holder: string; nodeId: string; entries: StakeEntry[] }>();
  for (const e of entries) {
    if (!knownNodes.has(e.nodeId)) throw new Error(`stake entry ${e.seq}: unknown node ${e.nodeId}`);
    const key = holdingKey(e.holder, e.nodeId);
    const h = byHolding.get(key);
    if (h) h.entries.push(e);
    else byHolding.set(key, { holder: e.holder, nodeId: e.nodeId, entries: [e] });
  }
  const holdings: Timeline['holdings'] = new Map();
  const nodeDeltas = new Map<string, { atMs: number; delta: bigint }[]>();
  for (const [key, h] of byHolding) {
    if (h.entries.length > 1) h.entries.sort((a, b) => a.effectiveAtMs - b.effectiveAtMs || a.seq - b.seq);
    const segments = steps(h.entries.map((e) => ({ atMs: e.effectiveAtMs, amountUnits: e.amountUnits })));
    holdings.set(key, { holder: h.holder, nodeId: h.nodeId, segments });
    let deltas = nodeDeltas.get(h.nodeId);
    if (!deltas) {
      deltas = [];
      nodeDeltas.set(h.nodeId, deltas);
    }
    let previous = 0n;
    for (const s of segments) {
      deltas.push({ atMs: s.fromMs, delta: s.amountUnits - previous });
      previous = s.amountUnits;
    }
  }
  const nodeTimelines: Timeline['nodes'] = new Map();
  for (const [nodeId, deltas] of nodeDeltas) {
    deltas.sort((a, b) => a.atMs - b.atMs);
    let total = 0n;
    const changes: { atMs: number; amountUnits: bigint }[] = [];
    for (const d of deltas) {
      total += d.delta;
      changes.push({ atMs: d.atMs, amountUnits: total });
    }
    nodeTimelines.set(
      nodeId,
      steps(changes).map((s) => ({ ...s, eligible: s.amountUnits >= minCollateralUnits })),
    );
  }
  return { holdings, nodes: nodeTimelines };
}

function overlapS(aFrom: number, aTo: number, bFrom: number, bTo: number): bigint {
  const from = Math.max(aFrom, bFrom);
  const to = Math.min(aTo, bTo);
  return to > from ? BigInt(Math.floor((to - from) / 1000)) : 0n;
}

/** Eligible windows of a node clipped to [fromMs, toMs). */
function eligibleWindows(
  node: (Segment & { eligible: boolean })[] | undefined,
  fromMs: number,
  toMs: number,
): [number, number][] {
  const out: [number, number][] = [];
  for (const s of node ?? []) {
    if (!s.eligible) continue;
    const a = Math.max(s.fromMs, fromMs);
    const b = Math.min(s.toMs, toMs);
    if (b > a) out.push([a, b]);
  }
  return out;
}

/** `withHoldings` false leaves `byHolding` empty (the close does not need it; attribution does). */
export function weightsBetween(
  timeline: Timeline,
  fromMs: number,
  toMs: number,
  withHoldings = true,
): Weights {
  const w: Weights = { byHolder: new Map(), byNode: new Map(), byHolding: new Map(), total: 0n };
  const windowsByNode = new Map<string, [number, number][]>();
  for (const [nodeId, segs] of timeline.nodes) windowsByNode.set(nodeId, eligibleWindows(segs, fromMs, toMs));
  for (const [key, h] of timeline.holdings) {
    const windows = windowsByNode.get(h.nodeId) ?? [];
    let sum = 0n;
    for (const s of h.segments) {
      if (s.amountUnits === 0n || s.toMs <= fromMs || s.fromMs >= toMs) continue;
      for (const [a, b] of windows) sum += s.amountUnits * overlapS(s.fromMs, s.toMs, a, b);
    }
    if (sum === 0n) continue;
    if (withHoldings) w.byHolding.set(key, sum);
    w.byHolder.set(h.holder, (w.byHolder.get(h.holder) ?? 0n) + sum);
    w.byNode.set(h.nodeId, (w.byNode.get(h.nodeId) ?? 0n) + sum);
    w.total += sum;
  }
  return w;
}

/** Whether a node is eligible at an instant (for the register view). */
export function nodeCollateralAt(
  timeline: Timeline,
  nodeId: string,
  atMs: number,
): { units: bigint; eligible: boolean } {
  for (const s of timeline.nodes.get(nodeId) ?? []) {
    if (s.fromMs <= atMs && atMs < s.toMs) return { units: s.amountUnits, eligible: s.eligible };
  }
  return { units: 0n, eligible: false };
}

/**
 * The first instant in [fromMs, toMs) at which a solo node has stake from more than one holder,
 * with those holders, or null. A solo node is one staker's node: two at once is a register error
 * the close refuses rather than splitting.
 */
export function soloNodeConflict(
  timeline: Timeline,
  nodes: readonly StakingNode[],
  fromMs: number,
  toMs: number,
): { nodeId: string; holders: string[]; atMs: number } | null {
  const solo = nodes.filter((n) => n.kind === 'solo').map((n) => n.id);
  for (const nodeId of solo.sort()) {
    // [time, 0 = a holding ends | 1 = one starts, holder]; ends sort first, so back-to-back is fine.
    const events: [number, 0 | 1, string][] = [];
    for (const h of timeline.holdings.values()) {
      if (h.nodeId !== nodeId) continue;
      for (const s of h.segments) {
        const a = Math.max(s.fromMs, fromMs);
        const b = Math.min(s.toMs, toMs);
        if (s.amountUnits > 0n && b > a) events.push([a, 1, h.holder], [b, 0, h.holder]);
      }
    }
    events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    const active = new Map<string, number>();
    for (const [atMs, start, holder] of events) {
      const n = (active.get(holder) ?? 0) + (start ? 1 : -1);
      if (n === 0) active.delete(holder);
      else active.set(holder, n);
      if (start && active.size > 1) return { nodeId, holders: [...active.keys()].sort(), atMs };
    }
  }
  return null;
}

/**
 * The close's weights (issue 15 item 3): what `weightsBetween(buildTimeline(...))` gives for
 * byHolder, byNode and total, from parallel arrays indexed by entry, holder and node ordinal
 * instead of a map and an object per holding; holders come back in string order, the order of the
 * payouts. Entry indices are sorted by (holder, node, time, seq), which groups each holding with
 * its levels in `buildTimeline`'s order; a node's collateral steps come from its holdings' level
 * changes as there. Throws on an entry of an unknown node, naming the first.
 */
export interface CompactWeights {
  /** Holders with eligible stake-time, in UTF-16 code-unit order. */
  holders: string[];
  /** units x seconds of each holder in `holders`. */
  weights: bigint[];
  /** Nodes with eligible stake-time, by id. */
  nodes: { nodeId: string; weight: bigint }[];
  total: bigint;
}

// Long because its passes share a dozen parallel arrays held in locals (entries sorted, holder and
// node ordinals, levels, eligibility steps): split into helpers they would be passed back and forth
// on the close's hottest path (1,000,000 stakers, controller/bench/accounting-close.bench.ts).
export function compactWeights(
  entries: readonly StakeEntry[],
  nodes: readonly StakingNode[],
  minCollateralUnits: bigint,
  fromMs: number,
  toMs: number,
): CompactWeights {
  const nodeOrd = new Map<string, number>();
  const nodeIds: string[] = [];
  for (const n of nodes)
    if (!nodeOrd.has(n.id)) {
      nodeOrd.set(n.id, nodeIds.length);
      nodeIds.push(n.id);
    }
  const count = entries.length;
  const nodeOf = new Int32Array(count);
  const atOf = new Float64Array(count);
  const seqOf = new Float64Array(count);
  const holderAt: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const e = entries[i]!;
    const n = nodeOrd.get(e.nodeId);
    if (n === undefined) throw new Error(`stake entry ${e.seq}: unknown node ${e.nodeId}`);
    holderAt[i] = e.holder;
    nodeOf[i] = n;
    atOf[i] = e.effectiveAtMs;
    seqOf[i] = e.seq;
  }
  // Entries in holder order (UTF-16 code units, as `<` compares), each holder's by (node, time,
  // seq) as `buildTimeline` orders a holding's, then as given; no map keyed by holder.
  // The first six UTF-16 units of each holder as two exact numbers (unit + 1, 0 past the end, 17
  // bits each) order most pairs without comparing strings: with hex holder commitments the sort
  // took 2-3 s of a 1,000,000-staker close comparing strings alone.
  const prefix1 = new Float64Array(count);
  const prefix2 = new Float64Array(count);
  const unit = (h: string, k: number) => (k < h.length ? h.charCodeAt(k) + 1 : 0);
  for (let i = 0; i < count; i++) {
    const h = holderAt[i]!;
    prefix1[i] = unit(h, 0) * 2 ** 34 + unit(h, 1) * 2 ** 17 + unit(h, 2);
    prefix2[i] = unit(h, 3) * 2 ** 34 + unit(h, 4) * 2 ** 17 + unit(h, 5);
  }
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => {
    const p = prefix1[a]! - prefix1[b]! || prefix2[a]! - prefix2[b]!;
    if (p !== 0) return p;
    const ha = holderAt[a]!;
    const hb = holderAt[b]!;
    if (ha !== hb) return ha < hb ? -1 : 1;
    return nodeOf[a]! - nodeOf[b]! || atOf[a]! - atOf[b]! || seqOf[a]! - seqOf[b]! || a - b;
  });
  // Holder ordinals in that order: the payouts' order.
  const holderOf = new Int32Array(count);
  const holderNames: string[] = [];
  for (let k = 0; k < count; k++) {
    const i = order[k]!;
    if (k === 0 || holderAt[i] !== holderAt[order[k - 1]!]) holderNames.push(holderAt[i]!);
    holderOf[i] = holderNames.length - 1;
  }
  const holderCount = holderNames.length;
  /**
   * Calls `step(holding's first position, node, fromMs, toMs, amount)` for each level of each
   * holding in `order`: same-time entries merged (the last one wins), the last level open-ended.
   */
  const eachLevel = (step: (h: number, node: number, from: number, to: number, amount: bigint) => void) => {
    let i = 0;
    while (i < count) {
      const h = holderOf[order[i]!]!;
      const node = nodeOf[order[i]!]!;
      let j = i;
      while (j < count && holderOf[order[j]!] === h && nodeOf[order[j]!] === node) j++;
      // [i, j) is one holding.
      let k = i;
      while (k < j) {
        const at = atOf[order[k]!]!;
        let last = k;
        while (last + 1 < j && atOf[order[last + 1]!] === at) last++;
        const to = last + 1 < j ? atOf[order[last + 1]!]! : Number.POSITIVE_INFINITY;
        step(h, node, at, to, entries[order[last]!]!.amountUnits);
        k = last + 1;
      }
      i = j;
    }
  };
  // Each node's collateral: the holdings' level changes summed in time order.
  const deltaAt: number[][] = nodeIds.map(() => []);
  const delta: bigint[][] = nodeIds.map(() => []);
  let previous = 0n;
  let previousHolding = -1;
  eachLevel((h, node, from, _to, amount) => {
    const holding = h * nodeIds.length + node;
    if (holding !== previousHolding) previous = 0n;
    previousHolding = holding;
    deltaAt[node]!.push(from);
    delta[node]!.push(previous === 0n ? amount : amount - previous);
    previous = amount;
  });
  // Eligible windows of each node within [fromMs, toMs), as flat [from, to, from, to, ...].
  const windows: number[][] = nodeIds.map((_, node) => {
    const at = deltaAt[node]!;
    const d = delta[node]!;
    const idx = Array.from(at.keys());
    let sorted = true;
    for (let k = 1; sorted && k < at.length; k++) sorted = at[k - 1]! <= at[k]!;
    if (!sorted) idx.sort((a, b) => at[a]! - at[b]!);
    const out: number[] = [];
    let total = 0n;
    for (let k = 0; k < idx.length; ) {
      const t = at[idx[k]!]!;
      while (k < idx.length && at[idx[k]!] === t) total += d[idx[k++]!]!;
      const until = k < idx.length ? at[idx[k]!]! : Number.POSITIVE_INFINITY;
      const a = Math.max(t, fromMs);
      const b = Math.min(until, toMs);
      if (total >= minCollateralUnits && b > a) out.push(a, b);
    }
    return out;
  });
  // Weight of each holding: its levels x eligible seconds, summed per holder and per node.
  const byHolder = new Array<bigint>(holderCount).fill(0n);
  const holderHas = new Uint8Array(holderCount);
  const byNode = new Array<bigint>(nodeIds.length).fill(0n);
  const nodeHas = new Uint8Array(nodeIds.length);
  let total = 0n;
  let sum = 0n;
  let holdingH = -1;
  let holdingNode = -1;
  const endHolding = () => {
    if (holdingH < 0 || sum === 0n) return;
    byHolder[holdingH] = holderHas[holdingH] ? byHolder[holdingH]! + sum : sum;
    holderHas[holdingH] = 1;
    byNode[holdingNode] = byNode[holdingNode]! + sum;
    nodeHas[holdingNode] = 1;
    total += sum;
  };
  eachLevel((h, node, from, to, amount) => {
    if (h !== holdingH || node !== holdingNode) {
      endHolding();
      holdingH = h;
      holdingNode = node;
      sum = 0n;
    }
    if (amount === 0n || to <= fromMs || from >= toMs) return;
    const w = windows[node]!;
    let seconds = 0;
    for (let k = 0; k < w.length; k += 2) {
      const a = Math.max(from, w[k]!);
      const b = Math.min(to, w[k + 1]!);
      if (b > a) seconds += Math.floor((b - a) / 1000);
    }
    if (seconds > 0) sum += amount * BigInt(seconds);
  });
  endHolding();
  const holders: string[] = [];
  const weights: bigint[] = [];
  for (let h = 0; h < holderCount; h++)
    if (holderHas[h]) {
      holders.push(holderNames[h]!);
      weights.push(byHolder[h]!);
    }
  const nodeList = nodeIds
    .filter((_, n) => nodeHas[n])
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((nodeId) => ({ nodeId, weight: byNode[nodeOrd.get(nodeId)!]! }));
  return { holders, weights, nodes: nodeList, total };
}
