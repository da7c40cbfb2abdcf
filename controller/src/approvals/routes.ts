/**
 * The approvals inbox, under /api/v1 (issue 19 item 6): every change waiting for a second person.
 *
 *   GET  /approvals
 *     -> [{ kind: "command"|"bulk"|"relocation", id, op: "pool.set", title, requestedBy: "op-anna",
 *           requestedByRole, requestedAt (ms), mine, canApprove, refusal,
 *           pool: { url, user } | null, miner: { minerId, serial, assetCode, model, containerId, rack, slot } | null,
 *           scope: { containerId, siteId, model, miners, refused } | null, plan: { moveCount, gainUsd } | null,
 *           expiresAt, approvePath: "/commands/<id>/approve", rejectPath: "/approvals/command/<id>/reject" }]
 *   POST /approvals/:kind/:id/reject { reason? }  -> 200 { kind, id, state: "rejected" }; 404 when nothing waits
 *   POST /names { ids: [...] }  (staff) -> { "<id>": { kind: "plan"|"bulk"|"command"|"miner"|"token"|"ticket"|"alert",
 *        name: "winter move", minerId } }: what a person reads for the ids an audit entry carries
 *
 * Approving goes to each kind's own route (`approvePath`), so the rules stay where they are kept:
 * operator/admin, never the requester. Rejecting is open to the same roles, the requester
 * included (withdrawing one's own request needs no second person).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { STAFF } from '../core/auth/roles.js';
import type { FeatureContext } from '../core/feature.js';
import { errors } from '../core/http/responses.js';
import { minerNames } from '../fleet/index.js';
import { inbox } from './inbox.js';
import { namesOf } from './names.js';
import {
  APPROVAL_KINDS,
  type ApprovalKind,
  pendingBulkJobs,
  pendingCommands,
  proposedPlans,
  rejectPending,
} from './store.js';

const S = z.string().nullable();
const ItemView = z.object({
  kind: z.enum(APPROVAL_KINDS),
  id: z.string(),
  op: z.string(),
  title: S,
  requestedBy: z.string(),
  requestedByRole: S,
  requestedAt: z.number(),
  mine: z.boolean(),
  canApprove: z.boolean(),
  refusal: S,
  pool: z.object({ url: z.string(), user: z.string() }).nullable(),
  miner: z
    .object({
      minerId: z.string(),
      serial: S,
      assetCode: S,
      model: S,
      containerId: S,
      rack: S,
      slot: S,
    })
    .nullable(),
  scope: z
    .object({
      containerId: S,
      siteId: S,
      model: S,
      miners: z.number(),
      refused: z.number(),
    })
    .nullable(),
  plan: z.object({ moveCount: z.number(), gainUsd: z.number() }).nullable(),
  expiresAt: z.number().nullable(),
  approvePath: z.string(),
  rejectPath: z.string(),
});

const NamesBody = z.object({ ids: z.array(z.string().min(1).max(200)).max(1000) });
const NamedView = z.object({
  kind: z.enum(['plan', 'bulk', 'command', 'miner', 'token', 'ticket', 'alert']),
  name: z.string(),
  minerId: S,
});

const RejectParams = z.object({ kind: z.enum(APPROVAL_KINDS), id: z.string().min(1).max(200) });
const RejectBody = z.object({ reason: z.string().max(500).default('') }).default({ reason: '' });

export const approvalRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const approvers = { preHandler: app.authorize('admin', 'operator') };
  const ttlS = ctx.config.commands.approvalTtlS;

  app.get(
    '/approvals',
    {
      ...approvers,
      schema: {
        tags: ['approvals'],
        summary: 'Every change waiting for a second person (pool changes, bulk jobs, relocation plans)',
        response: { 200: z.array(ItemView) },
      },
    },
    async (request) => {
      const now = ctx.now();
      const [commands, bulk, plans] = [
        await pendingCommands(ctx.db, now - ttlS * 1000),
        await pendingBulkJobs(ctx.db),
        await proposedPlans(ctx.db),
      ];
      const names = await minerNames(
        ctx.db,
        commands.map((c) => c.miner_id),
      );
      return inbox(request.principal!, { commands, bulk, plans }, names, ttlS);
    },
  );

  app.post(
    '/approvals/:kind/:id/reject',
    {
      ...approvers,
      schema: {
        tags: ['approvals'],
        summary: 'Turn down a waiting change (or withdraw one of your own)',
        params: RejectParams,
        body: RejectBody,
        response: {
          200: z.object({ kind: z.enum(APPROVAL_KINDS), id: z.string(), state: z.literal('rejected') }),
          ...errors(404),
        },
      },
    },
    async (request, reply) => {
      const { kind, id } = request.params as { kind: ApprovalKind; id: string };
      const { reason } = (request.body ?? { reason: '' }) as z.infer<typeof RejectBody>;
      const done = await rejectPending(ctx.db, ctx.audit, request.principal!, kind, id, reason, ctx.now());
      if (!done)
        return reply
          .code(404)
          .send({ error: 'not_found', message: `${kind} ${id}: nothing of that kind waits for approval` });
      return { kind, id, state: 'rejected' as const };
    },
  );

  app.post(
    '/names',
    {
      preHandler: app.authorize(...STAFF),
      schema: {
        tags: ['approvals'],
        summary: 'Names for internal ids (plans, bulk jobs, commands, miners, tokens, tickets, alerts)',
        body: NamesBody,
        response: { 200: z.record(z.string(), NamedView) },
      },
    },
    async (request) => namesOf(ctx.db, (request.body as z.infer<typeof NamesBody>).ids),
  );
};
