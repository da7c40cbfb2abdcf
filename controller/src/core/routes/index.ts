import type { FastifyPluginAsync } from 'fastify';
import { commandRoutes } from '../../commands/index.js';
import {
  agentRoutes,
  containerRoutes,
  eventRoutes,
  inventoryRoutes,
  minerRoutes,
  siteRoutes,
} from '../../fleet/index.js';
import type { CoreContext } from '../context.js';
import { meRoutes } from './me.js';
import { tokenRoutes } from './tokens.js';

/** The core HTTP API under /api/v1. */
export const coreRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  for (const routes of [
    meRoutes,
    siteRoutes,
    containerRoutes,
    minerRoutes,
    agentRoutes,
    eventRoutes,
    commandRoutes,
    tokenRoutes,
    inventoryRoutes,
  ]) {
    await app.register(routes, ctx);
  }
};
