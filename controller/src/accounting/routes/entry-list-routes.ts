import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { FeatureContext } from '../../core/feature.js';
import { listCosts, listCredits, listStakeEntries } from '../entry-lists.js';
import { MONEY, send } from './http.js';
import { Docs, ok } from './schemas.js';

/**
 * The entered close inputs read back, newest first, for the Accounting screen's lists (issue 19
 * item 6): pool credits and other costs (of one period when `periodId` is given), and the stake
 * register's entries across stakers. Operator and admin, like the routes that take them
 * (input-routes.ts, register-routes.ts).
 *
 *   GET /credits?periodId=&limit= -> [{ periodId, pool, reference, amountSats, enteredBy, enteredAt }]
 *   GET /costs?periodId=&limit=   -> [{ periodId, description, currency, amount, amountSats, enteredBy, enteredAt }]
 *   GET /stakes?limit=            -> [stake entry as /stakers/:id/stakes gives it, plus stakerName, nodeName]
 */
const ListQuery = z.object({
  periodId: z.string().min(1).max(40).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const entryListRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const { db } = ctx;
  const money = { onRequest: app.authorize(...MONEY) };
  const tags = ['accounting'];

  // Credits and costs: the same query (of one period, or all), each read by its own list.
  const byPeriod = (path: string, summary: string, list: typeof listCredits | typeof listCosts) =>
    app.get(
      path,
      { ...money, schema: { response: ok(Docs), tags, summary, querystring: ListQuery } },
      async (request, reply) => {
        const q = request.query as z.infer<typeof ListQuery>;
        return send(reply, 200, await list(db, q.periodId, q.limit));
      },
    );
  byPeriod('/credits', 'Pool credits entered', listCredits);
  byPeriod('/costs', 'Other costs entered', listCosts);

  app.get(
    '/stakes',
    {
      ...money,
      schema: {
        response: ok(Docs),
        tags,
        summary: 'Stake entries of every staker, newest first',
        querystring: ListQuery.omit({ periodId: true }),
      },
    },
    async (request, reply) => {
      const { limit } = request.query as { limit: number };
      return send(reply, 200, await listStakeEntries(db, limit));
    },
  );
};
