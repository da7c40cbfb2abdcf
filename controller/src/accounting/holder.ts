import { createHash, randomBytes } from 'node:crypto';

/**
 * A staker as they appear in a close's inputs and outputs: sha256("hashfleet-holder:" + salt +
 * ":" + stakerId), with a random per-staker salt kept in the register and shown only to that
 * staker. Published close documents name no one, yet each staker can recognise their own rows
 * and the operator can map every holder back to a staker.
 */
export function newHolderSalt(): string {
  return randomBytes(16).toString('hex');
}

export function holderOf(stakerId: string, salt: string): string {
  return createHash('sha256').update(`hashfleet-holder:${salt}:${stakerId}`).digest('hex').slice(0, 32);
}
