import { generateKeyPairSync, sign } from 'node:crypto';
import {
  type SafetyRule,
  type SafetyRuleSet,
  safetySigningBytes,
  type UnsignedSafetyRuleSet,
} from '@hashfleet/contracts';
import { commandKeyId } from '../src/commands/verify.js';

export const CHIP_RULE: SafetyRule = {
  id: 'chip-overtemp',
  metric: 'chipTempMaxC',
  op: '>',
  limit: 'modelLimit',
  polls: 2,
  action: 'sleep',
  fallback: 'outlet.off',
};

/** Signs rule sets as the controller does: Ed25519 over safetySigningBytes, keyId from the key. */
export class RuleSigner {
  readonly #keys = generateKeyPairSync('ed25519');
  readonly publicKeyBase64 = this.#keys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  readonly keyId = commandKeyId(this.#keys.publicKey);

  ruleSet(agentId: string, revision: number, over: Partial<UnsignedSafetyRuleSet> = {}): SafetyRuleSet {
    const unsigned: UnsignedSafetyRuleSet = {
      v: 1,
      kind: 'safety',
      agentId,
      revision,
      issuedAt: 1_780_000_000_000,
      rules: [CHIP_RULE],
      modelLimits: { 'Antminer S9': { chipTempMaxC: 90 } },
      defaultLimits: { chipTempMaxC: 90 },
      ...over,
    };
    const sig = sign(null, safetySigningBytes(unsigned), this.#keys.privateKey).toString('base64');
    return { ...unsigned, signature: { alg: 'ed25519', keyId: this.keyId, sig } };
  }
}
