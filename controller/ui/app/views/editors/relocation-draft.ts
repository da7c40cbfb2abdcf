import { k } from '../../i18n.js';
import { type FieldErrors, num, numberIn } from './rules.js';

/** The relocation proposal form's draft, its rules and its request body (pure; tested in controller/test/ui-editors.test.ts). */
export interface RouteRow {
  from: string;
  to: string;
  transitDays: string;
  costPerMinerUsd: string;
  costPerContainerUsd: string;
  customsPerMinerUsd: string;
}

export interface SiteRow {
  id: string;
  name: string;
  repairSite: boolean;
  ambientC: string;
  availabilityPct: string;
}

export interface Draft {
  name: string;
  start: string;
  horizonMonths: string;
  btcPriceUsd: string;
  hashpriceBtcPerPhDay: string;
  /** Network difficulty growth, % per month (the planner lowers today's hashprice by it month by month). */
  difficultyGrowthPct?: string;
  routes: RouteRow[];
  sites: SiteRow[];
}

/** Next month (UTC) as `YYYY-MM`: a plan starts where nothing has been decided yet. */
export const nextMonth = (now = new Date()) => {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return d.toISOString().slice(0, 7);
};

export const route = (from: string, to: string): RouteRow => ({
  from,
  to,
  transitDays: '10',
  costPerMinerUsd: '20',
  costPerContainerUsd: '4000',
  customsPerMinerUsd: '15',
});

/**
 * A site's row, from its stored planning facts (GET /relocation/sites): the repair-centre flag as
 * stored, and the ambient blank, so the plan takes the stored monthly temperatures; a figure typed
 * here stands for every month of this plan only.
 */
export const siteRow = (s: { id: string; name?: string }, stored?: { repairCentre: boolean }): SiteRow => ({
  id: s.id,
  name: s.name ?? s.id,
  repairSite: stored?.repairCentre ?? false,
  ambientC: '',
  availabilityPct: '100',
});

/** Every field's error (a catalogue key with its values), by the field's name. Pure. */
export function validateDraft(d: Draft): FieldErrors {
  const e: FieldErrors = {};
  if (!d.name.trim()) e['name'] = { key: k('form.required') };
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(d.start)) e['start'] = { key: k('form.month') };
  numberIn(e, 'horizonMonths', d.horizonMonths, 1, 36, true);
  numberIn(e, 'btcPriceUsd', d.btcPriceUsd, 1, 10_000_000);
  numberIn(e, 'hashpriceBtcPerPhDay', d.hashpriceBtcPerPhDay, 0.000001, 1);
  if (d.difficultyGrowthPct !== undefined)
    numberIn(e, 'difficultyGrowthPct', d.difficultyGrowthPct, -50, 100);
  d.routes.forEach((r, i) => {
    if (r.from === r.to) e[`routes.${i}.to`] = { key: k('form.sameSite') };
    numberIn(e, `routes.${i}.transitDays`, r.transitDays, 0, 365, true);
    numberIn(e, `routes.${i}.costPerMinerUsd`, r.costPerMinerUsd, 0, 100_000);
    numberIn(e, `routes.${i}.costPerContainerUsd`, r.costPerContainerUsd, 0, 10_000_000);
    numberIn(e, `routes.${i}.customsPerMinerUsd`, r.customsPerMinerUsd, 0, 100_000);
  });
  d.sites.forEach((s, i) => {
    if (s.ambientC.trim() !== '') numberIn(e, `sites.${i}.ambientC`, s.ambientC, -60, 60);
    numberIn(e, `sites.${i}.availabilityPct`, s.availabilityPct, 0, 100);
  });
  return e;
}

/** The request body of a valid draft. */
export function assumptionsOf(d: Draft) {
  const twelve = (v: number) => Array.from({ length: 12 }, () => v);
  return {
    name: d.name.trim(),
    assumptions: {
      start: d.start,
      horizonMonths: num(d.horizonMonths),
      market: {
        btcPriceUsd: num(d.btcPriceUsd),
        hashpriceBtcPerPhDay: num(d.hashpriceBtcPerPhDay),
        ...(d.difficultyGrowthPct === undefined
          ? {}
          : { difficultyGrowthPctPerMonth: num(d.difficultyGrowthPct) }),
      },
      routes: d.routes.map((r) => ({
        from: r.from,
        to: r.to,
        transitDays: num(r.transitDays),
        costPerMinerUsd: num(r.costPerMinerUsd),
        costPerContainerUsd: num(r.costPerContainerUsd),
        customsPerMinerUsd: num(r.customsPerMinerUsd),
      })),
      sites: Object.fromEntries(
        d.sites.map((s) => [
          s.id,
          {
            repairSite: s.repairSite,
            ...(s.ambientC.trim() === '' ? {} : { ambientC: twelve(num(s.ambientC)) }),
            availability: twelve(num(s.availabilityPct) / 100),
          },
        ]),
      ),
    },
  };
}
