import type { SafetyLimits, SafetyRule } from '@hashfleet/contracts';
import { MODELS, type ModelInfo, TEMP_LIMITS_C } from '@hashfleet/firmware-profiles';

/**
 * The rule set a fresh install starts with (issue 10: chip temperature over the model's limit for
 * two polls means sleep the miner). The outlet is the fallback for a firmware that cannot sleep:
 * cutting power loses nothing a hot miner was going to earn, and a cooked hash board costs more.
 */
export const DEFAULT_RULES: SafetyRule[] = [
  {
    id: 'chip-overtemp',
    metric: 'chipTempMaxC',
    op: '>',
    limit: 'modelLimit',
    polls: 2,
    action: 'sleep',
    fallback: 'outlet.off',
  },
];

/**
 * Limits by cooling type, for models without an operator override: the model table's temperature
 * limits (firmware-profiles `TEMP_LIMITS_C`, shared with alerting), so the agent acts at the same
 * figure an alert names. Override per model through `PUT /api/v1/safety/rules` `modelLimits`.
 */
export const COOLING_LIMITS: Record<ModelInfo['cooling'], SafetyLimits> = Object.fromEntries(
  Object.entries(TEMP_LIMITS_C).map(([cooling, l]) => [
    cooling,
    { chipTempMaxC: l.chipC, boardTempMaxC: l.boardC },
  ]),
) as Record<ModelInfo['cooling'], SafetyLimits>;

/**
 * The limits `modelLimit` means for every model in the table, pure: the operator's override for
 * that model first, figure by figure, then the model's cooling type.
 */
export function resolveModelLimits(
  overrides: Record<string, SafetyLimits>,
  models: readonly Pick<ModelInfo, 'model' | 'cooling' | 'algorithm'>[] = MODELS,
): Record<string, SafetyLimits> {
  const out: Record<string, SafetyLimits> = {};
  for (const m of models) {
    if (m.algorithm !== 'sha256') continue;
    out[m.model] = { ...COOLING_LIMITS[m.cooling], ...overrides[m.model] };
  }
  // An override for a model the table does not know is still honoured (the agent matches names).
  for (const [model, limits] of Object.entries(overrides)) if (!out[model]) out[model] = { ...limits };
  return out;
}
