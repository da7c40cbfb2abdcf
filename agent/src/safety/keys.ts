import { type KeyObject, verify } from 'node:crypto';
import type { SignatureCheck } from './verify.js';

/**
 * Rule sets are verified with the keys the agent trusts for commands (`loadCommandKeys`), chosen
 * strictly by the signature's keyId: rule sets are newer than key ids, so there is no unnamed
 * legacy signer to fall back for.
 */
export function ruleSetSignatureCheck(keys: ReadonlyMap<string, KeyObject>): SignatureCheck {
  return (bytes, signature) => {
    const key = keys.get(signature.keyId);
    return key !== undefined && verify(null, bytes, key, Buffer.from(signature.sig, 'base64'));
  };
}
