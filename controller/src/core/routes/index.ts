import type { FastifyPluginAsync } from 'fastify';
import { commandRoutes } from '../../commands/routes.js';
import { agentRoutes } from '../../fleet/routes/agents.js';
import { containerRoutes } from '../../fleet/routes/containers.js';
import { eventRoutes } from '../../fleet/routes/events.js';
import { inventoryRoutes } from '../../fleet/routes/inventory.js';
import { minerRoutes } from '../../fleet/routes/miners.js';
import { siteRoutes } from '../../fleet/routes/sites.js';
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
