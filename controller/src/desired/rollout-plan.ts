import type { Fix } from './drift.js';

/**
 * Operations that take a miner off the wire for a while (a reboot, a daemon restart to apply a
 * power limit, sleep and wake): they count against a container's power budget, since a whole
 * container restarting at once is a power event on its feed. A pool change does not restart.
 */
export const DISRUPTIVE_OPS: ReadonlySet<string> = new Set([
  'reboot',
  'restart',
  'power.target',
  'power.mode',
  'sleep',
  'wake',
  'firmware.upgrade',
]);

export const isDisruptive = (actions: Pick<Fix, 'op'>[]) => actions.some((a) => DISRUPTIVE_OPS.has(a.op));

/** The canary: 1 % of the miners, at least 5 (or all of them when fewer). */
export const canarySize = (n: number): number => Math.min(n, Math.max(5, Math.ceil(n / 100)));

/**
 * The wave of each of `n` miners (in walking order): wave 0 is the canary, then waves of
 * `waveSize`. Pure.
 */
export function waveOf(i: number, n: number, waveSize: number, canary = canarySize(n)): number {
  if (i < canary) return 0;
  return 1 + Math.floor((i - canary) / Math.max(1, waveSize));
}

export type Candidate = {
  minerId: string;
  containerId: string | null;
  disruptive: boolean;
  siteId?: string | null;
};

/**
 * Which queued items of the current wave may go now: in order, a disruptive one only while its
 * container has fewer than `budget` miners restarting (in flight) or admitted in this call, and,
 * with a `site` budget, its site fewer than that; a non-disruptive one always. Pure; the table
 * test is controller/test/desired-rollout.test.ts.
 */
export function admit(
  queued: Candidate[],
  inFlight: ReadonlyMap<string, number>,
  budget: number,
  site?: { inFlight: ReadonlyMap<string, number>; budget: number },
): string[] {
  const busy = new Map(inFlight);
  const siteBusy = new Map(site?.inFlight ?? []);
  const out: string[] = [];
  for (const c of queued) {
    if (!c.disruptive) {
      out.push(c.minerId);
      continue;
    }
    const key = c.containerId ?? '';
    const n = busy.get(key) ?? 0;
    if (n >= budget) continue;
    const siteKey = c.siteId ?? '';
    const s = siteBusy.get(siteKey) ?? 0;
    if (site && s >= site.budget) continue;
    busy.set(key, n + 1);
    siteBusy.set(siteKey, s + 1);
    out.push(c.minerId);
  }
  return out;
}

/**
 * After a wave finishes: go on, or pause and ask a person when the failed share of the wave's
 * miners is over the threshold. Pure.
 */
export function gate(
  wave: number,
  outcomes: { failed: number; done: number },
  thresholdPct: number,
): { next: true } | { next: false; reason: string } {
  const total = outcomes.failed + outcomes.done;
  if (total === 0) return { next: true };
  const pct = (outcomes.failed / total) * 100;
  if (pct <= thresholdPct) return { next: true };
  return {
    next: false,
    reason: `${wave === 0 ? 'canary' : `wave ${wave}`}: ${outcomes.failed} of ${total} failed (${Math.round(pct)} % > ${thresholdPct} %)`,
  };
}

/**
 * Whether a miner's latest reading shows it healthy after its change: asleep when its desired
 * state wants it asleep, else hashing at 90 % or more of its expected rate (the firmware's own
 * expected figure; without one, hashing is enough). Pure.
 */
export function healthyAfter(
  r: { state: string; hashrateThs: number | null; expectedThs: number | null },
  wantsAsleep: boolean,
): boolean {
  if (wantsAsleep) return r.state === 'sleeping';
  if (r.state !== 'hashing') return false;
  if (r.hashrateThs === null || !r.expectedThs) return true;
  return r.hashrateThs >= 0.9 * r.expectedThs;
}
