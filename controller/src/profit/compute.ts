import {
  expectedSats,
  milliMicroToSats,
  type NetworkStats,
  rateMicro,
  type Tariff,
  tariffRateAt,
} from '../energy/index.js';

/**
 * Profit per day of one miner from its latest reading (issue 19 item 8): revenue is what the
 * accounting's expected revenue gives for a day of its hashrate at the newest network entry
 * (energy/expected-revenue.ts `expectedSats`: diff1 shares / D x (subsidy + fees)); energy is its
 * power x 24 h at the site's tariff rate now, converted to sats at the newest BTC price in the
 * tariff's currency, rounded up as a close converts energy (energy/fiat.ts `milliMicroToSats`).
 * A missing input is named instead of a number.
 */
export type Missing = 'reading' | 'hashrate' | 'power' | 'network' | 'tariff' | 'btcPrice';

export type MinerInput = {
  /** Null when the miner has no fresh reading (never seen, or not answering). */
  hashrateThs: number | null;
  powerW: number | null;
  fresh: boolean;
};

export type SitePricing = { tariff: Tariff; timeZone: string; priceMicro: bigint | null } | null;

export type MinerFigures = {
  revenueSats: bigint | null;
  energySats: bigint | null;
  profitSats: bigint | null;
  /** The tariff's rate now, currency per kWh, when the site has a tariff. */
  ratePerKwh: number | null;
  missing: Missing[];
};

const SECONDS_PER_DAY = 86_400;

/** Difficulty-1 shares a day at a hashrate: each stands for 2^32 hashes. */
export function diff1SharesPerDay(hashrateThs: number): number {
  return (hashrateThs * 1e12 * SECONDS_PER_DAY) / 2 ** 32;
}

export function minerFigures(
  m: MinerInput,
  network: NetworkStats | null,
  site: SitePricing,
  now: number,
): MinerFigures {
  const missing: Missing[] = [];
  if (!m.fresh) missing.push('reading');
  else {
    if (m.hashrateThs === null) missing.push('hashrate');
    if (m.powerW === null) missing.push('power');
  }
  if (!network) missing.push('network');
  if (!site) missing.push('tariff');
  else if (site.priceMicro === null) missing.push('btcPrice');
  const ratePerKwh = site ? tariffRateAt(site.tariff, now, site.timeZone) : null;
  const revenueSats =
    m.fresh && m.hashrateThs !== null && network
      ? expectedSats(diff1SharesPerDay(Math.max(0, m.hashrateThs)), network)
      : null;
  // Wh x micro-units per kWh = milli-micro-units, the unit a close's energy lines sum in.
  const energySats =
    m.fresh && m.powerW !== null && site && site.priceMicro !== null && ratePerKwh !== null
      ? milliMicroToSats(
          BigInt(Math.round(Math.max(0, m.powerW) * 24)) * rateMicro(ratePerKwh),
          site.priceMicro,
        )
      : null;
  const profitSats = revenueSats !== null && energySats !== null ? revenueSats - energySats : null;
  return { revenueSats, energySats, profitSats, ratePerKwh, missing };
}

/** Totals of a group (container or site): figures of the miners with every input, and how many lack one. */
export type Totals = {
  miners: number;
  incomplete: number;
  losing: number;
  revenueSats: bigint;
  energySats: bigint;
  profitSats: bigint;
};

export function total(figures: readonly MinerFigures[]): Totals {
  const t: Totals = {
    miners: figures.length,
    incomplete: 0,
    losing: 0,
    revenueSats: 0n,
    energySats: 0n,
    profitSats: 0n,
  };
  for (const f of figures) {
    if (f.profitSats === null) {
      t.incomplete += 1;
      continue;
    }
    t.revenueSats += f.revenueSats!;
    t.energySats += f.energySats!;
    t.profitSats += f.profitSats;
    if (f.profitSats < 0n) t.losing += 1;
  }
  return t;
}
