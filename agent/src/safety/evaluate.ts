import {
  type MinerSample,
  resolveLimit,
  type SafetyMetric,
  type SafetyRule,
  type SafetyRuleSet,
  type SlotRef,
} from '@hashfleet/contracts';

/** What of a sample the rules read: a whole sample is one too. */
export type SafetyReading = Pick<MinerSample, 'minerKey' | 'ip' | 'slot' | 'model' | 'state' | SafetyMetric>;

/** The fields of `s` the rules read, without the rest (boards, pools, work ...). */
export function safetyReading(s: SafetyReading): SafetyReading {
  return {
    minerKey: s.minerKey,
    ip: s.ip,
    slot: s.slot,
    model: s.model,
    state: s.state,
    chipTempMaxC: s.chipTempMaxC,
    boardTempMaxC: s.boardTempMaxC,
    outletTempC: s.outletTempC,
    powerW: s.powerW,
  };
}

/** Per (miner, rule): consecutive polls over the limit, and whether the agent already acted. */
export type Streak = { over: number; acted: boolean };
export type Streaks = ReadonlyMap<string, Streak>;

/** A rule that has held long enough on one miner: the agent should act now. */
export type Decision = {
  minerKey: string;
  ip: string;
  slot: SlotRef | null;
  rule: SafetyRule;
  value: number;
  limit: number;
};

export const streakKey = (minerKey: string, ruleId: string): string => `${minerKey}\u0000${ruleId}`;

/**
 * One poll cycle against the rules, pure. A reading over the limit extends the miner's streak; at
 * `polls` in a row the rule fires once, and stays latched until a reading under the limit clears it
 * (so a miner that stays hot is not slept again every poll). A missing reading (null, or the miner
 * not answering) leaves the streak as it was: it neither proves the miner hot nor cool. A miner
 * already sleeping is protected: its streak is kept, nothing is done.
 */
export function evaluate(
  set: Pick<SafetyRuleSet, 'rules' | 'modelLimits' | 'defaultLimits'>,
  samples: readonly SafetyReading[],
  previous: Streaks,
  canonicalModel: (reported: string | null) => string | null,
): { streaks: Map<string, Streak>; decisions: Decision[] } {
  const streaks = new Map(previous);
  const decisions: Decision[] = [];
  for (const s of samples) {
    const model = canonicalModel(s.model);
    for (const rule of set.rules) {
      const value = s[rule.metric];
      const limit = resolveLimit(rule, set, model);
      if (value === null || limit === null) continue;
      const key = streakKey(s.minerKey, rule.id);
      const was = streaks.get(key) ?? { over: 0, acted: false };
      const over = rule.op === '>' ? value > limit : value >= limit;
      if (!over) {
        streaks.set(key, { over: 0, acted: false });
        continue;
      }
      const next = { over: was.over + 1, acted: was.acted };
      if (next.over >= rule.polls && !next.acted && s.state !== 'sleeping') {
        decisions.push({ minerKey: s.minerKey, ip: s.ip, slot: s.slot, rule, value, limit });
        next.acted = true;
      }
      streaks.set(key, next);
    }
  }
  return { streaks, decisions };
}
