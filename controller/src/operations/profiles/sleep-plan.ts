import type { Window } from './schema.js';

/** A curtailment schedule made from a profile's sleep windows: one per profile and site. */
export type ProfileSchedule = { id: string; siteId: string; minerIds: string[]; windows: Window[] };

export type SleepPlan = {
  create: { siteId: string; minerIds: string[]; windows: Window[] }[];
  /** New miner set and windows for an existing schedule. */
  update: { id: string; minerIds: string[]; windows: Window[] }[];
  /** Schedules left without miners. */
  remove: string[];
  /** Schedules whose miners and windows already match: only relinked to the application. */
  unchanged: string[];
};

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
const sameWindows = (a: Window[], b: Window[]) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The profile's schedules after it is applied to `applied` miners (refused ones excluded by the
 * caller). With windows, each applied miner joins its site's schedule (created if missing); without
 * windows (the profile lost them), the applied miners leave the profile's schedules. Re-applying
 * the same profile to the same miners changes nothing. Pure.
 */
export function planSleepApply(
  windows: Window[],
  applied: { minerId: string; siteId: string }[],
  existing: ProfileSchedule[],
): SleepPlan {
  if (windows.length === 0)
    return planSleepRemoval(
      applied.map((a) => a.minerId),
      existing,
    );
  const plan: SleepPlan = { create: [], update: [], remove: [], unchanged: [] };
  const bySite = new Map<string, string[]>();
  for (const a of applied) bySite.set(a.siteId, [...(bySite.get(a.siteId) ?? []), a.minerId]);
  for (const [siteId, minerIds] of bySite) {
    const current = existing.find((s) => s.siteId === siteId);
    if (!current) {
      plan.create.push({ siteId, minerIds, windows });
      continue;
    }
    const union = [...current.minerIds, ...minerIds.filter((m) => !current.minerIds.includes(m))];
    if (sameSet(union, current.minerIds) && sameWindows(current.windows, windows))
      plan.unchanged.push(current.id);
    else plan.update.push({ id: current.id, minerIds: union, windows });
  }
  return plan;
}

/** The profile's schedules once `minerIds` leave them (a rollback, or windows removed). Pure. */
export function planSleepRemoval(minerIds: string[], existing: ProfileSchedule[]): SleepPlan {
  const plan: SleepPlan = { create: [], update: [], remove: [], unchanged: [] };
  for (const s of existing) {
    const left = s.minerIds.filter((m) => !minerIds.includes(m));
    if (left.length === s.minerIds.length) continue;
    if (left.length === 0) plan.remove.push(s.id);
    else plan.update.push({ id: s.id, minerIds: left, windows: s.windows });
  }
  return plan;
}
