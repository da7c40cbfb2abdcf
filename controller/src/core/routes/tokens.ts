import { IdSchema } from '@hashfleet/contracts';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { RoleSchema } from '../auth/roles.js';
import { createToken, listTokens, revokeToken } from '../auth/tokens.js';
import type { CoreContext } from '../context.js';
import { IdParams, notFound } from '../http/common.js';
import { created, errors } from '../http/responses.js';

const TokenView = z.object({
  id: z.string(),
  name: z.string(),
  role: RoleSchema,
  stakerId: z.string().nullable(),
  createdAt: z.number(),
  revokedAt: z.number().nullable(),
});

const TokenBody = z.object({
  role: RoleSchema,
  name: z.string().min(1).max(100),
  stakerId: z.string().min(1).max(100).nullable().default(null),
  /** Role agent: the containers (each with its site) the agent may speak for (issue 17). */
  places: z
    .array(z.object({ siteId: IdSchema, containerId: IdSchema }))
    .max(1000)
    .optional(),
});

export const tokenRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  app.post(
    '/tokens',
    {
      preHandler: app.authorize('admin'),
      schema: {
        tags: ['auth'],
        summary: 'Create an API token (shown once)',
        body: TokenBody,
        response: {
          201: created(z.object({ token: z.string(), role: RoleSchema, name: z.string() })),
          ...errors(400),
        },
      },
    },
    async (request, reply) => {
      const body = request.body as z.infer<typeof TokenBody>;
      if (body.role === 'staker' && !body.stakerId) {
        return reply
          .code(400)
          .send({ error: 'bad_request', message: 'body.stakerId: required for role staker' });
      }
      if (body.places?.length && body.role !== 'agent') {
        return reply
          .code(400)
          .send({ error: 'bad_request', message: 'body.places: only an agent token is bound to places' });
      }
      const token = await ctx.db.tx(async (tx) => {
        const t = await createToken(tx, body, ctx.now());
        await ctx.audit.record({
          actor: request.principal!,
          action: 'token.create',
          subject: `token ${body.name}`,
          details: body,
        });
        return t;
      });
      return reply.code(201).send({ token, role: body.role, name: body.name });
    },
  );
  app.get(
    '/tokens',
    { preHandler: app.authorize('admin'), schema: { tags: ['auth'], response: { 200: z.array(TokenView) } } },
    async () => {
      const rows = await listTokens(ctx.db);
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        role: r.role,
        stakerId: r.staker_id,
        createdAt: r.created_at,
        revokedAt: r.revoked_at,
      }));
    },
  );
  app.delete(
    '/tokens/:id',
    {
      preHandler: app.authorize('admin'),
      schema: {
        tags: ['auth'],
        params: IdParams,
        response: { 200: z.object({ id: z.string(), revoked: z.literal(true) }), ...errors(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const done = await ctx.db.tx(async (tx) => {
        const ok = await revokeToken(tx, id, ctx.now());
        if (ok)
          await ctx.audit.record({
            actor: request.principal!,
            action: 'token.revoke',
            subject: `token ${id}`,
            details: {},
          });
        return ok;
      });
      return done ? { id, revoked: true } : notFound(reply, `token ${id}`);
    },
  );
};
