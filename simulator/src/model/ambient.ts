import type { Site } from '../scenario/schema.js';

const DAY_MS = 86_400_000;

/** Outdoor temperature at a site at `nowMs` (UTC): yearly and daily cosines around the mean. */
export function ambientC(site: Site, nowMs: number): number {
  const a = site.ambient;
  const localMs = nowMs + site.utcOffsetH * 3_600_000;
  const dayOfYear = (localMs / DAY_MS) % 365.25;
  const hour = (((localMs % DAY_MS) + DAY_MS) % DAY_MS) / 3_600_000;
  return (
    a.meanC +
    a.annualAmplitudeC * Math.cos((2 * Math.PI * (dayOfYear - a.warmestDayOfYear)) / 365.25) +
    a.dailyAmplitudeC * Math.cos((2 * Math.PI * (hour - a.warmestHourLocal)) / 24)
  );
}

/** Tariff (USD/kWh) at a site at `nowMs`, by local month and hour. */
export function tariffUsdPerKwh(site: Site, nowMs: number): number {
  const local = new Date(nowMs + site.utcOffsetH * 3_600_000);
  return site.tariffUsdPerKwh[local.getUTCMonth()]![local.getUTCHours()]!;
}
