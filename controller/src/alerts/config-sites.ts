import type { ControllerConfig } from '../core/config.js';
import type { Db } from '../core/storage/db.js';
import { RuleInputSchema, ruleFromInput } from './rules.js';
import {
  addWorkerPattern,
  deleteRule,
  insertRule,
  loadRules,
  removeWorkerPattern,
  updateRule,
} from './store.js';

export type ConfigSites = ControllerConfig['alerts']['sites'];

/** Who the configured rows are made by, so the next start can tell them from the API's. */
const BY = 'config';
const ruleId = (siteId: string) => `config:pool_not_allowed:${siteId}`;

/**
 * Makes the stored alert settings hold `alerts.sites` (issue 17 item 5), at every start:
 *   - `allowedPools`: the site's `pool_not_allowed` rule gets the list (created when the site has
 *     none, else its list replaced and the rule enabled); a rule this created is deleted once its
 *     site's list leaves the config (one the API created keeps the last list it was given);
 *   - `workerPatterns`: each is known good at the site; patterns this added that left the config
 *     are removed; patterns added through the API are left alone.
 */
export async function syncConfigSites(db: Db, sites: ConfigSites, now: number): Promise<void> {
  const rules = await loadRules(db);
  const siteRule = (siteId: string) =>
    rules.find((r) => r.kind === 'pool_not_allowed' && r.scope === 'site' && r.scopeId === siteId);
  for (const [siteId, site] of Object.entries(sites)) {
    if (site.allowedPools === null) continue;
    const before = siteRule(siteId);
    if (before)
      await updateRule(db, {
        ...before,
        enabled: true,
        params: { ...before.params, allowedPools: site.allowedPools },
        updatedAt: now,
        updatedBy: BY,
      });
    else {
      const input = RuleInputSchema.parse({
        kind: 'pool_not_allowed',
        scope: 'site',
        scopeId: siteId,
        params: { allowedPools: site.allowedPools },
      });
      await insertRule(db, ruleFromInput(ruleId(siteId), input, BY, now), now);
    }
  }
  for (const r of rules)
    if (r.id === ruleId(r.scopeId) && (sites[r.scopeId]?.allowedPools ?? null) === null)
      await deleteRule(db, r.id);

  const configured = new Set<string>();
  for (const [siteId, site] of Object.entries(sites))
    for (const pattern of site.workerPatterns) {
      configured.add(JSON.stringify([siteId, pattern]));
      await addWorkerPattern(db, { siteId, pattern, createdAt: now, createdBy: BY });
    }
  const ours = await db.all<{ site_id: string; pattern: string }>(
    'SELECT site_id, pattern FROM alert_worker_patterns WHERE created_by = ?',
    [BY],
  );
  for (const r of ours)
    if (!configured.has(JSON.stringify([r.site_id, r.pattern])))
      await removeWorkerPattern(db, r.site_id, r.pattern);
}
