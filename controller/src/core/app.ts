import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Commands, createCommands, loadCommandKey } from '../commands/index.js';
import { features } from '../features.js';
import { createIngest, type Ingest } from '../fleet/index.js';
import { createAudit } from './audit.js';
import { registerAuth } from './auth/plugin.js';
import { systemClock } from './clock.js';
import type { ControllerConfig } from './config.js';
import type { CoreContext } from './context.js';
import { declareResponses } from './http/responses.js';
import { useZod, zodToOpenApi } from './http/zod.js';
import { createInfluxWriter } from './influx/writer.js';
import { createMetrics } from './metrics.js';
import { coreRoutes } from './routes/index.js';
import { systemRoutes } from './routes/system.js';
import { openDb, redactUrl } from './storage/db.js';
import { migrate } from './storage/migrate.js';
import { coreMigrations } from './storage/migrations/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    hashfleet: CoreContext;
  }
}

export const allMigrations = () => [...coreMigrations, ...features.flatMap((f) => f.migrations)];

export type BuildOptions = { now?: () => number };

/**
 * The controller as a fastify app (docs/style.md §12): plugins, then routes. Opens the database and
 * applies migrations; connects to nothing else (server.ts starts the broker link and listens).
 * Tests build it and `inject()` requests.
 */
export async function buildApp(config: ControllerConfig, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.log.level,
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
  });
  const now = opts.now ?? systemClock;
  const url = config.storage.url!;
  const db = await openDb(url).catch((err: Error) => {
    throw new Error(`storage ${redactUrl(url)}: ${err.message}`);
  });
  try {
    const applied = await migrate(db, allMigrations(), now);
    if (applied.length) app.log.info({ applied }, 'migrations applied');
  } catch (err) {
    await db.close();
    throw err;
  }
  const ctx: CoreContext = {
    db,
    config,
    audit: createAudit(db, now),
    influx: null,
    logger: app.log,
    now,
    metrics: createMetrics(),
    readiness: new Map(),
    ingest: undefined as unknown as Ingest,
    commands: undefined as unknown as Commands,
  };
  ctx.commands = createCommands({
    db,
    audit: ctx.audit,
    key: loadCommandKey(config.dataDir),
    metrics: ctx.metrics,
    now,
    ttlS: config.commands.ttlS,
    approvalTtlS: config.commands.approvalTtlS,
  });
  ctx.issueCommand = ctx.commands.issue;
  ctx.ingest = createIngest(ctx, ctx.commands.applyResult);
  if (config.influx) ctx.influx = createInfluxWriter(config.influx, config.dataDir, app.log);
  app.decorate('hashfleet', ctx);
  app.addHook('onClose', async () => {
    await ctx.influx?.close();
    await db.close();
  });

  useZod(app);
  declareResponses(app, ctx.metrics.registry);
  await app.register(swagger, {
    openapi: {
      info: { title: 'hashfleet controller', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: zodToOpenApi as never,
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } });
  // Failed authentication is rate limited per client address (core/auth/plugin.ts); nothing else is.
  await app.register(rateLimit, { global: false });
  registerAuth(app, db);

  await app.register(systemRoutes, ctx);
  await app.register(async (api) => api.register(coreRoutes, ctx), { prefix: '/api/v1' });
  for (const feature of features) {
    const routes = feature.routes;
    if (routes)
      await app.register(async (scope) => scope.register(routes, ctx), {
        prefix: feature.prefix ?? '/api/v1',
      });
  }
  return app;
}
