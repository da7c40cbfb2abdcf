import { type Tariff, tariffRateAt } from '../../energy/index.js';
import type { Window } from '../profiles/schema.js';
import type { Trigger } from './schema.js';

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Minute of the day (0..1439) of an instant in a time zone. */
export function localMinute(ms: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  let hour = 0;
  let minute = 0;
  for (const p of f.formatToParts(new Date(ms))) {
    if (p.type === 'hour') hour = Number(p.value);
    if (p.type === 'minute') minute = Number(p.value);
  }
  return hour * 60 + minute;
}

/** Whether a site-local minute of the day falls in a window; `to` before `from` wraps past midnight. */
export function inWindow(minute: number, w: Window): boolean {
  const from = minutes(w.from);
  const to = minutes(w.to);
  if (from === to) return false;
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

/** Whether the schedule wants its miners curtailed at `now` (site-local time, site tariff). */
export function curtailWanted(
  trigger: Trigger,
  now: number,
  timeZone: string,
  tariff: Tariff | null,
): boolean {
  if (trigger.kind === 'windows') {
    const m = localMinute(now, timeZone);
    return trigger.windows.some((w) => inWindow(m, w));
  }
  // No tariff configured: nothing to compare with, so never curtail on price.
  return tariff !== null && tariffRateAt(tariff, now, timeZone) > trigger.abovePerKwh;
}

export type MinerCurtailState = { minerId: string; curtailed: boolean };

/**
 * One step of the ramp: up to `stepSize` miners change, and only once `stepEveryMs` has passed
 * since the previous step. Curtailing goes in selection order; restoring goes in the same order,
 * so the first miners put to sleep are the first woken.
 */
export function planStep(input: {
  want: boolean;
  miners: MinerCurtailState[];
  stepSize: number;
  stepEveryMs: number;
  lastStepAt: number | null;
  now: number;
}): { curtail: string[]; restore: string[] } {
  const none = { curtail: [], restore: [] };
  if (input.lastStepAt !== null && input.now - input.lastStepAt < input.stepEveryMs) return none;
  const pending = input.miners.filter((m) => m.curtailed !== input.want).slice(0, input.stepSize);
  const ids = pending.map((m) => m.minerId);
  return input.want ? { curtail: ids, restore: [] } : { curtail: [], restore: ids };
}
