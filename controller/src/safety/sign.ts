import type { SafetyRuleSet, UnsignedCommand, UnsignedSafetyRuleSet } from '@hashfleet/contracts';
import type { CommandKey } from '../commands/index.js';

/**
 * Signs a rule set with the controller's command key, so agents verify it with the key(s) they
 * already trust for commands. The key signs canonical JSON without `signature` whatever the object
 * is (`commandSigningBytes`, the same bytes as `safetySigningBytes`), and the document's own `kind`
 * ("safety") is inside those bytes, so it can never verify as a command.
 */
export function signRuleSet(key: CommandKey, unsigned: UnsignedSafetyRuleSet): SafetyRuleSet {
  return key.sign(unsigned as unknown as UnsignedCommand) as unknown as SafetyRuleSet;
}
