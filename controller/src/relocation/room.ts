import type { Classes } from './classes.js';
import type { MoveBatch, PlannedMove, PlannerInput, Retirement } from './types.js';

/**
 * Why a batch whose own gain is negative is in the plan. A move's gain counts only that miner's
 * margin (planner.ts `price`), but the solver maximises the fleet's: it ships a miner out at a loss
 * when its slot is worth more to miners arriving at that site in the same month. Only slots can
 * force that (an idle miner draws no power, so a site short of MW idles it in place). Such a batch
 * gets `makesRoom`: the site's slots that month (its own, less containers moved away, plus those
 * moved in), the miners there with the batch gone, the batches arriving there that month, and the
 * gain of all of them together (the arrivals plus every batch leaving that site at a loss that
 * month). It is checked on the plan itself: a batch whose miners would still fit gets no claim.
 */
export function explainRoom(
  input: PlannerInput,
  groups: Classes,
  moves: readonly PlannedMove[],
  retirements: readonly Retirement[],
  batches: MoveBatch[],
): void {
  const losing = batches.filter((b) => b.gainUsd < 0);
  if (losing.length === 0) return;
  const siteIndex = new Map(input.sites.map((s, i) => [s.id, i]));
  const at = placesByMonth(input, moves, retirements);
  const slots = slotsByMonth(input, groups, moves, siteIndex);
  for (const b of losing) {
    const s = siteIndex.get(b.fromSite)!;
    const arriving = batches.filter((a) => a.toSite === b.fromSite && a.month === b.month);
    if (arriving.length === 0) continue;
    const present = at[b.month]!.get(s) ?? 0;
    const slotCap = slots[b.month]![s]!;
    if (present + b.minerIds.length <= slotCap) continue;
    const together = [
      ...arriving,
      ...batches.filter((o) => o.fromSite === b.fromSite && o.month === b.month && o.gainUsd < 0),
    ];
    const gainUsd = Math.round(together.reduce((g, o) => g + o.gainUsd, 0) * 100) / 100;
    const arrivingMiners = arriving.reduce((n, a) => n + a.minerIds.length, 0);
    b.makesRoom = {
      siteSlots: slotCap,
      minersThere: present,
      forBatchIds: arriving.map((a) => a.id),
      arrivingMiners,
      togetherGainUsd: gainUsd,
    };
    b.reason +=
      `; a loss on its own, it frees slots at ${b.fromSite} (${slotCap} slots, ${present} miners there that ` +
      `month after it leaves) for ${arrivingMiners} miners arriving there the same month, which together ` +
      `with it gain ${gainUsd.toFixed(2)} USD`;
  }
}

/** Miners at each site in each horizon month, per the plan (a miner counts at its destination from its move's month on). */
function placesByMonth(
  input: PlannerInput,
  moves: readonly PlannedMove[],
  retirements: readonly Retirement[],
): Map<number, number>[] {
  const siteIndex = new Map(input.sites.map((s, i) => [s.id, i]));
  const byMiner = new Map<string, PlannedMove[]>();
  for (const mv of moves) byMiner.set(mv.minerId, [...(byMiner.get(mv.minerId) ?? []), mv]);
  const retiredAt = new Map(retirements.map((r) => [r.minerId, r.month]));
  const out = Array.from({ length: input.horizonMonths }, () => new Map<number, number>());
  for (const m of input.miners) {
    const list = byMiner.get(m.id) ?? [];
    let site = siteIndex.get(m.siteId)!;
    let next = 0;
    const until = retiredAt.get(m.id) ?? input.horizonMonths;
    for (let t = 0; t < until; t++) {
      while (next < list.length && list[next]!.month <= t) site = siteIndex.get(list[next++]!.toSite)!;
      out[t]!.set(site, (out[t]!.get(site) ?? 0) + 1);
    }
  }
  return out;
}

/** Slots at each site in each month: the site's own, less containers moved away, plus those moved in. */
function slotsByMonth(
  input: PlannerInput,
  groups: Classes,
  moves: readonly PlannedMove[],
  siteIndex: ReadonlyMap<string, number>,
): number[][] {
  const out = Array.from({ length: input.horizonMonths }, () => input.sites.map((s) => s.slots));
  const boxes = new Map(groups.containers.map((c) => [c.id, c]));
  const moved = new Map<string, PlannedMove>();
  for (const mv of moves) if (mv.mode === 'container' && mv.fromContainer) moved.set(mv.fromContainer, mv);
  for (const [id, mv] of moved) {
    const c = boxes.get(id);
    if (!c) continue;
    for (let t = mv.month; t < input.horizonMonths; t++) {
      out[t]![c.homeSite]! -= c.slots;
      out[t]![siteIndex.get(mv.toSite)!]! += c.slots;
    }
  }
  return out;
}
