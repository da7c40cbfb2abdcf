import { z } from 'zod';
import { accepted } from '../core/http/responses.js';

/** Response schemas of the command routes (and of the features that issue commands). */

const S = z.string().nullable();
const N = z.number().nullable();

/** `IssuedCommand` (core/feature.ts). */
export const Issued = z.looseObject({ id: z.string(), state: z.string(), seq: N, agentId: z.string() });

/** 202 while the command waits for approval or its result; 502 when it could not be sent. */
export const issuedResponses = {
  202: accepted(Issued),
  502: Issued.describe('The command could not be sent to its agent (state failed)'),
};

/** A stored command as the API shows it (`commandView`). */
export const CommandView = z.looseObject({
  id: z.string(),
  agentId: z.string(),
  seq: N,
  op: z.string(),
  target: z.unknown(),
  minerId: S,
  action: z.unknown(),
  issuer: S,
  requestedBy: S,
  approvedBy: S,
  state: z.string(),
  createdAt: z.number(),
  issuedAt: N,
  expiresAt: N,
  result: z.unknown(),
  finishedAt: N,
  retryOf: S,
  bulkJobId: S,
});

export const CommandStates = z.looseObject({
  id: z.string(),
  op: z.string(),
  state: z.string(),
  windowEndsAt: N,
  settledAt: N,
  states: z.array(
    z.looseObject({ state: z.string(), at: z.number(), reply: S, observed: S, message: S, windowEndsAt: N }),
  ),
});
