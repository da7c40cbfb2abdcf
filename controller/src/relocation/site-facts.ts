import { z } from 'zod';
import type { Principal } from '../core/auth/roles.js';
import type { Db } from '../core/storage/db.js';
import { type Deps, RelocationError } from './service.js';

/**
 * A site's planning facts, kept with the site (PUT /relocation/sites/:id) so that every plan from
 * inventory sees them without repeating them in its assumptions: the repair-centre flag (miners
 * under warranty stay at such sites) and the monthly mean temperatures, which are taken only with
 * their source named (docs/reference.md §11: no normals are bundled, a figure must say where it
 * comes from). A plan's `assumptions.sites` still overrides them for that plan.
 */
export const SiteFactsBody = z
  .object({
    repairCentre: z.boolean(),
    ambientC: z.array(z.number().min(-60).max(60)).length(12).nullable().default(null),
    ambientSource: z.string().trim().min(1).max(500).nullable().default(null),
  })
  .refine((b) => b.ambientC === null || b.ambientSource !== null, {
    message:
      'ambientC needs ambientSource: the climate normal it was taken from (station, period, publisher)',
    path: ['ambientSource'],
  });
export type SiteFactsInput = z.infer<typeof SiteFactsBody>;

export type SiteFacts = SiteFactsInput & { siteId: string; updatedBy: string; updatedAt: string };

type Row = {
  site_id: string;
  repair_centre: number | boolean;
  ambient_c_json: string | null;
  ambient_source: string | null;
  updated_by: string;
  updated_at: number | string;
};

const present = (r: Row): SiteFacts => ({
  siteId: r.site_id,
  repairCentre: Boolean(Number(r.repair_centre)),
  ambientC: r.ambient_c_json === null ? null : (JSON.parse(r.ambient_c_json) as number[]),
  ambientSource: r.ambient_source,
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
  const ambient = facts.ambientC === null ? null : JSON.stringify(facts.ambientC);
  await deps.db.tx(async (tx) => {
    await tx.run(
      `INSERT INTO relocation_sites (site_id, repair_centre, ambient_c_json, ambient_source, updated_by, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (site_id) DO UPDATE SET repair_centre = excluded.repair_centre, ambient_c_json = excluded.ambient_c_json,
         ambient_source = excluded.ambient_source, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      [siteId, facts.repairCentre ? 1 : 0, ambient, facts.ambientSource, actor.name, at],
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
