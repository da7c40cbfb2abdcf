/** What a step must show once it has settled: the reported power near what was asked. */
export type VerifySpec = {
  settleS: number;
  tolerancePct: number;
  /** Expected reported power draw (W). */
  expectPowerW: number;
  /** Expected reported power limit (W), when the step set one. */
  expectPowerLimitW: number | null;
  /** The profile has sleep windows: a sleeping miner is waited for, not failed. */
  maySleep?: boolean;
};

export type LatestPower = { at: number; powerW: number | null; powerLimitW: number | null; state: string };

export type Verdict = { state: 'pending' } | { state: 'verified' | 'failed'; reason: string };

const within = (value: number, want: number, pct: number) => Math.abs(value - want) <= (want * pct) / 100;

/**
 * Whether a miner's latest sample shows the step took effect. Pending until a sample taken at
 * least `settleS` after the step exists; then the reported power (and the power limit, when the
 * firmware reports one) must be within the tolerance, otherwise the step failed.
 */
export function verifyStep(
  spec: VerifySpec,
  sentAt: number,
  latest: LatestPower | null,
  now: number,
): Verdict {
  const settledAt = sentAt + spec.settleS * 1000;
  if (now < settledAt) return { state: 'pending' };
  if (!latest || latest.at < settledAt) {
    // No fresh sample a full settle period later still: the miner is not reporting.
    if (now >= settledAt + spec.settleS * 1000)
      return { state: 'failed', reason: `no sample since ${spec.settleS} s after the change` };
    return { state: 'pending' };
  }
  // Its sleep window put it to sleep: the power can only be compared once it is awake again.
  if (spec.maySleep && latest.state === 'sleeping') return { state: 'pending' };
  const tol = spec.tolerancePct;
  if (latest.powerW === null) return { state: 'failed', reason: 'the miner reports no power' };
  if (!within(latest.powerW, spec.expectPowerW, tol)) {
    return {
      state: 'failed',
      reason: `reported ${Math.round(latest.powerW)} W (${latest.state}), expected ${spec.expectPowerW} W ± ${tol} %`,
    };
  }
  if (spec.expectPowerLimitW !== null && latest.powerLimitW !== null) {
    if (!within(latest.powerLimitW, spec.expectPowerLimitW, tol)) {
      return {
        state: 'failed',
        reason: `reported power limit ${Math.round(latest.powerLimitW)} W, expected ${spec.expectPowerLimitW} W ± ${tol} %`,
      };
    }
  }
  return {
    state: 'verified',
    reason: `reported ${Math.round(latest.powerW)} W, expected ${spec.expectPowerW} W ± ${tol} %`,
  };
}
