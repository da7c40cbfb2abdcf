import type { FastifyPluginAsync } from 'fastify';
import type { CoreContext } from '../context.js';
import { meRoutes } from './me.js';

/** The core HTTP API under /api/v1. */
export const coreRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  await app.register(meRoutes, ctx);
};
