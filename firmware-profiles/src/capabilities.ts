import type { MinerOp } from '@hashfleet/contracts';
import type { Capability, FirmwareProfile, FirmwareUpgrade, Transport } from './types.js';

/** What a profile can do, derived from its control operations (docs/style.md §5). */
export function capabilities(profile: FirmwareProfile): Capability[] {
  const seen = new Set<string>();
  const out: Capability[] = [];
  for (const c of profile.controls) {
    const k = `${c.op}/${c.transport}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ op: c.op, transport: c.transport });
  }
  return out;
}

/** "Can this miner reboot over SSH?" without naming a firmware. */
export function can(profile: FirmwareProfile, op: MinerOp, transport?: Transport): boolean {
  return profile.controls.some((c) => c.op === op && (transport === undefined || c.transport === transport));
}

/** The control operations that carry out `op`, in the profile's order of preference. */
export function controlsFor(profile: FirmwareProfile, op: MinerOp, transport?: Transport) {
  return profile.controls.filter(
    (c) => c.op === op && (transport === undefined || c.transport === transport),
  );
}

export type UpgradePath =
  | { ok: true; upgrade: Exclude<FirmwareUpgrade, { kind: 'none' }> }
  | { ok: false; why: string };

/**
 * How a miner of this firmware takes an image of `family` (issue 20 item 4), or why it cannot:
 * an image for another firmware, or a firmware without an upgrade path, is refused up front with
 * the reason, before anything is fetched or sent. The controller asks it when a command is
 * requested, the agent again before it fetches the image.
 */
export function upgradePath(profile: FirmwareProfile, family: string): UpgradePath {
  if (family !== profile.id) {
    return { ok: false, why: `the image is for ${family}, the miner runs ${profile.id}` };
  }
  const upgrade = profile.upgrade;
  if (upgrade.kind === 'none') return { ok: false, why: `${profile.id} has no upgrade path: ${upgrade.why}` };
  return { ok: true, upgrade };
}
