import { z } from 'zod';
import { EpochMs, LIMITS, NonNegInt, PROTOCOL_VERSION } from './common.js';
import { formatIssues } from './decode.js';

/** Bounds of one acks message; the controller splits a bigger batch over several messages. */
export const ACK_LIMITS = { maxBoots: 64, maxRangesPerBoot: 1000 } as const;

/** Inclusive `[from, to]` seq range of one boot. */
const SeqRangeSchema = z
  .tuple([NonNegInt, NonNegInt])
  .refine(([from, to]) => from <= to, { message: 'range [from, to] needs from <= to' });

/**
 * Controller -> agent, QoS 1, not retained, on `hashfleet/v1/agents/<id>/acks`: the messages of
 * this agent the controller has durably applied, or recognised as already applied (a duplicate),
 * as seq ranges per bootId. A message leaves the agent's spool only once it is acked here
 * (docs/architecture.md §6.2, nothing is lost: a broker can PUBACK and then lose a message).
 */
export const AcksSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.literal('acks'),
  agentId: z.string().min(1).max(LIMITS.maxString),
  sentAt: EpochMs,
  boots: z
    .array(
      z.object({
        bootId: z.string().min(8).max(64),
        ranges: z.array(SeqRangeSchema).min(1).max(ACK_LIMITS.maxRangesPerBoot),
      }),
    )
    .min(1)
    .max(ACK_LIMITS.maxBoots),
});
export type Acks = z.infer<typeof AcksSchema>;

/** Sorted, merged inclusive ranges of a set of seqs: [1,2,3,7] -> [[1,3],[7,7]]. */
export function seqRanges(seqs: Iterable<number>): [number, number][] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else out.push([s, s]);
  }
  return out;
}

/** Validates an acks payload (size, JSON, schema, agent of the topic); never throws. */
export function decodeAcks(
  payload: Uint8Array | string,
  topicAgentId: string,
): { ok: true; value: Acks } | { ok: false; error: string } {
  const text = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  if (text.length > LIMITS.maxPayloadBytes) {
    return { ok: false, error: `acks: payload of ${text.length} bytes exceeds ${LIMITS.maxPayloadBytes}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `acks: not JSON: ${(err as Error).message}` };
  }
  const parsed = AcksSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: formatIssues(parsed.error, 'acks') };
  if (parsed.data.agentId !== topicAgentId) {
    return {
      ok: false,
      error: `acks.agentId: "${parsed.data.agentId}" does not match topic agent "${topicAgentId}"`,
    };
  }
  return { ok: true, value: parsed.data };
}
