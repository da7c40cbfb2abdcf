import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CoreContext } from '../../core/context.js';
import { parseJson, READERS } from '../../core/http/common.js';
import { errors } from '../../core/http/responses.js';
import {
  AuditQuery,
  type AuditQueryInput,
  auditQuerySql,
  auditRows,
  decodeCursor,
  encodeCursor,
} from '../audit-query.js';
import { withMinerNames } from '../names.js';
import { listEvents } from '../queries.js';
import { EventView, MinerNameView } from './schemas.js';

const EventsQuery = z.object({
  since: z.coerce.number().int().nonnegative().optional(),
  kind: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

const AuditEntry = z.looseObject({
  id: z.union([z.string(), z.number()]),
  at: z.number(),
  actor: z.object({
    tokenId: z.string().nullable(),
    name: z.string().nullable(),
    role: z.string().nullable(),
  }),
  action: z.string(),
  subject: z.string().nullable(),
  details: z.unknown(),
});

export const eventRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  app.get(
    '/events',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['events'],
        summary: 'Fleet events, newest first',
        querystring: EventsQuery,
        response: {
          200: z.array(EventView.extend({ minerId: z.string().nullable() }).extend(MinerNameView.shape)),
        },
      },
    },
    async (request) => {
      const q = request.query as z.infer<typeof EventsQuery>;
      const rows = await listEvents(ctx.db, q);
      return withMinerNames(
        ctx.db,
        rows.map((e) => ({
          id: e.id,
          at: e.at,
          kind: e.kind,
          minerId: e.miner_id,
          agentId: e.agent_id,
          details: parseJson(e.details_json),
        })),
      );
    },
  );

  app.get(
    '/audit',
    {
      preHandler: app.authorize('admin'),
      schema: {
        tags: ['audit'],
        summary:
          'The append-only audit log, newest first; filters combine (AND). More pages: pass the x-next-cursor response header back as cursor',
        querystring: AuditQuery,
        response: { 200: z.array(AuditEntry), ...errors(400) },
      },
    },
    async (request, reply) => {
      const q = request.query as AuditQueryInput;
      const cursor = q.cursor ? decodeCursor(q.cursor) : null;
      if (q.cursor && !cursor)
        return reply
          .code(400)
          .send({ error: 'bad_request', message: 'querystring.cursor: not a cursor from x-next-cursor' });
      const { sql, params } = auditQuerySql(q, cursor);
      const rows = await auditRows(ctx.db, sql, params);
      const page = rows.slice(0, q.limit);
      // The body stays a plain array (existing clients); the next page is named in a header.
      if (rows.length > q.limit) {
        const last = page.at(-1)!;
        reply.header('x-next-cursor', encodeCursor({ at: Number(last.at), id: last.id }));
      }
      return page.map((a) => ({
        id: a.id,
        at: Number(a.at),
        actor: { tokenId: a.actor_token_id, name: a.actor_name, role: a.actor_role },
        action: a.action,
        subject: a.subject,
        details: parseJson(a.details_json),
      }));
    },
  );
};
