import { k } from '../../i18n.js';
import { type FieldErrors, num, numberIn } from './rules.js';

/**
 * The alert rule form's draft, its rules (RuleInputSchema in controller/src/alerts/rules.ts, field
 * by field; which side of the threshold clears is the kind's, checked by the API) and the body of
 * `POST /alert-rules` or `PUT /alert-rules/:id`. Pure; tested in controller/test/ui-editors.test.ts.
 */
export interface StoredRule {
  id: string;
  kind: string;
  scope: string;
  scopeId: string | null;
  severity: string;
  enabled: boolean;
  threshold: number | null;
  clearThreshold: number | null;
  forPolls: number;
  forMs?: number;
  clearPolls: number;
  params?: Record<string, unknown>;
  updatedBy?: string;
}

export interface RuleDraft {
  kind: string;
  scope: 'global' | 'site' | 'container' | 'model';
  scopeId: string;
  severity: string;
  enabled: boolean;
  threshold: string;
  clearThreshold: string;
  forPolls: string;
  clearPolls: string;
}

const text = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));

export const ruleDraftOf = (r: StoredRule | null): RuleDraft =>
  r
    ? {
        kind: r.kind,
        scope: r.scope as RuleDraft['scope'],
        scopeId: r.scopeId ?? '',
        severity: r.severity,
        enabled: r.enabled,
        threshold: text(r.threshold),
        clearThreshold: text(r.clearThreshold),
        forPolls: text(r.forPolls),
        clearPolls: text(r.clearPolls),
      }
    : {
        kind: 'offline',
        scope: 'site',
        scopeId: '',
        severity: 'warning',
        enabled: true,
        threshold: '',
        clearThreshold: '',
        forPolls: '',
        clearPolls: '',
      };

export function validateRule(d: RuleDraft): FieldErrors {
  const e: FieldErrors = {};
  if (d.scope !== 'global' && !d.scopeId.trim()) e['scopeId'] = { key: k('form.required') };
  if (d.threshold.trim()) numberIn(e, 'threshold', d.threshold, -1e9, 1e9);
  if (d.clearThreshold.trim()) numberIn(e, 'clearThreshold', d.clearThreshold, -1e9, 1e9);
  if (d.forPolls.trim()) numberIn(e, 'forPolls', d.forPolls, 1, 1000, true);
  if (d.clearPolls.trim()) numberIn(e, 'clearPolls', d.clearPolls, 1, 1000, true);
  return e;
}

/** The body; an empty figure is left out, so the kind's default stands. Params and forMs are kept. */
export function ruleBody(d: RuleDraft, stored: StoredRule | null) {
  const opt = (key: string, v: string) => (v.trim() ? { [key]: num(v) } : {});
  return {
    kind: d.kind,
    scope: d.scope,
    scopeId: d.scope === 'global' ? null : d.scopeId.trim(),
    severity: d.severity,
    enabled: d.enabled,
    ...opt('threshold', d.threshold),
    ...opt('clearThreshold', d.clearThreshold),
    ...opt('forPolls', d.forPolls),
    ...opt('clearPolls', d.clearPolls),
    ...(stored?.forMs !== undefined ? { forMs: stored.forMs } : {}),
    ...(stored?.params && Object.keys(stored.params).length ? { params: stored.params } : {}),
  };
}
