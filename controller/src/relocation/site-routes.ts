import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { FeatureContext } from '../core/feature.js';
import { errors } from '../core/http/responses.js';
import { RelocationError } from './service.js';
import { listSiteFacts, putSiteFacts, SiteFactsBody } from './site-facts.js';

/**
 * A site's planning facts (site-facts.ts), under /api/v1/relocation:
 *   GET /relocation/sites        -> [{ siteId, repairCentre, ambientC: [12 °C] | null, ambientSource,
 *                                      tariffUsdPerKwh: [12 USD/kWh] | null, tariffSource, salvageUsd: { "Antminer S9": 30 },
 *                                      updatedBy, updatedAt }]
 *   PUT /relocation/sites/:id { repairCentre, ambientC?, ambientSource?, tariffUsdPerKwh?, tariffSource?, salvageUsd? }
 *       -> the site's facts (operator, admin; audited). All of them: a field left out is cleared.
 *       ambientC without ambientSource, or tariffUsdPerKwh without tariffSource, is 400; a site inventory does not know is 404.
 */
const SiteFactsView = z.object({
  siteId: z.string(),
  repairCentre: z.boolean(),
  ambientC: z.array(z.number()).nullable(),
  ambientSource: z.string().nullable(),
  tariffUsdPerKwh: z.array(z.number()).nullable(),
  tariffSource: z.string().nullable(),
  salvageUsd: z.record(z.string(), z.number()),
  updatedBy: z.string(),
  updatedAt: z.string(),
});

export const siteFactRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const tags = ['relocation'];
  app.get(
    '/relocation/sites',
    {
      preHandler: app.authorize('operator', 'admin', 'technician'),
      schema: { tags, summary: "Sites' planning facts", response: { 200: z.array(SiteFactsView) } },
    },
    async () => listSiteFacts(ctx.db),
  );
  app.put(
    '/relocation/sites/:id',
    {
      preHandler: app.authorize('operator', 'admin'),
      schema: {
        tags,
        summary:
          "Set a site's repair-centre flag, monthly mean temperatures and planning tariff (each with its source) and salvage values by model",
        params: z.object({ id: z.string().min(1).max(100) }),
        body: SiteFactsBody,
        response: { 200: SiteFactsView, ...errors(404) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      try {
        return await putSiteFacts(ctx, req.principal!, id, req.body as z.infer<typeof SiteFactsBody>);
      } catch (e) {
        if (e instanceof RelocationError && e.status === 404)
          return reply.code(404).send({ error: 'relocation', message: e.message });
        throw e;
      }
    },
  );
};
