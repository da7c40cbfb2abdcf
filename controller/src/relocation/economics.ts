import { calendarMonth, daysInMonth } from './calendar.js';
import type { Cooling, PerMonth, PlannerInput, Policies, RouteInput, SiteInput } from './types.js';

/**
 * The value of one miner-month at a site (docs/reference.md §11): revenue is hashprice × delivered hashrate,
 * power cost is watts × hours × tariff, both scaled by the site's availability. The *saving* of a
 * move is therefore proportional to watts, while a model's *viability* at a site (margin > 0)
 * depends on its J/TH against the tariff: the planner sees both through this one figure.
 */
export type MinerEconomics = {
  nominalThs: number;
  efficiencyJth: number;
  condition: number;
  cooling: Cooling;
};

export const perMonth = (v: PerMonth, t: number, what: string): number => {
  if (typeof v === 'number') return v;
  const x = v[t];
  if (x === undefined) throw new Error(`market.${what}: no figure for horizon month ${t}`);
  return x;
};

/**
 * Hashprice of horizon month t, BTC per PH/s per day: the month's own figure, or today's single
 * figure divided by the difficulty grown since (market.difficultyGrowthPctPerMonth, compounded).
 */
export function hashpriceAt(input: PlannerInput, t: number): number {
  const v = input.market.hashpriceBtcPerPhDay;
  if (typeof v !== 'number') return perMonth(v, t, 'hashpriceBtcPerPhDay');
  return v / (1 + (input.market.difficultyGrowthPctPerMonth ?? 0) / 100) ** t;
}

/** Share of hashrate left after the firmware underclocks for heat; liquid cooling does not derate. */
export function derate(cooling: Cooling, ambientC: number, policies: Policies): number {
  if (cooling !== 'air') return 1;
  return Math.max(0, 1 - (policies.deratePctPerC / 100) * Math.max(0, ambientC - policies.derateAboveC));
}

export const powerW = (m: MinerEconomics): number => m.nominalThs * m.efficiencyJth;

/** Margin in USD of running the miner for horizon month t at the site (negative: not viable). */
export function monthlyMarginUsd(input: PlannerInput, m: MinerEconomics, site: SiteInput, t: number): number {
  const cm = calendarMonth(input.start, t);
  const hours = 24 * daysInMonth(input.start, t) * (site.availability[cm] ?? 1);
  const usdPerThHour =
    (hashpriceAt(input, t) / 1000 / 24) * perMonth(input.market.btcPriceUsd, t, 'btcPriceUsd');
  const ths = m.nominalThs * m.condition * derate(m.cooling, site.ambientC[cm] ?? 20, input.policies);
  const revenue = ths * usdPerThHour * hours;
  const power = (powerW(m) / 1000) * hours * (site.tariffUsdPerKwh[cm] ?? 0);
  return revenue - power;
}

/** The route between two sites, in either direction unless the reverse is given too. */
export function findRoute(routes: readonly RouteInput[], from: string, to: string): RouteInput | null {
  return (
    routes.find((r) => r.from === from && r.to === to) ??
    routes.find((r) => r.from === to && r.to === from) ??
    null
  );
}

/** Margin lost while in transit: the days of the arrival month spent on the road. */
export function downtimeUsd(
  input: PlannerInput,
  route: RouteInput,
  marginAtDestination: number,
  t: number,
): number {
  const share = Math.min(1, route.transitDays / daysInMonth(input.start, t));
  return share * Math.max(0, marginAtDestination);
}
