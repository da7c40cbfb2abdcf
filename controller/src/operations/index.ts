import type { FastifyPluginAsync } from 'fastify';
import { commandStateRoutes, expireOverdue } from '../commands/index.js';
import type { CoreContext } from '../core/context.js';
import type { Feature, FeatureContext } from '../core/feature.js';
import type { Job } from '../core/jobs.js';
import { tickBulk } from './bulk.js';
import { bulkRoutes } from './bulk-routes.js';
import { profileScheduleMigration } from './curtailment/migration.js';
import { curtailmentRoutes } from './curtailment/routes.js';
import { tickCurtailment } from './curtailment/service.js';
import { migration } from './migration.js';
import { profileRoutes } from './profiles/routes.js';

export { createBulkJob, describeJob } from './bulk.js';
export { BulkJobView } from './schemas.js';
export { minerLabel, type SelectedMiner, SelectorSchema, selectMiners } from './selector.js';

/** Routes and jobs get the core context; the command service is part of it. */
function coreContext(featureCtx: FeatureContext): CoreContext {
  const ctx = featureCtx as Partial<CoreContext> & FeatureContext;
  if (!ctx.commands) throw new Error('operations: the core command service is missing from the context');
  return ctx as CoreContext;
}

/** Bulk jobs, operating profiles and curtailment schedules, under /api/v1. */
export const operationsRoutes: FastifyPluginAsync<FeatureContext> = async (app, featureCtx) => {
  const ctx = coreContext(featureCtx);
  await app.register(commandStateRoutes, ctx);
  await app.register(bulkRoutes, ctx);
  await app.register(profileRoutes, ctx);
  await app.register(curtailmentRoutes, ctx);
};

/** The operations feature's duties; each takes `now` so tests drive them on a manual clock. */
export function operationsJobs(featureCtx: FeatureContext): Job[] {
  const ctx = coreContext(featureCtx);
  const deps = { db: ctx.db, audit: ctx.audit, commands: ctx.commands };
  const approvalTtlS = ctx.config.commands.approvalTtlS;
  return [
    {
      name: 'commands-expiry',
      everyMs: 10_000,
      singleton: true,
      run: async (now: number) => void (await expireOverdue(ctx.db, ctx.audit, now, approvalTtlS)),
    },
    { name: 'bulk-commands', everyMs: 2_000, singleton: true, run: (now: number) => tickBulk(deps, now) },
    {
      name: 'curtailment',
      everyMs: 15_000,
      singleton: true,
      run: (now: number) => tickCurtailment(deps, now),
    },
  ];
}

/** Command tracking, bulk jobs, operating profiles and curtailment: storage, routes and background duties. */
export const operationsFeature: Feature = {
  name: 'operations',
  migrations: [migration, profileScheduleMigration],
  routes: operationsRoutes,
  jobs: operationsJobs,
};
