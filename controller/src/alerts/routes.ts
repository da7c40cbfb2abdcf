/**
 * Alerts HTTP API (under /api/v1). Staff read alerts and rules; technicians may acknowledge;
 * operators and admins change rules, webhooks and silences. Every change is in the audit log.
 *
 *   GET    /alerts?state=open&site=&container=&miner=&kind=&limit=   -> [alert + rack, slot, silencedUntil]
 *   GET    /alerts/:id
 *   POST   /alerts/:id/ack                           -> the alert, ackedAt/ackedBy set
 *   POST   /alerts/:id/silence { minutes, reason }   -> { id, subject, kind, untilAt }: no notifications for it meanwhile
 *   GET    /alert-rules                              -> rules (the seeded global row of each kind included)
 *   POST   /alert-rules { kind, scope, scopeId, severity?, enabled?, threshold?, clearThreshold?,
 *                         forPolls?, forMs?, clearPolls?, params? } -> 201 rule (409 when that kind+scope exists)
 *   PUT    /alert-rules/:id { same }                 -> rule
 *   DELETE /alert-rules/:id                          -> 204 (global rows are disabled, not deleted: 409)
 *   GET    /alert-webhooks | POST { url, siteId?, minSeverity?, secret? } | DELETE /alert-webhooks/:id
 *          (a secret signs every delivery, x-hashfleet-signature; replies say only `signed: true`)
 * Known-good workers: see worker-routes.ts.
 * Errors: { error: "alerts", message } with 400, 404, 409.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Role } from '../core/auth/roles.js';
import type { FeatureContext } from '../core/feature.js';
import { created, errors, JsonObject, NoContent } from '../core/http/responses.js';
import { getSite, minerNames, NO_NAME } from '../fleet/index.js';
import { syncConfigSites } from './config-sites.js';
import { fail } from './http.js';
import { ALERT_KINDS, SEVERITIES } from './kinds.js';
import { messageOf } from './message-key.js';
import { MIN_SECRET_LENGTH, syncConfigWebhooks } from './notify.js';
import { type Rule, RuleInputSchema, ruleFromInput } from './rules.js';
import {
  ackAlert,
  alertFromRow,
  deleteRule,
  deleteWebhook,
  getAlertRow,
  getRule,
  insertRule,
  insertSilence,
  insertWebhook,
  listAlerts,
  listWebhooks,
  loadRules,
  seedDefaultRules,
  updateRule,
} from './store.js';
import { knownWorkerRoutes } from './worker-routes.js';

const STAFF: Role[] = ['operator', 'admin', 'technician'];
const OPERATORS: Role[] = ['operator', 'admin'];

const ListQuery = z.object({
  state: z.enum(['open', 'resolved']).optional(),
  site: z.string().max(200).optional(),
  container: z.string().max(200).optional(),
  miner: z.string().max(200).optional(),
  kind: z.enum(ALERT_KINDS).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});
const IdParam = z.object({ id: z.string().min(1).max(200) });
const SilenceBody = z.object({
  minutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60),
  reason: z.string().min(1).max(500),
});
const WebhookBody = z.object({
  url: z
    .string()
    .url()
    .max(2000)
    .refine((u) => /^https?:\/\//.test(u), 'url must be http:// or https://'),
  siteId: z.string().min(1).max(200).nullable().default(null),
  minSeverity: z.enum(SEVERITIES).default('warning'),
  secret: z
    .string()
    .min(MIN_SECRET_LENGTH, `secret must be at least ${MIN_SECRET_LENGTH} characters`)
    .max(500)
    .nullable()
    .default(null)
    .describe('HMAC-SHA256 signing secret (never returned: responses say only whether it is signed)'),
});

const S = z.string().nullable();
/** An alert (`alertFromRow`); `details` is open-ended, one shape per kind. */
const AlertView = z.looseObject({
  id: z.string(),
  ruleId: S,
  kind: z.string(),
  subject: z.string(),
  minerId: S,
  containerId: S,
  siteId: S,
  agentId: S,
  severity: z.string(),
  state: z.enum(['open', 'resolved']),
  openedAt: z.number(),
  updatedAt: z.number(),
  resolvedAt: z.number().nullable(),
  value: z.number().nullable(),
  threshold: z.number().nullable(),
  message: z.string(),
  details: JsonObject,
  ackedAt: z.number().nullable(),
  ackedBy: S,
});
/** A rule as stored (kind, scope, thresholds; open per kind), global rules with scopeId null. */
const RuleView = z.looseObject({ id: z.string(), kind: z.string(), scope: z.string(), scopeId: S });
/** A webhook endpoint; its secret never leaves the controller. */
const WebhookView = z.looseObject({
  id: z.string(),
  url: z.string(),
  siteId: S,
  minSeverity: S,
  enabled: z.boolean(),
  signed: z.boolean(),
});

const presentRule = (r: Rule) => ({ ...r, scopeId: r.scope === 'global' ? null : r.scopeId });

/**
 * Long because a route plugin is the sum of its routes (alerts with their ack and silence, rules,
 * webhooks): one registration each, with its schemas; the handlers are short calls into the alert
 * store.
 */
export const alertRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const { db, audit } = ctx;
  await seedDefaultRules(db, ctx.now());
  await syncConfigWebhooks(db, ctx.config.alerts.webhooks, ctx.now());
  await syncConfigSites(db, ctx.config.alerts.sites, ctx.now());
  for (const siteId of Object.keys(ctx.config.alerts.sites))
    if (!(await getSite(db, siteId)))
      ctx.logger.warn(
        `alerts.sites.${siteId}: no such site in the inventory (yet); its settings wait for it`,
      );
  await app.register(knownWorkerRoutes, ctx);
  const staff = { preHandler: app.authorize(...STAFF) };
  const operators = { preHandler: app.authorize(...OPERATORS) };
  const tags = ['alerts'];

  app.get(
    '/alerts',
    {
      ...staff,
      schema: {
        tags,
        summary: 'Alerts',
        querystring: ListQuery,
        response: {
          200: z.array(
            AlertView.extend({
              messageKey: z.string().optional(),
              messageParams: JsonObject.optional(),
              serial: S,
              model: S,
              assetCode: S,
              rack: S,
              slot: S,
              silencedUntil: z.number().nullable(),
            }),
          ),
        },
      },
    },
    async (req) => {
      const q = req.query as z.infer<typeof ListQuery>;
      const rows = await listAlerts(db, q, ctx.now());
      const names = await minerNames(
        db,
        rows.map((r) => r.miner_id),
      );
      return rows.map((r) => {
        const a = alertFromRow(r);
        const name = (r.miner_id ? names.get(r.miner_id) : undefined) ?? NO_NAME;
        return {
          ...a,
          ...messageOf(a),
          serial: name.serial,
          model: name.model,
          assetCode: name.assetCode,
          rack: r.rack,
          slot: r.slot,
          silencedUntil: r.silenced_until,
        };
      });
    },
  );

  const getAlert = async (id: string) => {
    const row = await getAlertRow(db, id);
    return row ? alertFromRow(row) : null;
  };

  app.get(
    '/alerts/:id',
    {
      ...staff,
      schema: { tags, summary: 'One alert', params: IdParam, response: { 200: AlertView, ...errors(404) } },
    },
    async (req, reply) => {
      const a = await getAlert((req.params as { id: string }).id);
      return a ?? fail(reply, 404, `alert ${(req.params as { id: string }).id}: not found`);
    },
  );

  app.post(
    '/alerts/:id/ack',
    {
      ...staff,
      schema: {
        tags,
        summary: 'Acknowledge an alert',
        params: IdParam,
        response: { 200: AlertView, ...errors(404) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const p = req.principal!;
      const a = await db.tx(async (tx) => {
        if (!(await ackAlert(tx, id, ctx.now(), p.name))) return null;
        await audit.record({ actor: p, action: 'alert.ack', subject: `alert:${id}`, details: {} });
        return getAlert(id);
      });
      return a ?? fail(reply, 404, `alert ${id}: not found`);
    },
  );

  app.post(
    '/alerts/:id/silence',
    {
      ...operators,
      schema: {
        tags,
        summary: 'Silence notifications for an alert',
        params: IdParam,
        body: SilenceBody,
        response: { 200: JsonObject.describe('the silence: until when, by whom'), ...errors(404) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const body = req.body as z.infer<typeof SilenceBody>;
      const a = await getAlert(id);
      if (!a) return fail(reply, 404, `alert ${id}: not found`);
      const silence = {
        id: randomUUID(),
        subject: a.subject,
        kind: a.kind,
        untilAt: ctx.now() + body.minutes * 60_000,
      };
      await db.tx(async (tx) => {
        await insertSilence(tx, silence, body.reason, req.principal!.name, ctx.now());
        await audit.record({
          actor: req.principal!,
          action: 'alert.silence',
          subject: `alert:${id}`,
          details: { ...silence, reason: body.reason },
        });
      });
      return silence;
    },
  );

  app.get(
    '/alert-rules',
    { ...staff, schema: { tags, summary: 'Alert rules', response: { 200: z.array(RuleView) } } },
    async () => (await loadRules(db)).map(presentRule),
  );

  app.post(
    '/alert-rules',
    {
      ...operators,
      schema: {
        tags,
        summary: 'Create an alert rule',
        body: RuleInputSchema,
        response: { 201: created(RuleView), ...errors(409) },
      },
    },
    async (req, reply) => {
      const input = req.body as z.output<typeof RuleInputSchema>;
      const rule = ruleFromInput(randomUUID(), input, req.principal!.name, ctx.now());
      const created = await db.tx(async (tx) => {
        if ((await insertRule(tx, rule, ctx.now())) === 0) return false;
        await audit.record({
          actor: req.principal!,
          action: 'alert_rule.create',
          subject: `alert_rule:${rule.id}`,
          details: rule,
        });
        return true;
      });
      if (!created)
        return fail(
          reply,
          409,
          `a ${rule.kind} rule for ${rule.scope} ${rule.scopeId || '(global)'} exists; PUT it instead`,
        );
      return reply.code(201).send(presentRule(rule));
    },
  );

  app.put(
    '/alert-rules/:id',
    {
      ...operators,
      schema: {
        tags,
        summary: 'Replace an alert rule',
        params: IdParam,
        body: RuleInputSchema,
        response: { 200: RuleView, ...errors(404, 409) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const before = await getRule(db, id);
      if (!before) return fail(reply, 404, `alert rule ${id}: not found`);
      const rule = ruleFromInput(
        id,
        req.body as z.output<typeof RuleInputSchema>,
        req.principal!.name,
        ctx.now(),
      );
      try {
        await db.tx(async (tx) => {
          await updateRule(tx, rule);
          await audit.record({
            actor: req.principal!,
            action: 'alert_rule.update',
            subject: `alert_rule:${id}`,
            details: { before, after: rule },
          });
        });
      } catch (err) {
        if (/unique|duplicate/i.test((err as Error).message))
          return fail(
            reply,
            409,
            `a ${rule.kind} rule for ${rule.scope} ${rule.scopeId || '(global)'} exists`,
          );
        throw err;
      }
      return presentRule(rule);
    },
  );

  app.delete(
    '/alert-rules/:id',
    {
      ...operators,
      schema: {
        tags,
        summary: 'Delete an alert rule',
        params: IdParam,
        response: { 204: NoContent, ...errors(404, 409) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const before = await getRule(db, id);
      if (!before) return fail(reply, 404, `alert rule ${id}: not found`);
      if (before.scope === 'global')
        return fail(
          reply,
          409,
          `alert rule ${id}: the global rule of a kind is disabled (PUT enabled: false), not deleted`,
        );
      await db.tx(async (tx) => {
        await deleteRule(tx, id);
        await audit.record({
          actor: req.principal!,
          action: 'alert_rule.delete',
          subject: `alert_rule:${id}`,
          details: before,
        });
      });
      return reply.code(204).send();
    },
  );

  app.get(
    '/alert-webhooks',
    { ...operators, schema: { tags, summary: 'Webhook endpoints', response: { 200: z.array(WebhookView) } } },
    async () =>
      (await listWebhooks(db)).map((w) => ({
        id: w.id,
        url: w.url,
        siteId: w.site_id,
        minSeverity: w.min_severity,
        enabled: w.enabled === 1,
        signed: Number(w.signed) === 1,
      })),
  );

  app.post(
    '/alert-webhooks',
    {
      ...operators,
      schema: {
        tags,
        summary: 'Add a webhook endpoint',
        body: WebhookBody,
        response: { 201: created(WebhookView) },
      },
    },
    async (req, reply) => {
      const { secret, ...body } = req.body as z.infer<typeof WebhookBody>;
      // The secret is stored for signing and nowhere else: not in the reply, not in the audit log.
      const hook = { id: randomUUID(), ...body, enabled: true, signed: secret !== null };
      await db.tx(async (tx) => {
        await insertWebhook(tx, hook, secret, ctx.now(), req.principal!.name);
        await audit.record({
          actor: req.principal!,
          action: 'alert_webhook.create',
          subject: `alert_webhook:${hook.id}`,
          details: hook,
        });
      });
      return reply.code(201).send(hook);
    },
  );

  app.delete(
    '/alert-webhooks/:id',
    {
      ...operators,
      schema: {
        tags,
        summary: 'Remove a webhook endpoint',
        params: IdParam,
        response: { 204: NoContent, ...errors(404) },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const done = await db.tx(async (tx) => {
        if (!(await deleteWebhook(tx, id))) return false;
        await audit.record({
          actor: req.principal!,
          action: 'alert_webhook.delete',
          subject: `alert_webhook:${id}`,
          details: {},
        });
        return true;
      });
      return done ? reply.code(204).send() : fail(reply, 404, `alert webhook ${id}: not found`);
    },
  );
};
