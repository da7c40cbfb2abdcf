import { loadCommandKey } from '../commands/index.js';
import type { Feature } from '../core/feature.js';
import { migration } from './migrations/0600_safety.js';
import { safetyRoutes } from './routes.js';
import { createSafety, type Safety } from './service.js';

const services = new WeakMap<object, Safety>();

/** One service per controller context, shared by its routes and its publish job. */
export function safetyService(ctx: Parameters<NonNullable<Feature['jobs']>>[0]): Safety {
  let s = services.get(ctx);
  if (!s) {
    let key: ReturnType<typeof loadCommandKey> | null = null;
    s = createSafety({
      db: ctx.db,
      audit: ctx.audit,
      now: ctx.now,
      key: () => (key ??= loadCommandKey(ctx.config.dataDir)),
      publish: () => ctx.publish,
    });
    services.set(ctx, s);
  }
  return s;
}

/**
 * Local safety: the rule set agents apply on their own (signed with the command key, retained on
 * each agent's `safety` topic), its API, and the job that sends it on every change and every birth.
 */
export const safetyFeature: Feature = {
  name: 'safety',
  migrations: [migration],
  routes: async (app, ctx) => safetyRoutes(safetyService(ctx))(app, ctx),
  jobs: (ctx) => [
    {
      name: 'safety.publish',
      everyMs: 5_000,
      singleton: true,
      run: async (now) => {
        await safetyService(ctx).publishDue(now);
      },
    },
  ],
};

export { auditSafetyAction } from './ingest.js';
