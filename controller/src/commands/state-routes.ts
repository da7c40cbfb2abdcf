import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { CoreContext } from '../core/context.js';
import { IdParams, notFound, READERS } from '../core/http/common.js';
import { errors } from '../core/http/responses.js';
import { commandStates } from './effects.js';

import { CommandStates } from './schemas.js';

/**
 * GET /commands/:id/states: every state a command went through (sent, acknowledged, then
 * verified, failed or unverified), each with the miner's reply, what the readings showed, and the
 * commanded window an acknowledgement opened (issue 16).
 */
export const commandStateRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  app.get(
    '/commands/:id/states',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['commands'],
        summary: "A command's states, oldest first, each with the miner's words",
        params: IdParams,
        response: { 200: CommandStates, ...errors(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const c = await ctx.commands.get(id);
      if (!c) return notFound(reply, `command ${id}`);
      return {
        id: c.id,
        op: c.op,
        state: c.state,
        windowEndsAt: c.window_ends_at === null ? null : Number(c.window_ends_at),
        settledAt: c.settled_at === null ? null : Number(c.settled_at),
        states: await commandStates(ctx.db, id),
      };
    },
  );
};
