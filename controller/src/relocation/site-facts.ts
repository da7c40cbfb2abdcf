import { z } from 'zod';
import type { Principal } from '../core/auth/roles.js';
import type { Db } from '../core/storage/db.js';
import { type Deps, RelocationError } from './service.js';

/**
 * A site's planning facts, kept with the site (PUT /relocation/sites/:id) so that every plan from
 * inventory sees them without repeating them in its assumptions: the repair-centre flag (miners
 * under warranty stay at such sites), the monthly mean temperatures and the planning tariff, each
 * taken only with its source named (docs/reference.md §11: no normals are bundled, a figure must
 * say where it comes from), and what a retired miner fetches there, by model (sold or scrapped;
 * a model not listed is not retired there). A plan's `assumptions.sites` still overrides them.
 */
const twelve = (min: number, max: number) => z.array(z.number().min(min).max(max)).length(12);
const source = z.string().trim().min(1).max(500).nullable().default(null);
export const SiteFactsBody = z
  .object({
    repairCentre: z.boolean(),
    ambientC: twelve(-60, 60).nullable().default(null),
    ambientSource: source,
    /** USD/kWh per calendar month for planning; null = the monthly means of the site's billing tariff. */
    tariffUsdPerKwh: twelve(0, 10).nullable().default(null),
    tariffSource: source,
    /** USD a retired miner of the model brings at this site (resale or scrap), by model name. */
    salvageUsd: z.record(z.string().trim().min(1).max(100), z.number().min(0).max(1_000_000)).default({}),
  })
  .refine((b) => b.ambientC === null || b.ambientSource !== null, {
    message:
      'ambientC needs ambientSource: the climate normal it was taken from (station, period, publisher)',
    path: ['ambientSource'],
  })
  .refine((b) => b.tariffUsdPerKwh === null || b.tariffSource !== null, {
    message: 'tariffUsdPerKwh needs tariffSource: the contract or price list it was taken from',
    path: ['tariffSource'],
  });
export type SiteFactsInput = z.infer<typeof SiteFactsBody>;

export type SiteFacts = SiteFactsInput & { siteId: string; updatedBy: string; updatedAt: string };

type Row = {
  site_id: string;
  repair_centre: number | boolean;
  ambient_c_json: string | null;
  ambient_source: string | null;
  tariff_usd_json: string | null;
  tariff_source: string | null;
  salvage_json: string | null;
  updated_by: string;
  updated_at: number | string;
};

const parsed = <T>(json: string | null): T | null => (json === null ? null : (JSON.parse(json) as T));

const present = (r: Row): SiteFacts => ({
  siteId: r.site_id,
  repairCentre: Boolean(Number(r.repair_centre)),
  ambientC: parsed<number[]>(r.ambient_c_json),
  ambientSource: r.ambient_source,
  tariffUsdPerKwh: parsed<number[]>(r.tariff_usd_json),
  tariffSource: r.tariff_source,
  salvageUsd: parsed<Record<string, number>>(r.salvage_json) ?? {},
  updatedBy: r.updated_by,
  updatedAt: new Date(Number(r.updated_at)).toISOString(),
});

export async function listSiteFacts(db: Db): Promise<SiteFacts[]> {
  return (await db.all<Row>('SELECT * FROM relocation_sites ORDER BY site_id')).map(present);
}

/** Sets a site's facts (all of them: a PUT); 404 for a site inventory does not know; audited. */
export async function putSiteFacts(
  deps: Deps,
  actor: Principal,
  siteId: string,
  facts: SiteFactsInput,
): Promise<SiteFacts> {
  const site = await deps.db.get<{ id: string }>('SELECT id FROM sites WHERE id = ?', [siteId]);
  if (!site) throw new RelocationError(`site ${siteId} is not in inventory`, 404);
  const at = deps.now();
  const json = (v: unknown) => (v === null ? null : JSON.stringify(v));
  await deps.db.tx(async (tx) => {
    await tx.run(
      `INSERT INTO relocation_sites (site_id, repair_centre, ambient_c_json, ambient_source, tariff_usd_json, tariff_source,
         salvage_json, updated_by, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (site_id) DO UPDATE SET repair_centre = excluded.repair_centre, ambient_c_json = excluded.ambient_c_json,
         ambient_source = excluded.ambient_source, tariff_usd_json = excluded.tariff_usd_json,
         tariff_source = excluded.tariff_source, salvage_json = excluded.salvage_json,
         updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      [
        siteId,
        facts.repairCentre ? 1 : 0,
        json(facts.ambientC),
        facts.ambientSource,
        json(facts.tariffUsdPerKwh),
        facts.tariffSource,
        json(facts.salvageUsd),
        actor.name,
        at,
      ],
    );
    await deps.audit.record({
      actor,
      action: 'relocation.site.set',
      subject: `site ${siteId}`,
      details: facts,
    });
  });
  const row = await deps.db.get<Row>('SELECT * FROM relocation_sites WHERE site_id = ?', [siteId]);
  return present(row!);
}
