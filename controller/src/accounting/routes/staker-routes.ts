import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { FeatureContext } from '../../core/feature.js';
import { fleetAttribution, stakerAttribution } from '../service.js';
import { breakdownOf, statementOf, statementsCsv, statementsOf } from '../views.js';
import { fail, Id, IsoTime, MONEY, MONEY_OR_STAKER, ownOnly, StakerParam, send } from './http.js';
import { csv, Doc, Docs, ok } from './schemas.js';

/** What a staker sees of their own: attributed hashrate, statements, CSV export. */
export const stakerRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const { db } = ctx;
  const moneyOrStaker = { onRequest: app.authorize(...MONEY_OR_STAKER) };
  const tags = ['accounting'];

  const Range = z.object({ from: IsoTime, to: IsoTime });
  const money = { onRequest: app.authorize(...MONEY) };
  app.get(
    '/attribution',
    {
      ...money,
      schema: {
        response: ok(Doc),
        tags,
        summary: 'Fleet work, effective hashrate, and attribution per staker and node',
        querystring: Range,
      },
    },
    async (request, reply) => {
      const q = request.query as { from: number; to: number };
      try {
        return send(reply, 200, await fleetAttribution(db, q.from, q.to));
      } catch (e) {
        return fail(reply, e);
      }
    },
  );
  app.get(
    '/stakers/:id/attribution',
    { ...moneyOrStaker, schema: { response: ok(Doc), tags, params: StakerParam, querystring: Range } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!ownOnly(request, reply, id)) return reply;
      const q = request.query as { from: number; to: number };
      try {
        return send(reply, 200, await stakerAttribution(db, id, q.from, q.to));
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.get(
    '/stakers/:id/statements',
    { ...moneyOrStaker, schema: { response: ok(Docs), tags, params: StakerParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!ownOnly(request, reply, id)) return reply;
      return send(reply, 200, await statementsOf(db, id));
    },
  );

  app.get(
    '/stakers/:id/statements.csv',
    {
      ...moneyOrStaker,
      schema: { response: csv, tags, params: StakerParam },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!ownOnly(request, reply, id)) return reply;
      const csv = statementsCsv(await statementsOf(db, id));
      return reply
        .code(200)
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="statements-${id}.csv"`)
        .send(csv);
    },
  );

  app.get(
    '/stakers/:id/statements/:periodId/breakdown',
    {
      ...moneyOrStaker,
      schema: {
        response: ok(Doc),
        tags,
        summary:
          "A staker's period from pool credit through costs by site and kind, net, the stakers' pool and the staker's share to the payout, with any loss carried",
        params: z.object({ id: Id, periodId: z.string().min(1).max(40) }),
      },
    },
    async (request, reply) => {
      const { id, periodId } = request.params as { id: string; periodId: string };
      if (!ownOnly(request, reply, id)) return reply;
      try {
        return send(reply, 200, await breakdownOf(db, id, periodId));
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.get(
    '/stakers/:id/statements/:periodId',
    {
      ...moneyOrStaker,
      schema: { response: ok(Doc), tags, params: z.object({ id: Id, periodId: z.string().min(1).max(40) }) },
    },
    async (request, reply) => {
      const { id, periodId } = request.params as { id: string; periodId: string };
      if (!ownOnly(request, reply, id)) return reply;
      try {
        return send(reply, 200, await statementOf(db, id, periodId));
      } catch (e) {
        return fail(reply, e);
      }
    },
  );
};
