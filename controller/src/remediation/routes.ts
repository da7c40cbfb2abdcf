/**
 * Remediation API, under /api/v1. Staff read; operators and admins change a site's settings
 * (audited as `remediation.settings`, a rule change).
 *
 *   GET /remediation/steps?minerId=&alertId=&limit=50
 *     -> [{ id, minerId, alertId, alertKind: "offline", containerId, siteId, rung: "restart"|"reboot"|"power_cycle"|"sleep"|"ticket",
 *           outcome: "pending"|"verified"|"failed"|"skipped"|"throttled"|"ticket", code: "cooldown"|"no_outlet"|..., reason,
 *           commandId, commandState: "succeeded", transport: "rpc", ticketId, at, verifyBy, settledAt, result: "alert resolved" }]  newest first
 *   GET /remediation/settings              -> { defaults: {...}, sites: { "<siteId>": { overrides, effective } } }
 *   GET /remediation/settings/:siteId      -> { siteId, overrides, effective }
 *   PUT /remediation/settings/:siteId { maxActionsPerDay?, cooldownS?, maxConcurrentPerContainer?, verifyS?: {...}, outletOffS?, enabled? }
 *     -> { siteId, overrides, effective }
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { STAFF } from '../core/auth/roles.js';
import type { FeatureContext } from '../core/feature.js';
import { errors, JsonObject } from '../core/http/responses.js';
import { getSite } from '../fleet/index.js';
import { DEFAULT_SETTINGS, mergeSettings, OverridesSchema, type SettingsOverrides } from './settings.js';
import { allSiteSettings, listSteps, presentStep, putSiteSettings, siteSettingsRow } from './store.js';

const StepsQuery = z.object({
  minerId: z.string().min(1).max(200).optional(),
  alertId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});
const SiteParam = z.object({ siteId: z.string().min(1).max(200) });

const SiteSettings = z.object({
  siteId: z.string(),
  overrides: JsonObject.nullable(),
  effective: JsonObject,
});
/** A ladder step (`presentStep`). */
const StepView = z.looseObject({
  id: z.union([z.string(), z.number()]),
  minerId: z.string(),
  alertId: z.union([z.string(), z.number()]).nullable(),
  rung: z.string(),
  outcome: z.string(),
  reason: z.string().nullable(),
  commandId: z.string().nullable(),
  ticketId: z.string().nullable(),
  at: z.number(),
});

const parseOverrides = (json: string): SettingsOverrides | null => {
  try {
    const r = OverridesSchema.safeParse(JSON.parse(json));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
};

export const remediationRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const staff = { preValidation: app.authorize(...STAFF) };
  const tags = ['remediation'];

  app.get(
    '/remediation/steps',
    {
      ...staff,
      schema: {
        tags,
        summary: 'Ladder steps with outcomes, newest first',
        querystring: StepsQuery,
        response: { 200: z.array(StepView) },
      },
    },
    async (req) => {
      const q = req.query as z.infer<typeof StepsQuery>;
      const rows = await listSteps(ctx.db, q);
      return rows.map(presentStep);
    },
  );

  app.get(
    '/remediation/settings',
    {
      ...staff,
      schema: {
        tags,
        summary: 'Defaults and per-site settings',
        response: {
          200: z.object({
            defaults: JsonObject,
            sites: z.record(z.string(), SiteSettings.omit({ siteId: true })),
          }),
        },
      },
    },
    async () => {
      const rows = await allSiteSettings(ctx.db);
      const sites: Record<string, unknown> = {};
      for (const r of rows) {
        const overrides = parseOverrides(r.settings_json);
        sites[r.site_id] = { overrides, effective: mergeSettings(overrides) };
      }
      return { defaults: DEFAULT_SETTINGS, sites };
    },
  );

  app.get(
    '/remediation/settings/:siteId',
    {
      ...staff,
      schema: {
        tags,
        summary: "A site's effective settings",
        params: SiteParam,
        response: { 200: SiteSettings },
      },
    },
    async (req) => {
      const { siteId } = req.params as z.infer<typeof SiteParam>;
      const row = await siteSettingsRow(ctx.db, siteId);
      const overrides = row ? parseOverrides(row.settings_json) : null;
      return { siteId, overrides, effective: mergeSettings(overrides) };
    },
  );

  app.put(
    '/remediation/settings/:siteId',
    {
      preValidation: app.authorize('admin', 'operator'),
      schema: {
        tags,
        summary: "Override a site's throttles and windows",
        params: SiteParam,
        body: OverridesSchema,
        response: { 200: SiteSettings, ...errors(404) },
      },
    },
    async (req, reply) => {
      const { siteId } = req.params as z.infer<typeof SiteParam>;
      const overrides = req.body as SettingsOverrides;
      const site = await getSite(ctx.db, siteId);
      if (!site) return reply.code(404).send({ error: 'not_found', message: `site ${siteId}: not found` });
      await ctx.db.tx(async (tx) => {
        const before = await siteSettingsRow(tx, siteId);
        await putSiteSettings(tx, siteId, overrides, ctx.now(), req.principal!.name);
        await ctx.audit.record({
          actor: req.principal!,
          action: 'remediation.settings',
          subject: `site ${siteId}`,
          details: { before: before ? parseOverrides(before.settings_json) : null, after: overrides },
        });
      });
      return { siteId, overrides, effective: mergeSettings(overrides) };
    },
  );
};
