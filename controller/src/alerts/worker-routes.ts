/**
 * Known-good workers (the `worker_changed` hijack guard), marked by a person. Operators and
 * admins only (a technician cannot decide where the hashrate goes); every mark is audited. The
 * next evaluation judges by it, so a `worker_changed` alert it explains resolves on that tick.
 *
 *   POST   /alerts/known-workers { minerId }                      -> the miner's current worker, now known good
 *   GET    /alerts/known-worker-patterns                          -> [{ siteId, pattern, createdAt, createdBy }]
 *   POST   /alerts/known-worker-patterns { siteId, pattern }      -> 201: workers matching it are fine at that site
 *   DELETE /alerts/known-worker-patterns?siteId=&pattern=         -> 204
 * A pattern matches the whole worker name; `*` is any run of characters (`hashshare.kz*`).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { WorkerPatternSchema } from '../core/config.js';
import type { FeatureContext } from '../core/feature.js';
import { created as createdStatus, errors, JsonObject, NoContent } from '../core/http/responses.js';
import { getSite, poolOf } from '../fleet/index.js';
import { fail } from './http.js';
import {
  addWorkerPattern,
  knownWorkerOf,
  listWorkerPatterns,
  minerPool,
  putKnownWorker,
  removeWorkerPattern,
} from './store.js';

const MarkBody = z.object({ minerId: z.string().min(1).max(200) });
const PatternBody = z.object({ siteId: z.string().min(1).max(200), pattern: WorkerPatternSchema });

const Pattern = z.object({
  siteId: z.string(),
  pattern: z.string(),
  createdAt: z.number(),
  createdBy: z.string().nullable(),
});

export const knownWorkerRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const { db, audit } = ctx;
  const operators = { preHandler: app.authorize('operator', 'admin') };
  const tags = ['alerts'];

  app.post(
    '/alerts/known-workers',
    {
      ...operators,
      schema: {
        tags,
        summary: "Mark a miner's current worker as known good",
        body: MarkBody,
        response: { 200: JsonObject.describe("the miner's worker, now known good"), ...errors(404, 409) },
      },
    },
    async (req, reply) => {
      const { minerId } = req.body as z.infer<typeof MarkBody>;
      const row = await minerPool(db, minerId);
      if (!row) return fail(reply, 404, `miner ${minerId}: not found`);
      const pool = poolOf(row);
      if (!pool) return fail(reply, 409, `miner ${minerId}: no pool worker reported yet; nothing to mark`);
      const known = { minerId, poolUrl: pool.url, worker: pool.user, source: 'operator', at: ctx.now() };
      await db.tx(async (tx) => {
        const before = await knownWorkerOf(tx, minerId);
        await putKnownWorker(tx, known);
        await audit.record({
          actor: req.principal!,
          action: 'alert.known_worker',
          subject: `miner ${minerId}`,
          details: { ...known, before: before ?? null },
        });
      });
      return known;
    },
  );

  app.get(
    '/alerts/known-worker-patterns',
    {
      ...operators,
      schema: {
        tags,
        summary: 'Worker patterns marked known good per site',
        response: { 200: z.array(Pattern) },
      },
    },
    async () =>
      (await listWorkerPatterns(db)).map((r) => ({
        siteId: r.site_id,
        pattern: r.pattern,
        createdAt: Number(r.created_at),
        createdBy: r.created_by,
      })),
  );

  app.post(
    '/alerts/known-worker-patterns',
    {
      ...operators,
      schema: {
        tags,
        summary: 'Mark a worker pattern known good at a site',
        body: PatternBody,
        response: { 201: createdStatus(Pattern), ...errors(404, 409) },
      },
    },
    async (req, reply) => {
      const { siteId, pattern } = req.body as z.infer<typeof PatternBody>;
      if (!(await getSite(db, siteId))) return fail(reply, 404, `site ${siteId}: not found`);
      const created = { siteId, pattern, createdAt: ctx.now(), createdBy: req.principal!.name };
      const added = await db.tx(async (tx) => {
        if (!(await addWorkerPattern(tx, created))) return false;
        await audit.record({
          actor: req.principal!,
          action: 'alert.worker_pattern.add',
          subject: `site ${siteId}`,
          details: { siteId, pattern },
        });
        return true;
      });
      if (!added) return fail(reply, 409, `site ${siteId}: pattern ${pattern} is already known good`);
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/alerts/known-worker-patterns',
    {
      ...operators,
      schema: {
        tags,
        summary: 'Remove a known-good worker pattern',
        querystring: PatternBody,
        response: { 204: NoContent, ...errors(404) },
      },
    },
    async (req, reply) => {
      const { siteId, pattern } = req.query as z.infer<typeof PatternBody>;
      const removed = await db.tx(async (tx) => {
        if (!(await removeWorkerPattern(tx, siteId, pattern))) return false;
        await audit.record({
          actor: req.principal!,
          action: 'alert.worker_pattern.remove',
          subject: `site ${siteId}`,
          details: { siteId, pattern },
        });
        return true;
      });
      return removed ? reply.code(204).send() : fail(reply, 404, `site ${siteId}: no pattern ${pattern}`);
    },
  );
};
