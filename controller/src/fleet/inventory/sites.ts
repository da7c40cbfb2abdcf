import type { Db } from '../../core/storage/db.js';
import { type ContainerInput, type SiteInput, type Tariff, TariffSchema } from './types.js';

export async function upsertSite(db: Db, site: SiteInput, now: number): Promise<void> {
  const tariff = TariffSchema.parse(site.tariff);
  await db.run(
    `INSERT INTO sites (id, name, timezone, capacity_mw, capacity_slots, tariff_json, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone,
       capacity_mw = excluded.capacity_mw, capacity_slots = excluded.capacity_slots,
       tariff_json = excluded.tariff_json, updated_at = excluded.updated_at`,
    [
      site.id,
      site.name,
      site.timezone,
      site.capacityMw ?? null,
      site.capacitySlots ?? null,
      JSON.stringify(tariff),
      now,
      now,
    ],
  );
}

/** A site row seen only through an agent's birth: placeholder until an operator fills it in. */
export async function ensureSite(db: Db, siteId: string, now: number): Promise<void> {
  await db.run(
    `INSERT INTO sites (id, name, timezone, capacity_mw, capacity_slots, tariff_json, created_at, updated_at)
     VALUES (?, ?, 'UTC', NULL, NULL, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    [
      siteId,
      siteId,
      JSON.stringify({ currency: 'USD', perKwh: Array(12).fill(Array(24).fill(0)) }),
      now,
      now,
    ],
  );
}

export async function upsertContainer(db: Db, c: ContainerInput, now: number): Promise<void> {
  await db.run(
    `INSERT INTO containers (id, site_id, name, agent_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET site_id = excluded.site_id, name = excluded.name,
       agent_id = COALESCE(excluded.agent_id, containers.agent_id), updated_at = excluded.updated_at`,
    [c.id, c.siteId, c.name, c.agentId ?? null, now, now],
  );
}

/** Makes sure the site and container an agent reports exist (placeholders until an operator edits them). */
export async function ensurePlace(
  db: Db,
  siteId: string,
  containerId: string,
  agentId: string | null,
  now: number,
) {
  await ensureSite(db, siteId, now);
  await db.run(
    `INSERT INTO containers (id, site_id, name, agent_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET agent_id = COALESCE(containers.agent_id, excluded.agent_id)`,
    [containerId, siteId, containerId, agentId, now, now],
  );
}

/** The tariff in force at `at` for a site's local month and hour. */
export function tariffAt(tariff: Tariff, timezone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    month: 'numeric',
    hour: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(new Date(at));
  const month = Number(parts.find((p) => p.type === 'month')?.value ?? 1) - 1;
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0) % 24;
  return tariff.perKwh[month]?.[hour] ?? 0;
}
