import { can, controlsFor, getProfile } from '@hashfleet/firmware-profiles';
import type { Blocked } from './ladder.js';

export type MinerReach = {
  /** Firmware profile id as the agent detected it (`miners.profile`). */
  profile: string | null;
  /** The agent that polls the miner, and its key there; null when no agent does. */
  agentId: string | null;
  minerKey: string | null;
  /** The PDU outlet feeding its slot, and the agent that drives that PDU. */
  outlet: { pduId: string; outlet: number; agentId: string | null } | null;
};

/**
 * Which rungs this miner cannot take, from its firmware profile's capabilities (docs/style.md §5: no
 * firmware names here) and its slot's outlet. Pure.
 */
export function blockedRungs(m: MinerReach): Blocked {
  const blocked: Blocked = {};
  const profile = m.profile ? getProfile(m.profile) : null;
  const noAgent =
    !m.agentId || !m.minerKey ? { code: 'no_agent', reason: 'no agent polls this miner' } : null;
  for (const [rung, op] of [
    ['restart', 'restart'],
    ['reboot', 'reboot'],
    ['sleep', 'sleep'],
  ] as const) {
    if (noAgent) blocked[rung] = noAgent;
    else if (!profile)
      blocked[rung] = {
        code: 'no_profile',
        reason: `firmware profile ${m.profile ?? '(unknown)'} not known`,
      };
    else if (!can(profile, op))
      blocked[rung] = { code: 'no_capability', reason: `${profile.id} has no ${op} operation` };
  }
  if (!m.outlet) blocked.power_cycle = { code: 'no_outlet', reason: 'its slot has no PDU outlet' };
  else if (!m.outlet.agentId)
    blocked.power_cycle = { code: 'no_agent', reason: `no agent drives pdu ${m.outlet.pduId}` };
  return blocked;
}

/** How the agent will carry out `op` for this profile, in its order of preference ("rpc, ssh"). */
export function transportsFor(profileId: string | null, op: 'restart' | 'reboot' | 'sleep'): string | null {
  const profile = profileId ? getProfile(profileId) : null;
  if (!profile) return null;
  const via = [...new Set(controlsFor(profile, op).map((c) => c.transport))];
  return via.length ? via.join(', ') : null;
}
