import {
  formatIssues,
  type SafetyRuleSet,
  SafetyRuleSetSchema,
  safetySigningBytes,
} from '@hashfleet/contracts';

export type RuleSetRefusal = 'malformed' | 'unsigned' | 'bad_signature' | 'wrong_agent' | 'replayed';

export type RuleSetVerdict =
  | { ok: true; ruleSet: SafetyRuleSet; unchanged: boolean }
  | { ok: false; refusal: RuleSetRefusal; message: string };

/** Checks a signature over bytes with the controller key(s) the agent trusts for commands. */
export type SignatureCheck = (bytes: Uint8Array, signature: SafetyRuleSet['signature']) => boolean;

/**
 * Decides whether a pushed rule set replaces the one held. Same order as commands: nothing it says
 * is trusted before the signature verifies; then it must be for this agent and newer than what is
 * held (an older signed set replayed would switch protection back to weaker rules). The same
 * revision again is the retained copy arriving on reconnect: accepted as unchanged.
 */
export function verifyRuleSet(
  payload: Uint8Array | string,
  ctx: { agentId: string; check: SignatureCheck; heldRevision: number | null },
): RuleSetVerdict {
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch (err) {
    return { ok: false, refusal: 'malformed', message: `not JSON: ${(err as Error).message}` };
  }
  const obj = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  if (obj['signature'] === undefined || obj['signature'] === null)
    return { ok: false, refusal: 'unsigned', message: 'rule set carries no signature' };
  const parsed = SafetyRuleSetSchema.safeParse(json);
  if (!parsed.success)
    return { ok: false, refusal: 'malformed', message: formatIssues(parsed.error, 'safety rule set') };
  const set = parsed.data;
  let good = false;
  try {
    good = ctx.check(safetySigningBytes(set), set.signature);
  } catch {
    good = false;
  }
  if (!good)
    return {
      ok: false,
      refusal: 'bad_signature',
      message: `signature does not verify (keyId ${set.signature.keyId})`,
    };
  if (set.agentId !== ctx.agentId)
    return {
      ok: false,
      refusal: 'wrong_agent',
      message: `rule set is for agent "${set.agentId}", this is "${ctx.agentId}"`,
    };
  if (ctx.heldRevision !== null && set.revision < ctx.heldRevision)
    return {
      ok: false,
      refusal: 'replayed',
      message: `revision ${set.revision} is older than the held revision ${ctx.heldRevision}`,
    };
  return { ok: true, ruleSet: set, unchanged: set.revision === ctx.heldRevision };
}
