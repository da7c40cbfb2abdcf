import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { FeatureContext } from '../../core/feature.js';
import { parseMicro } from '../../energy/index.js';
import { addBtcPrice, addCost, addCredit, addNetworkStats } from '../entries.js';
import { fail, IsoTime, input, MONEY, Sats, send } from './http.js';
import { Doc, made } from './schemas.js';

/** Operator-entered close inputs: pool credits, other costs, BTC prices, network difficulty. */
/**
 * Long because a route plugin is the sum of its routes: one registration each, with its schemas, whose
 * handlers are short calls into the accounting service.
 */
export const inputRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const { db, audit } = ctx;
  const money = { onRequest: app.authorize(...MONEY) };
  const tags = ['accounting'];

  const Credit = z.object({
    periodId: z.string().min(1).max(40),
    pool: z.string().min(1).max(100),
    reference: z.string().min(1).max(200),
    amountSats: Sats,
  });
  app.post(
    '/credits',
    {
      ...money,
      schema: {
        response: {
          ...made(Doc),
          200: Doc.describe('Already entered (pool and reference): nothing changed'),
        },
        tags,
        summary: 'BTC credited by the pool for a period',
        body: Credit,
      },
    },
    async (request, reply) => {
      const b = request.body as z.infer<typeof Credit>;
      try {
        const r = await db.tx(async (tx) => {
          const c = await addCredit(tx, b, request.principal!.name, ctx.now());
          if (c.created)
            await audit.record({
              actor: request.principal!,
              action: 'accounting.credit.add',
              subject: `period ${b.periodId}`,
              details: { ...b, amountSats: `${b.amountSats}` },
            });
          return c;
        });
        return send(reply, r.created ? 201 : 200, r);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  const Cost = z.object({
    periodId: z.string().min(1).max(40),
    description: z.string().min(1).max(200),
    currency: z.string().regex(/^(BTC|[A-Z]{3})$/),
    amount: z.string().max(30).optional(),
    amountSats: Sats.optional(),
  });
  app.post(
    '/costs',
    {
      ...money,
      schema: { response: made(Doc), tags, summary: 'Another operating cost of a period', body: Cost },
    },
    async (request, reply) => {
      const b = request.body as z.infer<typeof Cost>;
      try {
        const amountMicro =
          b.amount === undefined ? undefined : input('body.amount', () => parseMicro(b.amount!, 'amount'));
        const r = await db.tx(async (tx) => {
          const c = await addCost(tx, { ...b, amountMicro }, request.principal!.name, ctx.now());
          await audit.record({
            actor: request.principal!,
            action: 'accounting.cost.add',
            subject: `period ${b.periodId}`,
            details: { ...b, amountSats: b.amountSats?.toString() },
          });
          return c;
        });
        return send(reply, 201, r);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  const Price = z.object({
    currency: z.string().regex(/^[A-Z]{3}$/),
    price: z.string().max(30),
    source: z.string().min(1).max(200),
    observedAt: IsoTime,
  });
  app.post(
    '/btc-prices',
    {
      ...money,
      schema: { response: made(Doc), tags, summary: 'BTC price used to convert fiat costs', body: Price },
    },
    async (request, reply) => {
      const b = request.body as z.infer<typeof Price>;
      try {
        const priceMicro = input('body.price', () => parseMicro(b.price, 'price'));
        const r = await db.tx(async (tx) => {
          const p = await addBtcPrice(
            tx,
            { currency: b.currency, priceMicro, source: b.source, observedAtMs: b.observedAt },
            request.principal!.name,
            ctx.now(),
          );
          await audit.record({
            actor: request.principal!,
            action: 'accounting.btc_price.add',
            subject: `BTC/${b.currency}`,
            details: b,
          });
          return p;
        });
        return send(reply, 201, r);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  const Network = z.object({
    difficulty: z.number().positive(),
    blockHeight: z.number().int().nonnegative(),
    feesPerBlockSats: Sats,
    source: z.string().min(1).max(200),
    observedAt: IsoTime,
  });
  app.post(
    '/network',
    {
      ...money,
      schema: {
        response: made(Doc),
        tags,
        summary: 'Network difficulty and fees, for expected revenue',
        body: Network,
      },
    },
    async (request, reply) => {
      const b = request.body as z.infer<typeof Network>;
      const r = await db.tx(async (tx) => {
        const n = await addNetworkStats(
          tx,
          { ...b, observedAtMs: b.observedAt },
          request.principal!.name,
          ctx.now(),
        );
        await audit.record({
          actor: request.principal!,
          action: 'accounting.network.add',
          subject: 'network',
          details: { ...b, feesPerBlockSats: `${b.feesPerBlockSats}` },
        });
        return n;
      });
      return send(reply, 201, r);
    },
  );
};
