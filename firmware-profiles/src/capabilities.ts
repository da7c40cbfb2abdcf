import type { MinerOp } from '@hashfleet/contracts';
import type { Capability, FirmwareProfile, Transport } from './types.js';

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
