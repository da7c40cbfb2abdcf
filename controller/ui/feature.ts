import type { FastifyPluginAsync } from 'fastify';
import type { Feature, FeatureContext } from '../src/core/feature.js';
import { type UiBundle, uiBundle } from './build.js';

/**
 * Serves the web UI from the controller itself: `/` is the page, `/ui/app.<hash>.{js,css}` the
 * bundle. No data is served here; the page reads everything from the public `/api/v1`.
 */
const routes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  let ui: UiBundle;
  try {
    ui = await uiBundle();
  } catch (err) {
    // A UI that cannot be built must not take the API, ingest and commands down with it.
    const reason = err instanceof Error ? err.message : String(err);
    ctx.logger.error(`ui: cannot build the web UI bundle: ${reason}`);
    app.get('/', { config: { public: true }, schema: { hide: true } }, async (_request, reply) =>
      reply
        .code(503)
        .send({ error: 'ui_unavailable', message: `ui: cannot build the web UI bundle: ${reason}` }),
    );
    return;
  }
  const assets: Record<string, { body: Uint8Array; type: string }> = {
    [`app.${ui.version}.js`]: { body: ui.js, type: 'text/javascript; charset=utf-8' },
    [`app.${ui.version}.css`]: { body: ui.css, type: 'text/css; charset=utf-8' },
  };
  const page = { public: true };

  app.get('/', { config: page, schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(ui.html),
  );
  app.get('/ui', { config: page, schema: { hide: true } }, async (_request, reply) => reply.redirect('/'));
  app.get<{ Params: { file: string } }>(
    '/ui/:file',
    { config: page, schema: { hide: true } },
    async (request, reply) => {
      const asset = assets[request.params.file];
      if (!asset) {
        return reply
          .code(404)
          .send({ error: 'not_found', message: `ui asset ${request.params.file}: no such file` });
      }
      // The name carries the content hash, so a browser may keep it until the next build.
      return reply
        .type(asset.type)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(Buffer.from(asset.body));
    },
  );
};

export const uiFeature: Feature = { name: 'ui', migrations: [], routes, prefix: '' };
