import { findModel } from '@hashfleet/firmware-profiles';
import { z } from 'zod';
import { AllowedPoolsSchema } from '../core/config.js';
import {
  ALERT_KINDS,
  type AlertKind,
  KIND_SPECS,
  SCOPES,
  type Scope,
  SEVERITIES,
  type Severity,
} from './kinds.js';

/** One row of `alert_rules`. `scopeId` is '' for the global scope. */
export type Rule = {
  id: string;
  kind: AlertKind;
  scope: Scope;
  scopeId: string;
  severity: Severity;
  enabled: boolean;
  threshold: number | null;
  clearThreshold: number | null;
  forPolls: number;
  forMs: number;
  clearPolls: number;
  params: Record<string, unknown>;
  updatedAt: number;
  updatedBy: string;
};

export type RuleRow = {
  id: string;
  kind: string;
  scope: string;
  scope_id: string;
  severity: string;
  enabled: number;
  threshold: number | null;
  clear_threshold: number | null;
  for_polls: number;
  for_ms: number;
  clear_polls: number;
  params_json: string;
  updated_at: number;
  updated_by: string;
};

export const ruleFromRow = (r: RuleRow): Rule => ({
  id: r.id,
  kind: r.kind as AlertKind,
  scope: r.scope as Scope,
  scopeId: r.scope_id,
  severity: r.severity as Severity,
  enabled: r.enabled === 1,
  threshold: r.threshold,
  clearThreshold: r.clear_threshold,
  forPolls: r.for_polls,
  forMs: r.for_ms,
  clearPolls: r.clear_polls,
  params: JSON.parse(r.params_json) as Record<string, unknown>,
  updatedAt: r.updated_at,
  updatedBy: r.updated_by,
});

const Params = z
  .object({
    allowedPools: AllowedPoolsSchema.optional(),
    windowMs: z.number().int().min(60_000).max(86_400_000).optional(),
    minSamples: z.number().int().min(1).max(1440).optional(),
    minRpm: z.number().min(0).max(20_000).optional(),
    minUptimeS: z.number().int().min(0).optional(),
    volts: z.number().positive().max(1000).optional(),
    minMeteredW: z.number().min(0).optional(),
    // phase_overload: amps per phase; null leaves the rating to the PDU.
    phaseRatingA: z.number().positive().max(10_000).nullable().optional(),
    defaultPhaseRatingA: z.number().positive().max(10_000).optional(),
    clearRatio: z.number().gt(0).max(1).optional(),
  })
  .strict();

/** What the API accepts to create a rule (PUT replaces the same fields). */
export const RuleInputSchema = z
  .object({
    kind: z.enum(ALERT_KINDS),
    scope: z.enum(SCOPES),
    scopeId: z.string().min(1).max(200).nullable().default(null),
    severity: z.enum(SEVERITIES).optional(),
    enabled: z.boolean().default(true),
    threshold: z.number().finite().nullable().optional(),
    clearThreshold: z.number().finite().nullable().optional(),
    forPolls: z.number().int().min(1).max(1000).optional(),
    forMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400_000)
      .optional(),
    clearPolls: z.number().int().min(1).max(1000).optional(),
    params: Params.optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.scope === 'global') !== (r.scopeId === null))
      ctx.addIssue({
        code: 'custom',
        path: ['scopeId'],
        message: 'scopeId is null exactly for the global scope',
      });
    if (r.scope === 'model' && r.scopeId && !findModel(r.scopeId))
      ctx.addIssue({
        code: 'custom',
        path: ['scopeId'],
        message: `model "${r.scopeId}" is not in the model table`,
      });
    const dir = KIND_SPECS[r.kind].direction;
    if (r.threshold != null && r.clearThreshold != null) {
      const wrong = dir === 'above' ? r.clearThreshold > r.threshold : r.clearThreshold < r.threshold;
      if (wrong)
        ctx.addIssue({
          code: 'custom',
          path: ['clearThreshold'],
          message: `${r.kind} breaches ${dir} the threshold, so clearThreshold must be on the other side of ${r.threshold}`,
        });
    }
  });
export type RuleInput = z.input<typeof RuleInputSchema>;

/** A rule with every omitted field taken from the kind's defaults; model scope ids canonical. */
export function ruleFromInput(
  id: string,
  input: z.output<typeof RuleInputSchema>,
  by: string,
  now: number,
): Rule {
  const d = KIND_SPECS[input.kind];
  return {
    id,
    kind: input.kind,
    scope: input.scope,
    scopeId: input.scope === 'model' ? (findModel(input.scopeId)?.model ?? '') : (input.scopeId ?? ''),
    severity: input.severity ?? d.severity,
    enabled: input.enabled,
    threshold: input.threshold === undefined ? d.threshold : input.threshold,
    clearThreshold: input.clearThreshold === undefined ? d.clearThreshold : input.clearThreshold,
    forPolls: input.forPolls ?? d.forPolls,
    forMs: input.forMs ?? d.forMs,
    clearPolls: input.clearPolls ?? d.clearPolls,
    params: { ...d.params, ...(input.params ?? {}) },
    updatedAt: now,
    updatedBy: by,
  };
}

/** The global rule of every kind, as seeded (id `default:<kind>`). */
export const defaultRules = (now: number): Rule[] =>
  ALERT_KINDS.map((kind) =>
    ruleFromInput(`default:${kind}`, RuleInputSchema.parse({ kind, scope: 'global' }), 'system', now),
  );

/** Where a subject sits, for choosing its rule. */
export type Placement = { siteId: string | null; containerId: string | null; model: string | null };

/**
 * Rules indexed for resolution. The most specific scope wins: container, then site, then model,
 * then global. A disabled rule at a specific scope switches the kind off there (it still wins).
 */
export type RuleIndex = {
  resolve(kind: AlertKind, at: Placement): Rule | null;
  /** Every kind's rule for one placement, memoised (a fleet has few distinct placements). */
  forPlace(at: Placement): Readonly<Record<AlertKind, Rule | null>>;
  rules: Rule[];
};

export function indexRules(rules: Rule[]): RuleIndex {
  const byScope = new Map<string, Rule>();
  for (const r of rules) byScope.set(`${r.kind}\u0000${r.scope}\u0000${r.scopeId}`, r);
  const get = (kind: AlertKind, scope: Scope, id: string | null) =>
    id === null ? undefined : byScope.get(`${kind}\u0000${scope}\u0000${id}`);
  const resolve = (kind: AlertKind, at: Placement) =>
    get(kind, 'container', at.containerId) ??
    get(kind, 'site', at.siteId) ??
    get(kind, 'model', at.model) ??
    get(kind, 'global', '') ??
    null;
  const places = new Map<string, Record<AlertKind, Rule | null>>();
  return {
    rules,
    resolve,
    forPlace(at) {
      const key = `${at.containerId}\u0000${at.siteId}\u0000${at.model}`;
      let place = places.get(key);
      if (!place) {
        place = Object.fromEntries(ALERT_KINDS.map((k) => [k, resolve(k, at)])) as Record<
          AlertKind,
          Rule | null
        >;
        places.set(key, place);
      }
      return place;
    },
  };
}
