import { findModel } from '@hashfleet/firmware-profiles';
import type { Db } from '../core/storage/db.js';
import { type Tariff, TariffSchema } from '../fleet/index.js';
import { parsePlannerInput } from './schema.js';
import { RelocationError } from './service.js';
import { listSiteFacts } from './site-facts.js';
import type { PlannerInput } from './types.js';

/**
 * The planner's input from inventory: miners in service or asleep, with their model figures from
 * the model table and their condition from the latest sample (reported / expected hashrate);
 * sites with slots counted in their containers, the monthly mean of their tariff, and the facts
 * kept with each site for planning (site-facts.ts: repair centre, monthly mean temperatures and a
 * planning tariff with their sources, salvage values by model). What inventory does not know (market, routes, rationing) comes as assumptions in
 * the request, whose `sites` override the stored facts for that plan. A site planned without
 * monthly temperatures is named in `assumed` (the schema's 20 °C all year stands in).
 */
export type Assumptions = {
  start: string;
  horizonMonths?: number;
  market: unknown;
  routes?: unknown;
  policies?: unknown;
  /** Per-site figures inventory does not hold; `tariffUsdPerKwh` overrides the stored tariff. */
  sites?: Record<string, Record<string, unknown>>;
};

type MinerRow = {
  id: string;
  serial: string | null;
  model: string | null;
  site_id: string;
  container_id: string;
  slot_id: string | null;
  warranty_end: string | null;
  hashrate_ths: number | null;
  expected_ths: number | null;
};

export async function inputFromInventory(
  db: Db,
  a: Assumptions,
): Promise<{ input: PlannerInput; skipped: string[]; assumed: string[] }> {
  const rows = await db.all<MinerRow>(
    `SELECT m.id, m.serial, m.model, m.site_id, m.container_id, m.slot_id, m.warranty_end, l.hashrate_ths, l.expected_ths
     FROM miners m LEFT JOIN miner_latest l ON l.miner_id = m.id
     WHERE m.status IN ('in_service', 'sleeping') AND m.site_id IS NOT NULL AND m.container_id IS NOT NULL
     ORDER BY m.id`,
  );
  const skipped: string[] = [];
  const miners = [];
  for (const r of rows) {
    const model = findModel(r.model);
    if (model?.algorithm !== 'sha256') {
      skipped.push(`miner ${r.id}: model ${r.model ?? 'unknown'} is not in the SHA-256 model table`);
      continue;
    }
    const expected = Number(r.expected_ths ?? 0) || model.nominalThs;
    const condition =
      r.hashrate_ths === null ? 1 : Math.min(1.2, Math.max(0, Number(r.hashrate_ths) / expected));
    miners.push({
      id: r.id,
      serial: r.serial,
      model: model.model,
      nominalThs: model.nominalThs,
      efficiencyJth: model.nominalW / model.nominalThs,
      condition,
      cooling: model.cooling,
      warrantyEnd: r.warranty_end,
      siteId: r.site_id,
      containerId: r.container_id,
      slot: r.slot_id,
    });
  }
  const sites = await db.all<{
    id: string;
    capacity_mw: number | null;
    capacity_slots: number | null;
    tariff_json: string;
    slots: number;
  }>(
    `SELECT s.id, s.capacity_mw, s.capacity_slots, s.tariff_json,
       (SELECT COUNT(*) FROM slots x JOIN containers c ON c.id = x.container_id WHERE c.site_id = s.id) AS slots
     FROM sites s ORDER BY s.id`,
  );
  const containers = await db.all<{ id: string; site_id: string; slots: number }>(
    `SELECT c.id, c.site_id, (SELECT COUNT(*) FROM slots x WHERE x.container_id = c.id) AS slots FROM containers c ORDER BY c.id`,
  );
  const facts = new Map((await listSiteFacts(db)).map((f) => [f.siteId, f]));
  const stored = (id: string) => {
    const f = facts.get(id);
    if (!f) return {};
    return {
      repairSite: f.repairCentre,
      salvageUsd: f.salvageUsd,
      ...(f.ambientC ? { ambientC: f.ambientC } : {}),
      ...(f.tariffUsdPerKwh ? { tariffUsdPerKwh: f.tariffUsdPerKwh } : {}),
    };
  };
  const billing = (s: { id: string; tariff_json: string }) => {
    const t = TariffSchema.parse(JSON.parse(s.tariff_json));
    const given = facts.get(s.id)?.tariffUsdPerKwh ?? a.sites?.[s.id]?.tariffUsdPerKwh;
    // The planner counts in USD: a tariff in another currency needs its USD planning figures.
    if (t.currency !== 'USD' && given === undefined)
      throw new RelocationError(
        `relocation input: site ${s.id}: its tariff is in ${t.currency}; give its planning tariff in USD (PUT /relocation/sites/${s.id} tariffUsdPerKwh, or assumptions.sites.${s.id}.tariffUsdPerKwh)`,
      );
    return monthlyMeans(t);
  };
  const input = parsePlannerInput({
    start: a.start,
    horizonMonths: a.horizonMonths,
    market: a.market,
    routes: a.routes,
    policies: a.policies,
    miners,
    containers: containers.map((c) => ({ id: c.id, siteId: c.site_id, slots: Number(c.slots) })),
    sites: sites.map((s) => ({
      id: s.id,
      tariffUsdPerKwh: billing(s),
      slots: Math.max(Number(s.capacity_slots ?? 0), Number(s.slots)),
      mw: s.capacity_mw === null ? 1000 : Number(s.capacity_mw),
      ...stored(s.id),
      ...(a.sites?.[s.id] ?? {}),
    })),
  });
  const assumed = sites
    .filter((s) => !facts.get(s.id)?.ambientC && a.sites?.[s.id]?.ambientC === undefined)
    .map(
      (s) =>
        `site ${s.id}: no monthly mean temperatures (PUT /relocation/sites/${s.id} with their source); 20 °C assumed all year`,
    );
  return { input, skipped, assumed };
}

const monthlyMeans = (t: Tariff): number[] =>
  t.perKwh.map((hours) => hours.reduce((x, y) => x + y, 0) / hours.length);
