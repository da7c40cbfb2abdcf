import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { FeatureContext } from '../../core/feature.js';
import { openPeriods } from '../entries.js';
import { adjustPeriod, getClose, journalOf, listCloses, recomputeStored, storedDocument } from '../ledger.js';
import { closeAndPublish } from '../service.js';
import { reconciliationOf, stakerHolders, stakerInPeriod } from '../views.js';
import { fail, MONEY, MONEY_OR_STAKER, PeriodParam, Sats, send } from './http.js';
import { Canonical, Doc, Docs, made, ok } from './schemas.js';

const CloseBody = z.object({ override: z.string().min(3).max(500).optional() }).nullish();

/** Periods: list, close, recompute, inputs/outputs documents, journal, reconciliation, adjustments. */
/**
 * Long because a route plugin is the sum of its routes: one registration each, with its schemas, whose
 * handlers are short calls into the accounting service.
 */
export const periodRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const { db, audit } = ctx;
  const deps = { db, audit, influx: ctx.influx, now: ctx.now };
  const money = { onRequest: app.authorize(...MONEY) };
  const moneyOrStaker = { onRequest: app.authorize(...MONEY_OR_STAKER) };
  const tags = ['accounting'];

  app.get(
    '/periods/open',
    {
      ...money,
      schema: { response: ok(Docs), tags, summary: 'Periods with a pool credit entered, not closed yet' },
    },
    async (_req, reply) => send(reply, 200, await openPeriods(db)),
  );

  app.get(
    '/periods',
    { ...money, schema: { response: ok(Docs), tags, summary: 'Closed periods' } },
    async (_req, reply) => send(reply, 200, await listCloses(db)),
  );

  app.post(
    '/periods/:id/close',
    {
      ...money,
      schema: {
        response: { ...made(Doc), 200: Doc.describe('Already closed: the stored close') },
        tags,
        params: PeriodParam,
        summary:
          'Close a period: in order, and complete (GET /periods/:id/completeness) unless `override` gives the reason to close it anyway (audited)',
        body: CloseBody,
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      try {
        const override = (request.body as { override?: string } | undefined)?.override;
        const summary = await closeAndPublish(deps, id, request.principal!, { override });
        return send(reply, summary.alreadyClosed ? 200 : 201, summary);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.post(
    '/periods/:id/recompute',
    { ...money, schema: { response: ok(Doc), tags, params: PeriodParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      try {
        return send(reply, 200, await recomputeStored(db, id));
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  for (const which of ['inputs', 'outputs'] as const) {
    app.get(
      `/periods/:id/${which}`,
      { ...moneyOrStaker, schema: { response: ok(Canonical), tags, params: PeriodParam } },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const p = request.principal!;
        if (p.role === 'staker' && !(p.stakerId && (await stakerInPeriod(db, p.stakerId, id)))) {
          return send(reply, 403, {
            error: 'forbidden',
            message: `period ${id}: a staker sees the ${which} only of periods they were paid in`,
          });
        }
        const doc = await storedDocument(db, id, which);
        if (doc === null)
          return send(reply, 404, { error: 'not_found', message: `period ${id}: not closed` });
        // The stored bytes, untouched: sha256 of this body is the published hash.
        return reply.code(200).type('application/json; charset=utf-8').send(doc);
      },
    );
  }

  app.get(
    '/periods/:id/journal',
    { ...money, schema: { response: ok(Docs), tags, params: PeriodParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!(await getClose(db, id)))
        return send(reply, 404, { error: 'not_found', message: `period ${id}: not closed` });
      // The ledger names stakers by holder hash; the operator's view adds who that is.
      const stakers = new Map((await stakerHolders(db)).map((r) => [r.holder, r.id]));
      const lines = (await journalOf(db, id)).map((l) => {
        const holder = l.account.startsWith('liability:staker:')
          ? l.account.slice('liability:staker:'.length)
          : null;
        return { ...l, stakerId: holder ? (stakers.get(holder) ?? null) : null };
      });
      return send(reply, 200, lines);
    },
  );

  app.get(
    '/periods/:id/reconciliation',
    { ...money, schema: { response: ok(Doc), tags, params: PeriodParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      try {
        return send(reply, 200, await reconciliationOf(db, id));
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  const Adjustment = z.object({
    memo: z.string().min(1).max(500),
    idempotencyKey: z.string().min(1).max(200),
    lines: z
      .array(
        z.object({
          account: z.string().min(1).max(200),
          debitSats: Sats.default(0n),
          creditSats: Sats.default(0n),
        }),
      )
      .min(2)
      .max(1000),
  });
  app.post(
    '/periods/:id/adjustments',
    {
      ...money,
      schema: {
        response: { ...made(Doc), 200: Doc.describe('Already recorded (idempotencyKey): the first result') },
        tags,
        params: PeriodParam,
        body: Adjustment,
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      try {
        const r = await adjustPeriod(
          deps,
          id,
          request.body as z.infer<typeof Adjustment>,
          request.principal!,
        );
        return send(reply, r.created ? 201 : 200, r);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );
};
