import type { PowerMode } from '@hashfleet/contracts';
import { can, getProfile } from '@hashfleet/firmware-profiles';
import type { ItemAction, NewItem } from '../bulk.js';
import { minerLabel, type SelectedMiner } from '../selector.js';
import type { OperatingProfile, Preset } from './schema.js';

/** What a miner ran before a profile was applied, as far as the controller knows. */
export type PreviousSettings = {
  powerLimitW: number | null;
  /** The last power mode the controller set successfully; null when it never set one. */
  powerMode: PowerMode | null;
};

export const presetFor = (profile: OperatingProfile, model: string | null): Preset | undefined =>
  profile.presets.find((p) => p.model === model) ?? profile.presets.find((p) => p.model === '*');

/**
 * Why a firmware cannot carry out a preset, from its capabilities (its control operations), or
 * null. Fan modes: no firmware we support documents a fan-mode control (docs/reference.md §7), so a
 * preset with one is refused rather than half applied.
 */
export function capabilityRefusal(firmware: string, preset: Preset, sleepWindows: boolean): string | null {
  const profile = getProfile(firmware);
  if (!profile) return `firmware ${firmware} is unknown to this controller`;
  const missing: string[] = [];
  if (preset.powerTargetW !== undefined && !can(profile, 'power.target')) missing.push('power.target');
  if (preset.powerMode !== undefined && !can(profile, 'power.mode')) missing.push('power.mode');
  if (preset.fanMode !== undefined) missing.push('fan mode');
  if (sleepWindows && !(can(profile, 'sleep') && can(profile, 'wake'))) missing.push('sleep/wake');
  return missing.length ? `firmware ${firmware} cannot do ${missing.join(', ')}` : null;
}

/**
 * Per miner: refused up front (no agent, no preset for its model, a firmware that cannot do it)
 * or the actions to send, the settings to restore on rollback and what verification expects.
 * Pure: the miners, what they ran before, which of them the profile's windows hold asleep, and
 * the profile.
 */
export function planProfileApply(
  profile: OperatingProfile,
  miners: SelectedMiner[],
  previous: Map<string, PreviousSettings>,
  asleep: Set<string> = new Set(),
): NewItem[] {
  const sleeps = profile.sleepWindows.length > 0;
  return miners.map((miner): NewItem => {
    const refuse = (why: string): NewItem => ({
      miner,
      actions: [],
      refusal: `${minerLabel(miner)}: ${why}`,
    });
    if (!miner.agentId || !miner.minerKey) return refuse('no agent polls it');
    if (!miner.profile) return refuse('its firmware is not known yet (no birth from its agent)');
    const preset = presetFor(profile, miner.model);
    if (!preset)
      return refuse(`profile ${profile.name} has no preset for model ${miner.model ?? '(unknown)'}`);
    const refusal = capabilityRefusal(miner.profile, preset, sleeps);
    if (refusal) return refuse(refusal);
    const actions: ItemAction[] = [];
    // The profile no longer sleeps: a miner its earlier windows put to sleep is woken first.
    if (!sleeps && asleep.has(miner.minerId)) actions.push({ op: 'wake' });
    if (preset.powerTargetW !== undefined) actions.push({ op: 'power.target', watts: preset.powerTargetW });
    if (preset.powerMode !== undefined) actions.push({ op: 'power.mode', mode: preset.powerMode });
    const expectPowerW = preset.powerTargetW ?? preset.expectPowerW;
    return {
      miner,
      actions,
      refusal: null,
      previous: previous.get(miner.minerId) ?? { powerLimitW: null, powerMode: null },
      verify:
        expectPowerW === undefined
          ? null
          : {
              settleS: profile.settleS,
              tolerancePct: profile.tolerancePct,
              expectPowerW,
              expectPowerLimitW: preset.powerTargetW ?? null,
              ...(sleeps ? { maySleep: true } : {}),
            },
    };
  });
}

/**
 * Actions that put back what a miner ran before the profile: its previous power limit, or power
 * mode, with the operation the changed setting used. A setting with nothing recorded is left as
 * is and named in `unknown`.
 */
export function rollbackActions(
  applied: ItemAction[],
  previous: PreviousSettings,
): { actions: ItemAction[]; unknown: string[] } {
  const actions: ItemAction[] = [];
  const unknown: string[] = [];
  for (const a of applied) {
    if (a.op === 'power.target') {
      if (previous.powerLimitW !== null)
        actions.push({ op: 'power.target', watts: Math.round(previous.powerLimitW) });
      else unknown.push('power limit');
    }
    // The factory mode is normal: a miner we never set a mode on was running it.
    if (a.op === 'power.mode') actions.push({ op: 'power.mode', mode: previous.powerMode ?? 'normal' });
  }
  return { actions, unknown };
}
