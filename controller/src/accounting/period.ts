import type { Period } from './types.js';

/**
 * Period ids. A period is [start, end) in UTC, aligned to its length; the length divides a day.
 * Daily periods (the default) are `2026-11-23`; shorter ones carry their length:
 * `2026-11-23T06:00Z_PT6H`. The id alone names the bounds, so nothing else is needed to read it.
 */
export const DAY_S = 86_400;
const ALLOWED_S = [3600, 7200, 10_800, 14_400, 21_600, 28_800, 43_200, DAY_S];

export function checkPeriodSeconds(s: number): void {
  if (!ALLOWED_S.includes(s)) {
    throw new Error(
      `period length ${s} s: must be one of ${ALLOWED_S.join(', ')} (a whole number of hours dividing a day)`,
    );
  }
}

export function periodContaining(ms: number, periodS = DAY_S): Period {
  checkPeriodSeconds(periodS);
  const len = periodS * 1000;
  const startMs = Math.floor(ms / len) * len;
  return { id: periodId(startMs, periodS), startMs, endMs: startMs + len };
}

function periodId(startMs: number, periodS: number): string {
  const iso = new Date(startMs).toISOString();
  if (periodS === DAY_S) return iso.slice(0, 10);
  return `${iso.slice(0, 16)}Z_PT${periodS / 3600}H`;
}

const DAILY = /^(\d{4})-(\d{2})-(\d{2})$/;
const SHORT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})Z_PT(\d{1,2})H$/;

/** Parses a period id; throws naming the id when it is not one. */
export function parsePeriodId(id: string): Period {
  let startMs: number;
  let periodS: number;
  const d = DAILY.exec(id);
  const s = SHORT.exec(id);
  if (d) {
    startMs = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]));
    periodS = DAY_S;
  } else if (s) {
    startMs = Date.UTC(Number(s[1]), Number(s[2]) - 1, Number(s[3]), Number(s[4]), Number(s[5]));
    periodS = Number(s[6]) * 3600;
  } else {
    throw new Error(`period ${id}: not a period id (expected YYYY-MM-DD or YYYY-MM-DDTHH:MMZ_PT<n>H)`);
  }
  if (!ALLOWED_S.includes(periodS))
    throw new Error(`period ${id}: length ${periodS / 3600} h does not divide a day`);
  const p = periodContaining(startMs, periodS);
  if (p.id !== id) throw new Error(`period ${id}: not aligned (did you mean ${p.id}?)`);
  return p;
}
