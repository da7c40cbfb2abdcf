import { z } from 'zod';
import { canonicalJson, SignatureSchema } from './commands.js';
import { EpochMs, IdSchema, NonNegInt, PROTOCOL_VERSION, ShortString } from './common.js';

/** Sample figures a local safety rule may watch (names and units as in MinerSample). */
export const SafetyMetricSchema = z.enum(['chipTempMaxC', 'boardTempMaxC', 'outletTempC', 'powerW']);
export type SafetyMetric = z.infer<typeof SafetyMetricSchema>;

/** What the agent does on its own: sleep through the firmware, or cut the miner's PDU outlet. */
export const SafetyActionSchema = z.enum(['sleep', 'outlet.off']);
export type SafetyAction = z.infer<typeof SafetyActionSchema>;

export const SafetyRuleSchema = z.object({
  id: IdSchema,
  metric: SafetyMetricSchema,
  op: z.enum(['>', '>=']),
  /** A figure, or `modelLimit`: the limit the controller resolved for the miner's model. */
  limit: z.union([z.number().finite(), z.literal('modelLimit')]),
  /** Consecutive polls over the limit before acting, so one bad reading never acts. */
  polls: z.number().int().min(1).max(20),
  action: SafetyActionSchema,
  /** Tried when the action is refused or fails (e.g. a firmware that cannot sleep): cut the outlet. */
  fallback: SafetyActionSchema.nullable().default(null),
});
export type SafetyRule = z.infer<typeof SafetyRuleSchema>;

const Limits = z.partialRecord(SafetyMetricSchema, z.number().finite());
export type SafetyLimits = z.infer<typeof Limits>;

/**
 * Controller -> agent, retained on `hashfleet/v1/agents/<id>/safety`, signed with the command key.
 * A standing rule set, not a one-off order: it has no expiry; replays are refused by `revision`
 * (the agent keeps only a higher revision than the one it holds).
 */
export const SafetyRuleSetSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.literal('safety'),
  agentId: IdSchema,
  /** Strictly increasing across the fleet; every change of the rules is a new revision. */
  revision: NonNegInt,
  issuedAt: EpochMs,
  rules: z.array(SafetyRuleSchema).max(32),
  /** Per canonical model name (firmware-profiles model table), the limits `modelLimit` means. */
  modelLimits: z.record(ShortString, Limits),
  /** For a model missing from `modelLimits` (or not reported). */
  defaultLimits: Limits,
  signature: SignatureSchema,
});
export type SafetyRuleSet = z.infer<typeof SafetyRuleSetSchema>;
export type UnsignedSafetyRuleSet = Omit<SafetyRuleSet, 'signature'>;

/**
 * Bytes a rule set's signature covers: canonical JSON without `signature`, exactly as for commands.
 * `kind` is inside the signed bytes, so a signed rule set can never pass as a command or back.
 */
export function safetySigningBytes(ruleSet: UnsignedSafetyRuleSet | SafetyRuleSet): Uint8Array {
  const { signature: _ignored, ...unsigned } = ruleSet as SafetyRuleSet;
  return new TextEncoder().encode(canonicalJson(unsigned));
}

/** The limit a rule applies to a miner of `model` (canonical name), or null when none is known. */
export function resolveLimit(
  rule: Pick<SafetyRule, 'limit' | 'metric'>,
  set: Pick<SafetyRuleSet, 'modelLimits' | 'defaultLimits'>,
  model: string | null,
): number | null {
  if (rule.limit !== 'modelLimit') return rule.limit;
  const own = model !== null ? set.modelLimits[model]?.[rule.metric] : undefined;
  return own ?? set.defaultLimits[rule.metric] ?? null;
}

/** Fields of the `safety.action` agent event (messages.ts): one action the agent took on its own. */
export const safetyActionFields = {
  ruleId: IdSchema,
  revision: NonNegInt,
  metric: SafetyMetricSchema,
  value: z.number().finite(),
  limit: z.number().finite(),
  polls: z.number().int().min(1),
  action: SafetyActionSchema,
  /** Whether the agent was connected to the broker when it acted. */
  connected: z.boolean(),
  status: z.enum(['succeeded', 'failed', 'refused', 'timeout']),
  message: ShortString,
};
