import type { Db } from '@hashfleet/controller';
import { RuleInputSchema, ruleFromInput } from '@hashfleet/controller/alerts/rules';
import { insertRule } from '@hashfleet/controller/alerts/store';
import {
  ensureSlots,
  slotGrid,
  upsertContainer,
  upsertSite,
} from '@hashfleet/controller/fleet/inventory/index';
import type { Container, Scenario, Site } from '@hashfleet/simulator/scenario/schema';
import { agentIdOf } from './agents.js';

/** IANA zone for a whole-hour UTC offset (the Etc zones count the other way round). */
export function timezoneOf(site: Site): string {
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
 * with their agent, the rack/slot grid. Miners are not pre-registered: the agents discover them
 * and the controller reconciles each to an asset (several firmwares report no serial or MAC over
 * their RPC, so pre-registered assets would not be recognised). Idempotent.
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
 * A site-scoped rule, as an operator would set it. Idempotent.
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
  }
}
