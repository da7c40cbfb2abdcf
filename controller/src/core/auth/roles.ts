import { z } from 'zod';

export const RoleSchema = z.enum(['admin', 'operator', 'technician', 'staker', 'agent']);
export type Role = z.infer<typeof RoleSchema>;

/** Who made a request: resolved from the bearer token. */
export type Principal = { tokenId: string; role: Role; stakerId: string | null; name: string };

/** The controller itself, for audit entries of automatic actions. */
export const SYSTEM: Principal = { tokenId: 'system', role: 'admin', stakerId: null, name: 'system' };

/** People who run the fleet (not stakers, not agents). */
export const STAFF: Role[] = ['admin', 'operator', 'technician'];
