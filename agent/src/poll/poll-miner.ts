import type { MinerReading } from '@hashfleet/contracts';
import type { DecodedReply, FirmwareProfile, ModelInfo, RawReplies } from '@hashfleet/firmware-profiles';
import { decodeReply } from '@hashfleet/firmware-profiles/decoder';
import { type FailureKind, failureKind } from '../transport/errors.js';
import { type RequestContext, sendRequest } from '../transport/request.js';

export type PollOutcome =
  | { ok: true; reading: MinerReading }
  | { ok: false; kind: FailureKind; message: string };

/**
 * One poll cycle of one miner: the profile's steps one after another (one request at a time per
 * miner), each under its own hard deadline. A required step that fails ends the poll with an error
 * naming the step; an optional one becomes a null reply. The profile's `parse` gets the raw bodies
 * and what the check already decoded of them, so no reply is decoded twice.
 */
export async function pollMiner(
  ctx: RequestContext,
  ip: string,
  profile: FirmwareProfile,
  modelInfo: ModelInfo | null,
  deadlineMs: number,
): Promise<PollOutcome> {
  const raw: RawReplies = {};
  const decoded = new Map<string, DecodedReply>();
  for (const step of profile.poll) {
    try {
      const body = await sendRequest(ctx, { ip, profileId: profile.id }, step.request, deadlineMs);
      if (!step.optional && step.request.transport !== 'http' && step.request.transport !== 'ssh') {
        const reply = decodeReply(body);
        if (reply.error !== null) return { ok: false, kind: 'parse', message: `${step.key}: ${reply.error}` };
        decoded.set(step.key, reply);
      }
      raw[step.key] = body;
    } catch (err) {
      if (step.optional) {
        raw[step.key] = null;
        continue;
      }
      return { ok: false, kind: failureKind(err), message: `${step.key}: ${(err as Error).message}` };
    }
  }
  try {
    return { ok: true, reading: profile.parse(raw, { modelInfo, decoded }) };
  } catch (err) {
    // Profiles promise never to throw; if one does, it is this miner's bad reply, not the agent's end.
    return { ok: false, kind: 'parse', message: `parse: ${(err as Error).message}` };
  }
}
