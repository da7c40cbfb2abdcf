import type { Db } from '@hashfleet/controller';
import { RuleInputSchema, ruleFromInput } from '@hashfleet/controller/alerts/rules';
import { addWorkerPattern, insertRule } from '@hashfleet/controller/alerts/store';
import {
  ensureSlots,
  slotGrid,
  upsertContainer,
  upsertSite,
} from '@hashfleet/controller/fleet/inventory/index';
import { findModel } from '@hashfleet/firmware-profiles';
import type { Container, Scenario, Site } from '@hashfleet/simulator/scenario/schema';
import { agentIdOf } from './agents.js';

/**
 * The site's IANA zone as the scenario names it (Asia/Shanghai), else one for its whole-hour UTC
 * offset (the Etc zones count the other way round).
 */
export function timezoneOf(site: Site): string {
  if (site.timezone) return site.timezone;
  const h = site.utcOffsetH;
  if (!Number.isInteger(h)) throw new Error(`site ${site.id}: utcOffsetH ${h} is not a whole hour`);
  return h === 0 ? 'UTC' : `Etc/GMT${h > 0 ? '-' : '+'}${Math.abs(h)}`;
}

/**
 * The container's slots: the controller's R01../01.. grid when the scenario names its slots that
 * way (so empty slots show too), else exactly the slots the scenario's miners sit in.
 */
export function slotsOf(container: Container, scenario: Scenario): { rack: string; slot: string }[] {
  const used = scenario.miners
    .filter((m) => m.containerId === container.id)
    .map((m) => ({ rack: m.rack, slot: m.slot }));
  const grid = slotGrid(container.racks, container.slotsPerRack);
  const names = new Set(grid.map((g) => `${g.rack}/${g.slot}`));
  return used.every((u) => names.has(`${u.rack}/${u.slot}`)) ? grid : used;
}

/**
 * The inventory an operator enters before the agents first report: sites with tariffs, containers
 * with their agent, the rack/slot grid. The miners themselves come from the asset import
 * (`assetCsv`), so a unit that never answers still sits in its slot. Idempotent.
 */
export async function seedInventory(db: Db, scenario: Scenario, now = Date.now()): Promise<void> {
  for (const site of scenario.sites) {
    await upsertSite(
      db,
      {
        id: site.id,
        name: site.name,
        timezone: timezoneOf(site),
        capacityMw: site.capacityMw,
        capacitySlots: scenario.containers
          .filter((c) => c.siteId === site.id)
          .reduce((n, c) => n + c.racks * c.slotsPerRack, 0),
        tariff: { currency: 'USD', perKwh: site.tariffUsdPerKwh },
      },
      now,
    );
  }
  for (const c of scenario.containers) {
    await upsertContainer(db, { id: c.id, siteId: c.siteId, name: c.name, agentId: agentIdOf(c.id) }, now);
    await ensureSlots(db, c.id, slotsOf(c, scenario));
  }
}

/**
 * The demo's containers feed each miner from a 20 A C19 outlet (UL rating; mining PDUs fuse
 * C19s at 20 A): the global default of 16 A (IEC) would call a 3.5 kW miner at 225 V overloaded.
 * A site-scoped rule, as an operator would set it; and each site's hijack guard. Idempotent.
 */
export async function seedAlertRules(db: Db, scenario: Scenario, now = Date.now()): Promise<void> {
  for (const site of scenario.sites) {
    const input = RuleInputSchema.parse({
      kind: 'outlet_overload',
      scope: 'site',
      scopeId: site.id,
      threshold: 20,
      clearThreshold: 19,
    });
    await insertRule(db, ruleFromInput(`demo:outlet_overload:${site.id}`, input, 'demo', now), now);
    await seedHijackGuard(db, scenario, site.id, now);
  }
}

/**
 * The hijack guard filled in, as an operator sets it before the first poll (issue 17 item 5):
 * the site's allowed pools are the fleet's pool and its backup, and its workers are the pool
 * account's (`hashshare.*`), so the seeded hijack (a miner mining to btc.unknown-pool.example as
 * someone.else) raises pool_not_allowed and worker_changed from its first sample.
 */
async function seedHijackGuard(db: Db, scenario: Scenario, siteId: string, now: number): Promise<void> {
  const input = RuleInputSchema.parse({
    kind: 'pool_not_allowed',
    scope: 'site',
    scopeId: siteId,
    params: { allowedPools: [scenario.pool.url, scenario.pool.backupUrl] },
  });
  await insertRule(db, ruleFromInput(`demo:pool_not_allowed:${siteId}`, input, 'demo', now), now);
  await addWorkerPattern(db, {
    siteId,
    pattern: `${scenario.pool.account}.*`,
    createdAt: now,
    createdBy: 'demo',
  });
}

const csvField = (v: string | null | undefined) =>
  v == null ? '' : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;

/**
 * The asset register an operator imports before the agents report (issue 19 item 1): each
 * miner's serial, model, slot and the address the site's IP plan gives it, so the dead, hung,
 * slow and garbage units are expected in their slots from the start. `scenario` is the one
 * running (its addresses are the simulation's). Purchases are spread over the 12 months before
 * `asOf` and each warranty runs the model table's months from purchase (Bitmain and Canaan 6,
 * MicroBT 12), so some units are still under warranty and some are not (issue 18 item 6).
 */
export function assetCsv(scenario: Scenario, asOf = Date.now()): string {
  const siteOf = new Map(scenario.containers.map((c) => [c.id, c.siteId]));
  const header = 'serial,model,site,container,rack,slot,ip,status,purchase_date,warranty_end';
  const rows = scenario.miners.map((m, i) => {
    const { purchase, warrantyEnd } = purchaseOf(m.model, i, asOf);
    return [m.serial, m.model, siteOf.get(m.containerId), m.containerId, m.rack, m.slot, m.ip, 'in_service']
      .concat([purchase, warrantyEnd])
      .map(csvField)
      .join(',');
  });
  return `${[header, ...rows].join('\n')}\n`;
}

const DAY_MS = 86_400_000;

/** The i-th unit's purchase date, 0..364 days before `asOf` (stride 37 is coprime with 365, so the days spread over the year). */
export function purchaseOf(
  model: string,
  i: number,
  asOf: number,
): { purchase: string; warrantyEnd: string } {
  const bought = new Date(Math.floor(asOf / DAY_MS - ((i * 37) % 365)) * DAY_MS);
  const end = new Date(bought);
  end.setUTCMonth(end.getUTCMonth() + (findModel(model)?.warrantyMonths ?? 6));
  end.setUTCDate(end.getUTCDate() - 1);
  return { purchase: isoDay(bought), warrantyEnd: isoDay(end) };
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * What the demo's operator keeps with each site for planning (PUT /relocation/sites/:id): the
 * vendor's repair centre is near the Sichuan site (Ya'an), so units under warranty stay there (the
 * planner's `keep-near-repair`). No monthly temperatures: no cited climate normal for Ya'an,
 * Pavlodar or Oskemen was found (docs/reference.md §11), so plans say they assumed 20 °C. No
 * planning tariff: the billing tariffs seeded above are already seasonal.
 *
 * Salvage: ASSUMPTION, not a quoted price. An Antminer S9 (about 98 J/TH) loses money on either
 * site's power at the demo's hashprice, so it is worth what it fetches sold as a used unit or for
 * scrap; 30 USD a unit is an assumed figure for that, the same at both sites. No other model of
 * the demo is given one, so the planner retires nothing else.
 */
export const DEMO_S9_SALVAGE_USD = 30;
export const DEMO_RELOCATION_SITES = {
  sichuan: { repairCentre: true, salvageUsd: { 'Antminer S9': DEMO_S9_SALVAGE_USD } },
  kazakhstan: { repairCentre: false, salvageUsd: { 'Antminer S9': DEMO_S9_SALVAGE_USD } },
} as const;

/** Stores DEMO_RELOCATION_SITES through the API, as an operator would. */
export async function setRelocationSites(controllerUrl: string, token: string): Promise<void> {
  for (const [siteId, facts] of Object.entries(DEMO_RELOCATION_SITES)) {
    const res = await fetch(`${controllerUrl}/api/v1/relocation/sites/${siteId}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(facts),
    });
    if (!res.ok) throw new Error(`relocation site ${siteId}: ${res.status} ${await res.text()}`);
  }
}

/** Imports `assetCsv` through the API, as an operator would (POST /inventory/miners.csv). */
export async function importAssets(
  controllerUrl: string,
  token: string,
  scenario: Scenario,
  asOf = Date.now(),
): Promise<void> {
  const res = await fetch(`${controllerUrl}/api/v1/inventory/miners.csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: assetCsv(scenario, asOf),
  });
  if (!res.ok) throw new Error(`asset import: ${res.status} ${await res.text()}`);
}
