import type { Db } from '../core/storage/db.js';
import { fleetDrift, type MinerDrift, sinceByField } from './drift-store.js';
import { DRIFT_FIELDS } from './schema.js';

/** One miner's drift as the API shows it, each field with when it began (null: not stored yet). */
export function minerView(m: MinerDrift, since: Map<string, number>) {
  return {
    minerId: m.place.minerId,
    serial: m.serial,
    siteId: m.place.siteId,
    containerId: m.place.containerId,
    model: m.place.model,
    rack: m.place.rack,
    slot: m.place.slot,
    managed: m.managed,
    drift: m.drift.map((d) => ({
      field: d.field,
      desired: d.desired,
      actual: d.actual,
      since: since.get(`${m.place.minerId}\u0000${d.field}`) ?? null,
    })),
  };
}

/** The drift of the miners matching the filters, judged from their latest readings at `now`. */
export async function driftList(
  db: Db,
  now: number,
  f: { siteId?: string; containerId?: string; field?: string; minerId?: string; all?: boolean },
) {
  const fleet = (await fleetDrift(db, now)).filter(
    (m) =>
      (!f.siteId || m.place.siteId === f.siteId) &&
      (!f.containerId || m.place.containerId === f.containerId) &&
      (!f.minerId || m.place.minerId === f.minerId) &&
      (f.all || m.drift.length > 0) &&
      (!f.field || m.drift.some((d) => d.field === f.field)),
  );
  const since = await sinceByField(db);
  return fleet.map((m) => minerView(m, since));
}

type Count = { managed: number; drifted: number; byField: Record<string, number> };
const empty = (): Count => ({
  managed: 0,
  drifted: 0,
  byField: Object.fromEntries(DRIFT_FIELDS.map((f) => [f, 0])),
});
function add(c: Count, m: MinerDrift) {
  if (m.managed) c.managed++;
  if (m.drift.length > 0) c.drifted++;
  for (const f of new Set(m.drift.map((d) => d.field))) c.byField[f] = (c.byField[f] ?? 0) + 1;
}

/** Drifted miners counted per site and container (and each field), for the overview. */
export async function driftCounts(db: Db, now: number) {
  const total = empty();
  const sites = new Map<string | null, Count>();
  const containers = new Map<string | null, Count & { siteId: string | null }>();
  for (const m of await fleetDrift(db, now)) {
    add(total, m);
    if (!sites.has(m.place.siteId)) sites.set(m.place.siteId, empty());
    add(sites.get(m.place.siteId)!, m);
    if (!containers.has(m.place.containerId))
      containers.set(m.place.containerId, { ...empty(), siteId: m.place.siteId });
    add(containers.get(m.place.containerId)!, m);
  }
  return {
    total,
    sites: [...sites].map(([siteId, c]) => ({ siteId, ...c })),
    containers: [...containers].map(([containerId, c]) => ({ containerId, ...c })),
  };
}
