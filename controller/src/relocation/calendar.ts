/** Month arithmetic for the planning horizon (UTC, months as `YYYY-MM`). */

// The planner asks for the same start month for every miner-month it prices (hundreds of
// thousands of times on the 100,000-miner bench): the last one parsed is kept.
let last: { ym: string; year: number; month0: number } | null = null;

export function parseMonth(ym: string): { year: number; month0: number } {
  if (last?.ym === ym) return last;
  const m = /^(\d{4})-(\d{2})$/.exec(ym);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new Error(`start: "${ym}" is not a YYYY-MM month`);
  last = { ym, year: Number(m[1]), month0: Number(m[2]) - 1 };
  return last;
}

/** Calendar month (0 = January) of horizon month t. */
export function calendarMonth(start: string, t: number): number {
  return (parseMonth(start).month0 + t) % 12;
}

export function monthStartMs(start: string, t: number): number {
  const { year, month0 } = parseMonth(start);
  return Date.UTC(year, month0 + t, 1);
}

export function daysInMonth(start: string, t: number): number {
  return Math.round((monthStartMs(start, t + 1) - monthStartMs(start, t)) / 86_400_000);
}

export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Horizon months (0-based) whose first day is on or before the warranty's last day. */
export function warrantyMonths(start: string, horizonMonths: number, warrantyEnd: string | null): number {
  if (warrantyEnd === null) return 0;
  const end = Date.parse(warrantyEnd);
  if (Number.isNaN(end)) return 0;
  let t = 0;
  while (t < horizonMonths && monthStartMs(start, t) <= end) t++;
  return t;
}
