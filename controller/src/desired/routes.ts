import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { sendError } from '../commands/index.js';
import type { CoreContext } from '../core/context.js';
import { IdParams, notFound, READERS } from '../core/http/common.js';
import { accepted, created, errors } from '../core/http/responses.js';
import { firmwareStoreOf } from '../firmware/index.js';
import { driftCounts, driftList } from './drift-view.js';
import { rollbackRollout } from './rollback.js';
import type { RolloutDeps } from './rollouts.js';
import {
  abortRollout,
  approveRollout,
  createRollout,
  describeRollout,
  pauseRollout,
  recentRolloutIds,
  resumeRollout,
} from './rollouts.js';
import { DesiredSpecSchema, DRIFT_FIELDS, ScopeSchema } from './schema.js';
import { approveVersion, describeVersion, listActive, listVersions, proposeVersion } from './versions.js';
import { DriftCountsView, MinerDriftView, RolloutView, StatesView, VersionView } from './views.js';

const SetBody = z
  .object({ scope: ScopeSchema, spec: DesiredSpecSchema, note: z.string().max(500).default('') })
  .strict();
const RolloutBody = z
  .object({
    waveSize: z.number().int().min(1).max(100_000).default(20),
    failureThresholdPct: z.number().min(0).max(100).default(10),
    powerBudget: z.number().int().min(1).max(10_000).default(10),
    sitePowerBudget: z.number().int().min(1).max(100_000).optional(),
    verifyTimeoutS: z.number().int().min(10).max(86_400).default(900),
  })
  .strict();
const DriftQuery = z.object({
  siteId: z.string().max(200).optional(),
  containerId: z.string().max(200).optional(),
  field: z.enum(DRIFT_FIELDS).optional(),
});
const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

/** What rollouts need: the command service, and the firmware images with the URL agents fetch them from. */
const rolloutDeps = (ctx: CoreContext): RolloutDeps => ({
  db: ctx.db,
  audit: ctx.audit,
  commands: ctx.commands,
  firmware: {
    store: firmwareStoreOf(ctx),
    baseUrl: ctx.config.alerts.publicUrl ?? `http://${ctx.config.http.host}:${ctx.config.http.port}`,
  },
});

/** Desired states, drift and rollouts under /api/v1 (issue 20). */
export const desiredRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  await app.register(stateRoutes, ctx);
  await app.register(rolloutRoutes, ctx);
};

/** Desired states (versions, approval, apply) and drift. */
const stateRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  const deps = rolloutDeps(ctx);
  const EDIT = app.authorize('admin', 'operator');

  app.get(
    '/desired-states',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['desired'],
        summary: 'The active desired state of each scope, and the latest versions',
        querystring: ListQuery,
        response: { 200: StatesView },
      },
    },
    async (request) => {
      const { limit } = request.query as z.infer<typeof ListQuery>;
      const versions = await listVersions(ctx.db, limit);
      const active = await listActive(ctx.db);
      return { active: active.map(describeVersion), versions: versions.map(describeVersion) };
    },
  );

  app.post(
    '/desired-states',
    {
      preHandler: EDIT,
      schema: {
        tags: ['desired'],
        summary: "A new version of a scope's desired state (pools or firmware: waits for a second person)",
        body: SetBody,
        response: { 201: created(VersionView), ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const body = request.body as z.infer<typeof SetBody>;
      try {
        const v = await proposeVersion(ctx, { actor: request.principal!, ...body, now: ctx.now() });
        return reply.code(201).send(describeVersion(v));
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );

  app.post(
    '/desired-states/versions/:id/approve',
    {
      preHandler: EDIT,
      schema: {
        tags: ['desired'],
        summary: 'Second-person approval of a desired-state version: it becomes active',
        params: IdParams,
        response: { 200: VersionView, ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      try {
        return reply.send(describeVersion(await approveVersion(ctx, request.principal!, id, ctx.now())));
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );

  app.post(
    '/desired-states/versions/:id/apply',
    {
      preHandler: EDIT,
      schema: {
        tags: ['desired'],
        summary: 'Roll an active desired state out: canary, then waves, each verified by effect',
        params: IdParams,
        body: RolloutBody,
        response: { 202: accepted(RolloutView), ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      try {
        const r = await createRollout(deps, {
          actor: request.principal!,
          versionId: id,
          options: request.body as z.infer<typeof RolloutBody>,
          now: ctx.now(),
        });
        return reply.code(202).send(await describeRollout(ctx.db, r.id));
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );

  app.get(
    '/drift',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['desired'],
        summary: 'Miners out of their desired state, per field, from their latest readings',
        querystring: DriftQuery,
        response: { 200: z.array(MinerDriftView) },
      },
    },
    async (request) => driftList(ctx.db, ctx.now(), request.query as z.infer<typeof DriftQuery>),
  );

  app.get(
    '/drift/counts',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['desired'],
        summary: 'Drifted miners counted per site and container, and per field',
        response: { 200: DriftCountsView },
      },
    },
    async () => driftCounts(ctx.db, ctx.now()),
  );

  app.get(
    '/miners/:id/drift',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['desired'],
        summary: "One miner's drift from its desired state, per field",
        params: IdParams,
        response: { 200: MinerDriftView, ...errors(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const [m] = await driftList(ctx.db, ctx.now(), { minerId: id, all: true });
      return m ?? notFound(reply, `miner ${id}`);
    },
  );
};

/** Rollouts: their waves and per-miner outcome, and what a person may do with one. */
const rolloutRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  const deps = rolloutDeps(ctx);
  const EDIT = app.authorize('admin', 'operator');

  app.get(
    '/rollouts',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['desired'],
        summary: 'The latest rollouts, newest first, with per-wave progress and per-miner outcome',
        querystring: ListQuery,
        response: { 200: z.array(RolloutView) },
      },
    },
    async (request) => {
      const { limit } = request.query as z.infer<typeof ListQuery>;
      const ids = await recentRolloutIds(ctx.db, limit);
      return (await Promise.all(ids.map((id) => describeRollout(ctx.db, id)))).filter((r) => r !== null);
    },
  );

  app.get(
    '/rollouts/:id',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['desired'],
        summary: 'A rollout with per-wave progress and per-miner outcome',
        params: IdParams,
        response: { 200: RolloutView, ...errors(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      return (await describeRollout(ctx.db, id)) ?? notFound(reply, `rollout ${id}`);
    },
  );

  const STEPS = {
    approve: approveRollout,
    pause: pauseRollout,
    resume: resumeRollout,
    abort: abortRollout,
  } as const;
  for (const [step, fn] of Object.entries(STEPS)) {
    app.post(
      `/rollouts/:id/${step}`,
      {
        preHandler: EDIT,
        schema: {
          tags: ['desired'],
          summary: `${step[0]!.toUpperCase()}${step.slice(1)} a rollout`,
          params: IdParams,
          response: { 200: RolloutView, ...errors(400, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { id } = request.params as z.infer<typeof IdParams>;
        try {
          await fn(deps, request.principal!, id, ctx.now());
          return reply.send(await describeRollout(ctx.db, id));
        } catch (err) {
          return sendError(reply, err);
        }
      },
    );
  }

  app.post(
    '/rollouts/:id/rollback',
    {
      preHandler: EDIT,
      schema: {
        tags: ['desired'],
        summary: "Stop a rollout and roll its scope back to the previous desired state's version",
        params: IdParams,
        body: RolloutBody,
        response: {
          202: accepted(z.object({ version: VersionView, rollout: RolloutView.nullable() })),
          ...errors(400, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      try {
        const r = await rollbackRollout(
          deps,
          request.principal!,
          id,
          request.body as z.infer<typeof RolloutBody>,
          ctx.now(),
        );
        return reply.code(202).send({
          version: describeVersion(r.version),
          rollout: r.rolloutId ? await describeRollout(ctx.db, r.rolloutId) : null,
        });
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );
};
