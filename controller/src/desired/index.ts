import type { FastifyPluginAsync } from 'fastify';
import type { CoreContext } from '../core/context.js';
import type { Feature, FeatureContext } from '../core/feature.js';
import type { Job } from '../core/jobs.js';
import { refreshDrift } from './drift-store.js';
import { migration, siteBudgetMigration } from './migration.js';
import { tickRollouts } from './rollouts.js';
import { desiredRoutes } from './routes.js';

export { type DriftSince, driftSince, refreshDrift } from './drift-store.js';
export { tickRollouts } from './rollouts.js';

/** Routes and jobs get the core context; the command service is part of it. */
function coreContext(featureCtx: FeatureContext): CoreContext {
  const ctx = featureCtx as Partial<CoreContext> & FeatureContext;
  if (!ctx.commands) throw new Error('desired: the core command service is missing from the context');
  return ctx as CoreContext;
}

const routes: FastifyPluginAsync<FeatureContext> = async (app, featureCtx) => {
  await app.register(desiredRoutes, coreContext(featureCtx));
};

/** The feature's duties; each takes `now`, so tests drive them on a manual clock. */
export function desiredJobs(featureCtx: FeatureContext): Job[] {
  const ctx = coreContext(featureCtx);
  const deps = { db: ctx.db, audit: ctx.audit, commands: ctx.commands };
  return [
    {
      name: 'desired-drift',
      everyMs: 15_000,
      singleton: true,
      run: async (now: number) => void (await refreshDrift(ctx.db, now)),
    },
    {
      name: 'desired-rollouts',
      everyMs: 2_000,
      singleton: true,
      run: (now: number) => tickRollouts(deps, now),
    },
  ];
}

/** Desired state per scope, drift per miner and field, and rollouts in verified waves (issue 20). */
export const desiredFeature: Feature = {
  name: 'desired',
  migrations: [migration, siteBudgetMigration],
  routes,
  jobs: desiredJobs,
};
