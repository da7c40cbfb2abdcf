import type { FastifyPluginAsync } from 'fastify';
import type { CoreContext } from '../context.js';
import { agentRoutes } from './agents.js';
import { commandRoutes } from './commands.js';
import { containerRoutes } from './containers.js';
import { eventRoutes } from './events.js';
import { inventoryRoutes } from './inventory.js';
import { meRoutes } from './me.js';
import { minerRoutes } from './miners.js';
import { siteRoutes } from './sites.js';
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
