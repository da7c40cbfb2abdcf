import type { CommandAction } from '@hashfleet/contracts';
import type { Role } from '../core/auth/roles.js';

type Op = CommandAction['op'];

/** Who may request each operation (least privilege, docs/architecture.md §6.6), and which need a second person. */
export const COMMAND_POLICY: Record<Op, { roles: Role[]; approval: boolean }> = {
  reboot: { roles: ['technician', 'operator', 'admin'], approval: false },
  restart: { roles: ['technician', 'operator', 'admin'], approval: false },
  led: { roles: ['technician', 'operator', 'admin'], approval: false },
  'outlet.cycle': { roles: ['technician', 'operator', 'admin'], approval: false },
  sleep: { roles: ['operator', 'admin'], approval: false },
  wake: { roles: ['operator', 'admin'], approval: false },
  'power.target': { roles: ['operator', 'admin'], approval: false },
  'power.mode': { roles: ['operator', 'admin'], approval: false },
  'outlet.off': { roles: ['operator', 'admin'], approval: false },
  'outlet.on': { roles: ['operator', 'admin'], approval: false },
  'pool.set': { roles: ['operator', 'admin'], approval: true },
  // A firmware change reflashes the miner: a second person, as for a pool change (issue 20 item 1).
  'firmware.upgrade': { roles: ['operator', 'admin'], approval: true },
  // Taking a miner out of polling hides it from monitoring: not a technician's call.
  'poll.stop': { roles: ['operator', 'admin'], approval: false },
  'poll.resume': { roles: ['operator', 'admin'], approval: false },
};

export const APPROVER_ROLES: Role[] = ['operator', 'admin'];

/** Why a role may not request an op, or null when it may. */
export function refusalFor(role: Role, op: Op): string | null {
  const policy = COMMAND_POLICY[op];
  return policy.roles.includes(role)
    ? null
    : `role ${role} may not ${op}; requires one of: ${policy.roles.join(', ')}`;
}
