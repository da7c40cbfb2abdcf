import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CoreContext } from '../context.js';

const Me = z.object({
  tokenId: z.string(),
  name: z.string(),
  role: z.string(),
  stakerId: z.string().nullable(),
});

export const meRoutes: FastifyPluginAsync<CoreContext> = async (app) => {
  app.get(
    '/me',
    { schema: { summary: 'Who the token belongs to', tags: ['auth'], response: { 200: Me } } },
    async (request) => request.principal!,
  );
};
