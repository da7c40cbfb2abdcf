import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { sendError } from '../../commands/index.js';
import type { CoreContext } from '../../core/context.js';
import { EDITORS, IdParams, notFound, READERS } from '../../core/http/common.js';
import { accepted, errors, JsonObject } from '../../core/http/responses.js';
import { withMinerNames } from '../../fleet/index.js';
import { describeJob } from '../bulk.js';
import { Stagger } from '../bulk-routes.js';
import { BulkJobView } from '../schemas.js';
import { SelectorSchema } from '../selector.js';
import { OperatingProfileSchema } from './schema.js';
import {
  applyProfile,
  listProfiles,
  loadProfile,
  previewProfile,
  rollbackProfile,
  saveProfile,
} from './service.js';

const NameParams = z.object({ name: z.string().min(1).max(64) });
const ApplyBody = z.object({ selector: SelectorSchema, ...Stagger }).strict();
const RollbackBody = z.object(Stagger).strict();
const PreviewBody = z.object({ selector: SelectorSchema }).strict();

/** Operating profiles: define, apply in bulk (refusals up front, verification after), roll back. */
export const profileRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  const deps = { db: ctx.db, audit: ctx.audit, commands: ctx.commands };

  app.get(
    '/operating-profiles',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['operations'],
        summary: 'Operating profiles',
        response: { 200: z.array(OperatingProfileSchema) },
      },
    },
    async () => listProfiles(ctx.db),
  );

  app.put(
    '/operating-profiles/:name',
    {
      preHandler: app.authorize(...EDITORS),
      schema: {
        tags: ['operations'],
        summary: 'Create or replace an operating profile',
        params: NameParams,
        body: OperatingProfileSchema,
        response: { 200: OperatingProfileSchema, ...errors(400) },
      },
    },
    async (request, reply) => {
      const { name } = request.params as z.infer<typeof NameParams>;
      const profile = request.body as z.infer<typeof OperatingProfileSchema>;
      if (profile.name !== name)
        return reply.code(400).send({
          error: 'bad_request',
          message: `body name ${profile.name} differs from the path's ${name}`,
        });
      await saveProfile(deps, request.principal!, profile, ctx.now());
      return loadProfile(ctx.db, name);
    },
  );

  app.post(
    '/operating-profiles/:name/preview',
    {
      preHandler: app.authorize(...EDITORS),
      schema: {
        tags: ['operations'],
        summary:
          'What applying would send to each selected miner, and which are refused and why (sends nothing)',
        params: NameParams,
        body: PreviewBody,
        response: {
          200: z
            .array(JsonObject)
            .describe(
              "what applying would do to each selected miner, with the miner's names (fleet/names.ts)",
            ),
          ...errors(400, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params as z.infer<typeof NameParams>;
      const { selector } = request.body as z.infer<typeof PreviewBody>;
      try {
        // Each row names its miner (serial, asset code, rack, slot) for the person confirming.
        return await withMinerNames(ctx.db, await previewProfile(ctx.db, name, selector));
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );

  app.post(
    '/operating-profiles/:name/apply',
    {
      preHandler: app.authorize(...EDITORS),
      schema: {
        tags: ['operations'],
        summary:
          'Apply a profile to the selected miners (bulk, staggered); refused miners are listed with the reason',
        params: NameParams,
        body: ApplyBody,
        response: { 202: accepted(BulkJobView), ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { name } = request.params as z.infer<typeof NameParams>;
      const body = request.body as z.infer<typeof ApplyBody>;
      try {
        const job = await applyProfile(deps, { actor: request.principal!, name, ...body, now: ctx.now() });
        return reply.code(202).send(await describeJob(ctx.db, job.id));
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );

  app.post(
    '/operating-profiles/applications/:id/rollback',
    {
      preHandler: app.authorize(...EDITORS),
      schema: {
        tags: ['operations'],
        summary: "Restore each miner's settings recorded when the profile was applied",
        params: IdParams,
        body: RollbackBody,
        response: { 202: accepted(BulkJobView), ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const body = request.body as z.infer<typeof RollbackBody>;
      try {
        const job = await rollbackProfile(deps, {
          actor: request.principal!,
          jobId: id,
          ...body,
          now: ctx.now(),
        });
        return reply.code(202).send(await describeJob(ctx.db, job.id));
      } catch (err) {
        if (err instanceof Error && /not found/.test(err.message))
          return notFound(reply, `profile application ${id}`);
        return sendError(reply, err);
      }
    },
  );
};
