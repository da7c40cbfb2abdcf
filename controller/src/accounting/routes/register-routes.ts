import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { FeatureContext } from '../../core/feature.js';
import { errors } from '../../core/http/responses.js';
import { formatHss, parseHss } from '../hss.js';
import {
  addRule,
  addStakeEntry,
  createNode,
  createStaker,
  getStaker,
  listNodes,
  listRules,
  listStakers,
  presentEntry,
  ruleAt,
  stakeEntriesOf,
  stakeEntriesUntil,
} from '../register.js';
import { importStakes } from '../service.js';
import { buildTimeline, nodeCollateralAt } from '../stake-timeline.js';
import { fail, Id, IsoTime, input, MONEY, MONEY_OR_STAKER, ownOnly, StakerParam, send } from './http.js';
import { Doc, Docs, made, ok } from './schemas.js';

/** The stake register: stakers, nodes, effective-dated stake entries, CSV import, payout rules. */
/**
 * Long because a route plugin is the sum of its routes: one registration each, with its schemas, whose
 * handlers are short calls into the stake register.
 */
export const registerRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const { db, audit } = ctx;
  const deps = { db, audit, influx: ctx.influx, now: ctx.now };
  const money = { onRequest: app.authorize(...MONEY) };
  const moneyOrStaker = { onRequest: app.authorize(...MONEY_OR_STAKER) };
  const tags = ['accounting'];

  app.get(
    '/stakers',
    { ...money, schema: { response: ok(Docs), tags, summary: 'All stakers' } },
    async (_req, reply) => {
      const rows = await listStakers(db);
      return send(
        reply,
        200,
        rows.map((r) => ({
          id: r.id,
          name: r.name,
          createdAt: new Date(Number(r.created_at)).toISOString(),
        })),
      );
    },
  );

  app.post(
    '/stakers',
    {
      ...money,
      schema: {
        response: made(Doc),
        tags,
        summary: 'Register a staker',
        body: z.object({ id: Id, name: z.string().min(1).max(200) }),
      },
    },
    async (request, reply) => {
      const body = request.body as { id: string; name: string };
      try {
        const s = await db.tx(async (tx) => {
          const row = await createStaker(tx, body, ctx.now());
          await audit.record({
            actor: request.principal!,
            action: 'accounting.staker.create',
            subject: `staker ${body.id}`,
            details: { name: body.name },
          });
          return row;
        });
        return send(reply, 201, { id: s.id, name: s.name, holder: s.holder });
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.get(
    '/stakers/:id',
    { ...moneyOrStaker, schema: { response: ok(Doc), tags, params: StakerParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!ownOnly(request, reply, id)) return reply;
      const s = await getStaker(db, id);
      if (!s) return send(reply, 404, { error: 'not_found', message: `staker ${id}: not found` });
      const stakes = (await stakeEntriesOf(db, id)).map(presentEntry);
      return send(reply, 200, {
        id: s.id,
        name: s.name,
        holder: s.holder,
        holderSalt: s.holder_salt,
        stakes,
      });
    },
  );

  app.get(
    '/stakers/:id/stakes',
    { ...moneyOrStaker, schema: { response: ok(Docs), tags, params: StakerParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!ownOnly(request, reply, id)) return reply;
      return send(reply, 200, (await stakeEntriesOf(db, id)).map(presentEntry));
    },
  );

  app.get(
    '/nodes',
    { ...money, schema: { response: ok(Docs), tags, summary: 'Staking nodes with their collateral now' } },
    async (_req, reply) => {
      const now = ctx.now();
      const rule = await ruleAt(db, now);
      const nodes = await listNodes(db);
      const { entries } = await stakeEntriesUntil(db, now + 1);
      const timeline = buildTimeline(entries, nodes, rule.minNodeCollateralUnits);
      return send(
        reply,
        200,
        nodes.map((n) => {
          const c = nodeCollateralAt(timeline, n.id, now);
          return { ...n, collateralHss: formatHss(c.units), eligible: c.eligible };
        }),
      );
    },
  );

  app.post(
    '/nodes',
    {
      ...money,
      schema: {
        response: made(Doc),
        tags,
        body: z.object({ id: Id, name: z.string().min(1).max(200), kind: z.enum(['solo', 'shared']) }),
      },
    },
    async (request, reply) => {
      const body = request.body as { id: string; name: string; kind: 'solo' | 'shared' };
      try {
        const n = await db.tx(async (tx) => {
          const node = await createNode(tx, body, ctx.now());
          await audit.record({
            actor: request.principal!,
            action: 'accounting.node.create',
            subject: `node ${body.id}`,
            details: body,
          });
          return node;
        });
        return send(reply, 201, n);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  const StakeBody = z.object({
    stakerId: Id,
    nodeId: Id,
    amountHss: z.string().min(1).max(40),
    effectiveAt: IsoTime,
    idempotencyKey: z.string().min(1).max(200).optional(),
  });
  app.post(
    '/stakes',
    {
      ...money,
      schema: {
        response: { ...made(Doc), 200: Doc.describe('Already appended (same entry): nothing changed') },
        tags,
        summary: 'Append an effective-dated stake entry',
        body: StakeBody,
      },
    },
    async (request, reply) => {
      const b = request.body as z.infer<typeof StakeBody>;
      try {
        const amountUnits = input('body.amountHss', () => parseHss(b.amountHss));
        const { row, created } = await db.tx(async (tx) => {
          const r = await addStakeEntry(
            tx,
            {
              stakerId: b.stakerId,
              nodeId: b.nodeId,
              amountUnits,
              effectiveAtMs: b.effectiveAt,
              source: 'api',
              idempotencyKey: b.idempotencyKey ?? null,
              enteredBy: request.principal!.name,
            },
            ctx.now(),
          );
          if (r.created) {
            await audit.record({
              actor: request.principal!,
              action: 'accounting.stake.add',
              subject: `staker ${b.stakerId}`,
              details: presentEntry(r.row),
            });
          }
          return r;
        });
        return send(reply, created ? 201 : 200, presentEntry(row));
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.register(async (csvScope) => {
    csvScope.addContentTypeParser(
      'text/csv',
      { parseAs: 'string', bodyLimit: 50 * 1024 * 1024 },
      (_req, body, done) => done(null, body),
    );
    csvScope.post(
      '/stakes/import',
      {
        ...money,
        schema: {
          response: { ...ok(Doc), ...errors(415) },
          tags,
          summary: 'Import stake entries from CSV (all or nothing)',
        },
      },
      async (request, reply) => {
        if (typeof request.body !== 'string')
          return send(reply, 415, {
            error: 'accounting',
            message: 'send the CSV with Content-Type: text/csv',
          });
        try {
          return send(
            reply,
            200,
            await importStakes(deps, request.body, 'api:stakes/import', request.principal!),
          );
        } catch (e) {
          return fail(reply, e);
        }
      },
    );
  });

  app.get(
    '/rules',
    { ...money, schema: { response: ok(Docs), tags, summary: 'Payout rule versions' } },
    async (_req, reply) => send(reply, 200, await listRules(db)),
  );

  const Rule = z.object({
    stakerBps: z.number().int().min(0).max(10_000),
    reinvestBps: z.number().int().min(0).max(10_000),
    operatorBps: z.number().int().min(0).max(10_000),
    lossRule: z.enum(['carry_forward', 'pay_zero']),
    periodSeconds: z.number().int().default(86_400),
    minNodeCollateralHss: z.string().default('10000'),
    effectiveFrom: IsoTime,
  });
  app.post(
    '/rules',
    {
      onRequest: app.authorize('admin'),
      schema: { response: made(Doc), tags, summary: 'A new payout rule version', body: Rule },
    },
    async (request, reply) => {
      const b = request.body as z.infer<typeof Rule>;
      try {
        const rule = await db.tx(async (tx) => {
          const r = await addRule(
            tx,
            {
              ...b,
              minNodeCollateralUnits: input('body.minNodeCollateralHss', () =>
                parseHss(b.minNodeCollateralHss),
              ),
              effectiveFromMs: b.effectiveFrom,
            },
            request.principal!.name,
            ctx.now(),
          );
          await audit.record({
            actor: request.principal!,
            action: 'accounting.rule.add',
            subject: `rule ${r.version}`,
            details: b,
          });
          return r;
        });
        return send(reply, 201, rule);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );
};
