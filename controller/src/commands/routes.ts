import { CommandActionSchema } from '@hashfleet/contracts';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CoreContext } from '../core/context.js';
import { IdParams, notFound, parseJson, READERS } from '../core/http/common.js';
import { errors } from '../core/http/responses.js';
import { MinerCommandBody } from './bodies.js';
import { sendError } from './http-errors.js';
import { minerTarget, outletMiner, pduAgent } from './queries.js';
import { CommandView, issuedResponses } from './schemas.js';
import { CommandError, type CommandRow } from './service.js';
import { listCommands, retryCommand } from './tracking.js';

const OutletCommandBody = z.discriminatedUnion('op', [
  z.object({ op: z.literal('outlet.cycle'), offSeconds: z.number().int().min(1).max(600).default(10) }),
  z.object({ op: z.literal('outlet.off') }),
  z.object({ op: z.literal('outlet.on') }),
]);
const OutletParams = z.object({ pduId: z.string().min(1), outlet: z.coerce.number().int().min(1).max(96) });

/** A stored command as the API shows it; a pool password never leaves the controller. */
export function commandView(c: CommandRow) {
  const action = parseJson<Record<string, unknown>>(c.action_json);
  if (action && 'password' in action) action.password = '***';
  return {
    id: c.id,
    agentId: c.agent_id,
    seq: c.seq,
    op: c.op,
    target: c.target,
    minerId: c.miner_id,
    action,
    issuer: c.issuer,
    requestedBy: c.requested_by,
    approvedBy: c.approved_by,
    state: c.state,
    createdAt: c.created_at,
    issuedAt: c.issued_at,
    expiresAt: c.expires_at,
    result: parseJson(c.result_json),
    finishedAt: c.finished_at,
    retryOf: c.retry_of,
    bulkJobId: c.bulk_job_id,
  };
}

const CommandQuery = z.object({
  miner: z.string().min(1).max(200).optional(),
  state: z.string().min(1).max(40).optional(),
  bulk: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/**
 * Long because a route plugin is the sum of its routes: one registration each, with its schemas; the
 * handlers are short calls into the command service.
 */
export const commandRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  app.post(
    '/miners/:id/commands',
    {
      preHandler: app.authorize('admin', 'operator', 'technician'),
      schema: {
        tags: ['commands'],
        summary: 'Send a signed command to a miner (pool.set waits for a second approver)',
        params: IdParams,
        body: MinerCommandBody,
        response: { ...issuedResponses, ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const body = request.body as z.infer<typeof MinerCommandBody>;
      const target = await minerTarget(ctx.db, id);
      if (!target) return notFound(reply, `miner ${id}`);
      if (!target.agent_id || !target.miner_key) {
        return reply
          .code(409)
          .send({ error: 'conflict', message: `miner ${id}: no agent polls it, so no command can reach it` });
      }
      const action = CommandActionSchema.parse({
        ...body,
        target: { kind: 'miner', minerKey: target.miner_key },
      });
      try {
        const issued = await ctx.commands.issue({
          actor: request.principal!,
          agentId: target.agent_id,
          action,
          minerId: id,
        });
        return reply.code(issued.state === 'failed' ? 502 : 202).send(issued);
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );

  app.post(
    '/pdus/:pduId/outlets/:outlet/commands',
    {
      preHandler: app.authorize('admin', 'operator', 'technician'),
      schema: {
        tags: ['commands'],
        summary: 'Switch or power-cycle a PDU outlet',
        params: OutletParams,
        body: OutletCommandBody,
        response: { ...issuedResponses, ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { pduId, outlet } = request.params as z.infer<typeof OutletParams>;
      const body = request.body as z.infer<typeof OutletCommandBody>;
      const pdu = await pduAgent(ctx.db, pduId);
      if (!pdu) return notFound(reply, `pdu ${pduId}`);
      if (!pdu.agent_id)
        return reply.code(409).send({ error: 'conflict', message: `pdu ${pduId}: no agent polls it` });
      const slot = await outletMiner(ctx.db, pduId, outlet);
      const action = CommandActionSchema.parse({ ...body, target: { kind: 'outlet', pduId, outlet } });
      try {
        const issued = await ctx.commands.issue({
          actor: request.principal!,
          agentId: pdu.agent_id,
          action,
          minerId: slot?.miner_id ?? null,
        });
        return reply.code(issued.state === 'failed' ? 502 : 202).send(issued);
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );

  app.post(
    '/commands/:id/approve',
    {
      preHandler: app.authorize('admin', 'operator'),
      schema: {
        tags: ['commands'],
        summary: 'Second-person approval (pool.set)',
        params: IdParams,
        response: { ...issuedResponses, ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      try {
        const issued = await ctx.commands.approve(request.principal!, id);
        return reply.code(issued.state === 'failed' ? 502 : 202).send(issued);
      } catch (err) {
        if (err instanceof CommandError && err.statusCode === 404) return notFound(reply, `command ${id}`);
        return sendError(reply, err);
      }
    },
  );

  app.get(
    '/commands/:id',
    {
      preHandler: app.authorize(...READERS),
      schema: { tags: ['commands'], params: IdParams, response: { 200: CommandView, ...errors(404) } },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const c = await ctx.commands.get(id);
      if (!c) return notFound(reply, `command ${id}`);
      return commandView(c);
    },
  );

  app.get(
    '/commands',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['commands'],
        summary: 'Commands, newest first',
        querystring: CommandQuery,
        response: { 200: z.array(CommandView) },
      },
    },
    async (request) => {
      const q = request.query as z.infer<typeof CommandQuery>;
      return (await listCommands(ctx.db, q)).map(commandView);
    },
  );

  app.post(
    '/commands/:id/retry',
    {
      preHandler: app.authorize('admin', 'operator', 'technician'),
      schema: {
        tags: ['commands'],
        summary:
          'Re-issue a command that expired without a result (safe operations; pool.set needs a fresh approval)',
        params: IdParams,
        response: { ...issuedResponses, ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      try {
        const issued = await retryCommand(ctx.commands, ctx.db, request.principal!, id);
        return reply.code(issued.state === 'failed' ? 502 : 202).send(issued);
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );
};
