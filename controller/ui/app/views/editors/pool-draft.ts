import { k } from '../../i18n.js';
import type { StoredRule } from './rule-draft.js';
import { ruleBody, ruleDraftOf } from './rule-draft.js';
import type { FieldError } from './rules.js';

/**
 * A site's pool allowlist and known-good worker patterns as typed on the Pools screen (issue 19
 * item 6). The allowlist is the site's `pool_not_allowed` rule's `allowedPools` (written by
 * `alerts.sites` in the config at each start, controller/src/alerts/config-sites.ts, and by
 * `PUT /alert-rules/:id`); patterns are `/alerts/known-worker-patterns` (alerts/worker-routes.ts).
 * Pure; tested in controller/test/ui-accounting-draft.test.ts.
 */

/** host:port, with or without a scheme (`stratum+tcp://`), as the rule compares them. */
const POOL = /^(?:[a-z][a-z0-9+.-]*:\/\/)?[A-Za-z0-9.-]+:\d{1,5}$/;

export function poolError(text: string, existing: readonly string[]): FieldError | undefined {
  const v = text.trim();
  if (!v) return { key: k('form.required') };
  if (v.length > 300) return { key: k('form.tooLong'), values: { max: 300 } };
  if (!POOL.test(v)) return { key: k('pools.hostPort') };
  if (existing.includes(v)) return { key: k('pools.already') };
  if (existing.length >= 100) return { key: k('pools.tooMany'), values: { max: 100 } };
  return undefined;
}

/** The checks of WorkerPatternSchema (controller/src/core/config.ts). */
export function patternError(text: string, existing: readonly string[]): FieldError | undefined {
  const v = text.trim();
  if (!v) return { key: k('form.required') };
  if (v.length > 200) return { key: k('form.tooLong'), values: { max: 200 } };
  if (!/^[\x21-\x7e]+$/.test(v)) return { key: k('pools.patternAscii') };
  if (!/[^*]/.test(v)) return { key: k('pools.patternStar') };
  if (existing.includes(v)) return { key: k('pools.already') };
  return undefined;
}

/** The rule's body with the list replaced: the site's rule kept as it is otherwise, or a new one. */
export function allowlistBody(rule: StoredRule | null, siteId: string, pools: string[]) {
  if (!rule)
    return { kind: 'pool_not_allowed', scope: 'site', scopeId: siteId, params: { allowedPools: pools } };
  return ruleBody(ruleDraftOf(rule), { ...rule, params: { ...rule.params, allowedPools: pools } });
}
