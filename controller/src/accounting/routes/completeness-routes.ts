import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { FeatureContext } from '../../core/feature.js';
import { periodReadiness, waivePeriod } from '../completeness.js';
import { fail, MONEY, PeriodParam, send } from './http.js';
import { Doc, made, ok } from './schemas.js';

/**
 * Before a close: the completeness report of a period (per container-hour telemetry and energy
 * coverage, work, credit; stored with the period once closed), whether it is next in order, and
 * the waiver of a period that will never be closed.
 */
export const completenessRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const { db, audit } = ctx;
  const money = { onRequest: app.authorize(...MONEY) };
  const tags = ['accounting'];

  app.get(
    '/periods/:id/completeness',
    {
      ...money,
      schema: {
        response: ok(Doc),
        tags,
        params: PeriodParam,
        summary: 'Completeness of a period per container-hour, the thresholds, and whether it may close now',
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      try {
        return send(reply, 200, await periodReadiness(db, id, ctx.now()));
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.post(
    '/periods/:id/waive',
    {
      ...money,
      schema: {
        response: made(Doc),
        tags,
        params: PeriodParam,
        summary:
          'Waive a period that will never be closed, with the reason (audited); the next may then close',
        body: z.object({ reason: z.string().min(3).max(500) }),
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const { reason } = request.body as { reason: string };
      try {
        return send(
          reply,
          201,
          await waivePeriod({ db, audit, now: ctx.now }, id, reason, request.principal!),
        );
      } catch (e) {
        return fail(reply, e);
      }
    },
  );
};
