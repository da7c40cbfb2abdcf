import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { sendError } from '../../commands/index.js';
import type { CoreContext } from '../../core/context.js';
import { EDITORS, IdParams, READERS } from '../../core/http/common.js';
import { created, errors, JsonObject, NoContent } from '../../core/http/responses.js';
import { ScheduleSchema } from './schema.js';
import { createSchedule, describeSchedules, setEnabled } from './service.js';

/** Curtailment schedules: by site-local windows or tariff threshold, ramped; disabling restores. */
export const curtailmentRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  const deps = { db: ctx.db, audit: ctx.audit, commands: ctx.commands };

  app.get(
    '/curtailment',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['operations'],
        summary: 'Curtailment schedules and their miners',
        response: { 200: z.array(JsonObject) },
      },
    },
    async () => describeSchedules(ctx.db),
  );

  app.post(
    '/curtailment',
    {
      preHandler: app.authorize(...EDITORS),
      schema: {
        tags: ['operations'],
        summary: 'Create a curtailment schedule',
        body: ScheduleSchema,
        response: { 201: created(z.object({ id: z.string() })), ...errors(400, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      try {
        const id = await createSchedule(
          deps,
          request.principal!,
          request.body as z.infer<typeof ScheduleSchema>,
          ctx.now(),
        );
        return reply.code(201).send({ id });
      } catch (err) {
        return sendError(reply, err);
      }
    },
  );

  for (const [path, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    app.post(
      `/curtailment/:id/${path}`,
      {
        preHandler: app.authorize(...EDITORS),
        schema: {
          tags: ['operations'],
          summary: `${path} a schedule (disabling wakes its miners, ramped)`,
          params: IdParams,
          response: { 204: NoContent, ...errors(400, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const { id } = request.params as z.infer<typeof IdParams>;
        try {
          await setEnabled(deps, request.principal!, id, enabled);
          return reply.code(204).send();
        } catch (err) {
          return sendError(reply, err);
        }
      },
    );
  }
};
