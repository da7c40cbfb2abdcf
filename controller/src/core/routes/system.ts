import type { FastifyPluginAsync } from 'fastify';
import type { CoreContext } from '../context.js';
import { pingDb } from '../storage/db.js';

/** Health, readiness and Prometheus metrics: public, outside /api. */
export const systemRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  app.get('/health', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    const waiting: string[] = [];
    try {
      await pingDb(ctx.db);
    } catch (err) {
      waiting.push(`storage: ${(err as Error).message}`);
    }
    for (const [name, check] of ctx.readiness) {
      const reason = check();
      if (reason) waiting.push(`${name}: ${reason}`);
    }
    if (waiting.length) return reply.code(503).send({ status: 'not_ready', waiting });
    return { status: 'ready' };
  });
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    const stats = ctx.influx?.stats();
    if (stats) {
      for (const [k, v] of Object.entries(stats)) ctx.metrics.influxLines.set({ counter: k }, v);
    }
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
};
