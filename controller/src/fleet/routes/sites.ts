import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CoreContext } from '../../core/context.js';
import { EDITORS, IdParams, notFound, parseJson, READERS } from '../../core/http/common.js';
import { errors } from '../../core/http/responses.js';
import { tariffAt, upsertSite } from '../inventory/sites.js';
import { TariffSchema } from '../inventory/types.js';
import { getSite, listSites, type SiteRow, siteContainers, siteRollup } from '../queries.js';
import { IdOnly, RollupView } from './schemas.js';

const SiteBody = z.object({
  name: z.string().min(1).max(200),
  timezone: z.string().min(1).max(64),
  capacityMw: z.number().nonnegative().nullable().default(null),
  capacitySlots: z.number().int().nonnegative().nullable().default(null),
  tariff: TariffSchema,
});

const SiteView = RollupView.extend({
  id: z.string(),
  name: z.string(),
  timezone: z.string(),
  capacityMw: z.number().nullable(),
  capacitySlots: z.number().nullable(),
  tariff: TariffSchema.nullable(),
  tariffNowUsdPerKwh: z.number().nullable(),
});
const SiteDetail = SiteView.extend({
  containers: z.array(z.object({ id: z.string(), name: z.string(), agentId: z.string().nullable() })),
});

export const siteRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  const offlineMs = ctx.config.ingest.offlineAfterS * 1000;
  const view = async (s: SiteRow) => {
    const now = ctx.now();
    const tariff = TariffSchema.safeParse(parseJson(s.tariff_json));
    const r = await siteRollup(ctx.db, s.id, now, offlineMs);
    return {
      id: s.id,
      name: s.name,
      timezone: s.timezone,
      capacityMw: s.capacity_mw,
      capacitySlots: s.capacity_slots,
      tariff: tariff.success ? tariff.data : null,
      tariffNowUsdPerKwh: tariff.success ? tariffAt(tariff.data, s.timezone, now) : null,
      hashrateThs: r.hashrateThs,
      expectedThs: r.expectedThs,
      powerW: r.powerW,
      powerProvenance: r.powerProvenance,
      efficiencyJPerTh: r.efficiencyJPerTh,
      online: r.online,
      hashing: r.hashing,
      total: r.total,
      hottest: r.hottest,
    };
  };

  app.get(
    '/sites',
    {
      preHandler: app.authorize(...READERS),
      schema: { tags: ['inventory'], summary: 'Sites with roll-ups', response: { 200: z.array(SiteView) } },
    },
    async () => {
      const sites = await listSites(ctx.db);
      return Promise.all(sites.map(view));
    },
  );

  app.get(
    '/sites/:id',
    {
      preHandler: app.authorize(...READERS),
      schema: { tags: ['inventory'], params: IdParams, response: { 200: SiteDetail, ...errors(404) } },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const site = await getSite(ctx.db, id);
      if (!site) return notFound(reply, `site ${id}`);
      const containers = await siteContainers(ctx.db, id);
      return {
        ...(await view(site)),
        containers: containers.map((c) => ({ id: c.id, name: c.name, agentId: c.agent_id })),
      };
    },
  );

  app.put(
    '/sites/:id',
    {
      preHandler: app.authorize(...EDITORS),
      schema: {
        tags: ['inventory'],
        summary: 'Create or update a site',
        params: IdParams,
        body: SiteBody,
        response: { 200: IdOnly },
      },
    },
    async (request) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const body = request.body as z.infer<typeof SiteBody>;
      await ctx.db.tx(async (tx) => {
        await upsertSite(tx, { id, ...body }, ctx.now());
        await ctx.audit.record({
          actor: request.principal!,
          action: 'site.upsert',
          subject: `site ${id}`,
          details: body,
        });
      });
      return { id };
    },
  );
};
