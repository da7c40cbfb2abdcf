import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { MinerCommandBody, sendError } from '../commands/index.js';
import type { CoreContext } from '../core/context.js';
import { IdParams, notFound, READERS } from '../core/http/common.js';
import { accepted, errors } from '../core/http/responses.js';
import {
  approveBulkJob,
  cancelBulkJob,
  createBulkJob,
  describeJob,
  type ItemAction,
  recentBulkJobIds,
} from './bulk.js';
import { BulkJobView } from './schemas.js';
import { minerLabel, SelectorSchema, selectMiners } from './selector.js';

export const Stagger = {
  batchSize: z.number().int().min(1).max(10_000).default(10),
  pauseS: z.number().int().min(0).max(3600).default(60),
};
const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) });
const BulkBody = z.object({ selector: SelectorSchema, action: MinerCommandBody, ...Stagger }).strict();

/** Bulk commands: staggered batches, per-miner progress, one approval for pool changes, cancel. */
export const bulkRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  const deps = { db: ctx.db, audit: ctx.audit, commands: ctx.commands };

  app.post(
    '/commands/bulk',
    {
      preHandler: app.authorize('admin', 'operator', 'technician'),
      schema: {
        tags: ['commands'],
        summary: 'One action for many miners, in batches with a pause between them',
        body: BulkBody,
        response: { 202: accepted(BulkJobView), ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body as z.infer<typeof BulkBody>;
      const miners = await selectMiners(ctx.db, body.selector);
      if (miners.length === 0)
        return reply.code(409).send({ error: 'conflict', message: 'the selector matches no miner' });
      try {
        const job = await createBulkJob(deps, {
          actor: request.principal!,
          kind: 'command',
          ref: null,
          op: body.action.op,
          selector: body.selector,
          params: body.action,
          batchSize: body.batchSize,
          pauseMs: body.pauseS * 1000,
          issuer: `bulk:${request.principal!.name}`,
          items: miners.map((miner) => ({
            miner,
            actions: [body.action as ItemAction],
            refusal: miner.agentId && miner.minerKey ? null : `${minerLabel(miner)}: no agent polls it`,
          })),
          now: ctx.now(),
        });
        return reply.code(202).send(await describeJob(ctx.db, job.id));
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );

  app.get(
    '/commands/bulk',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['commands'],
        summary: 'The latest bulk jobs, newest first, with per-miner progress',
        querystring: ListQuery,
        response: { 200: z.array(BulkJobView) },
      },
    },
    async (request) => {
      const { limit } = request.query as z.infer<typeof ListQuery>;
      const ids = await recentBulkJobIds(ctx.db, limit);
      return Promise.all(ids.map((id) => describeJob(ctx.db, id)));
    },
  );

  app.get(
    '/commands/bulk/:id',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['commands'],
        summary: 'A bulk job and its per-miner progress',
        params: IdParams,
        response: { 200: BulkJobView, ...errors(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const job = await describeJob(ctx.db, id);
      return job ?? notFound(reply, `bulk job ${id}`);
    },
  );

  app.post(
    '/commands/bulk/:id/approve',
    {
      preHandler: app.authorize('admin', 'operator'),
      schema: {
        tags: ['commands'],
        summary: 'Second-person approval of a whole bulk job',
        params: IdParams,
        response: { 202: accepted(BulkJobView), ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      try {
        await approveBulkJob(deps, request.principal!, id, ctx.now());
        return reply.code(202).send(await describeJob(ctx.db, id));
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );

  app.post(
    '/commands/bulk/:id/cancel',
    {
      preHandler: app.authorize('admin', 'operator', 'technician'),
      schema: {
        tags: ['commands'],
        summary: 'Stop a bulk job: no further batch is sent',
        params: IdParams,
        response: { 200: BulkJobView, ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      try {
        await cancelBulkJob(deps, request.principal!, id, ctx.now());
        return reply.send(await describeJob(ctx.db, id));
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );
};
