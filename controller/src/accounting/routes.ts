/**
 * Accounting HTTP API, under /api/v1. Amounts in satoshis are JSON strings (bigint); HSS amounts
 * are decimal strings of HSS (`amountHss`) and of base units (`amountUnits`, 18 decimals).
 * Roles: operator/admin do everything; a staker token reads only its own staker's data (other
 * staker ids answer 403); a technician gets 403 on every route here (no money).
 *
 * Stake register
 *   GET  /stakers                         -> [{ id, name, createdAt }]
 *   POST /stakers { id, name }            -> { id, name, holder }
 *   GET  /stakers/:id                     -> { id, name, holder, holderSalt, stakes: [entry] }  (own staker or operator)
 *   GET  /stakers/:id/stakes              -> [{ seq, stakerId, nodeId, amountHss: "12500", amountUnits, effectiveAt, source, enteredBy, enteredAt }]
 *   GET  /nodes                           -> [{ id, name, kind: "solo"|"shared", collateralHss, eligible }]  (now)
 *   POST /nodes { id, name, kind }
 *   POST /stakes { stakerId, nodeId, amountHss, effectiveAt, idempotencyKey? }  -> 201 entry | 200 same entry again
 *   POST /stakes/import  (text/csv body, see stakes-csv.ts)  -> { entries: 3, unchanged: 0 }
 * Staker views
 *   GET  /stakers/:id/attribution?from=ISO&to=ISO
 *        -> { from, to, periodAttributedThs: 12.3, byNode: { "node-1": 12.3 },
 *             fleet: [{ hourStart, fleetThs }], hours: [{ hourStart, nodeId, share: 0.0123, attributedThs }] }
 *   GET  /stakers/:id/statements          -> [statement]
 *   GET  /stakers/:id/statements/:periodId
 *        -> { periodId: "2026-11-23", start, end, holder, stakeUnitsSeconds, totalEligibleUnitsSeconds,
 *             stakeShare: 0.25, attributedThs: 40.1, payoutSats: "83623703", adjustmentSats: "0", totalSats: "83623703",
 *             ruleVersion: 1, inputsSha256, outputsSha256, inputsUrl: "/api/v1/periods/2026-11-23/inputs", outputsUrl }
 *   GET  /stakers/:id/statements.csv      -> text/csv, one row per period
 * Periods (operator/admin unless noted)
 *   GET  /periods                         -> [{ periodId, startMs, endMs, ruleVersion, inputsSha256, outputsSha256, netSats, stakerPoolSats, lossCarriedOutSats, closedBy, closedAt }]
 *   POST /periods/:id/close               -> 201 summary (alreadyClosed: false) | 200 the same summary (alreadyClosed: true)
 *   POST /periods/:id/recompute           -> { identical: true, storedOutputsSha256, recomputedOutputsSha256, ... }
 *   GET  /periods/:id/inputs              -> the exact canonical inputs document the hash covers (operator, or a staker paid in the period)
 *   GET  /periods/:id/outputs             -> the canonical outputs document (same access as inputs)
 *   GET  /periods/:id/journal             -> [{ tx, lineNo, kind: "close"|"adjustment", account, debitSats, creditSats, memo, createdBy, createdAt }]
 *   GET  /periods/:id/reconciliation      -> { creditedSats, expectedSats, shortfallSats, shortfallBps, poolShortfallFlagged, costsSats, netSats, paidToStakersSats, journalBalanced, adjustments, balances }
 *   POST /periods/:id/adjustments { memo, idempotencyKey, lines: [{ account, debitSats, creditSats }] } -> 201 { tx }
 * Close inputs (operator/admin)
 *   POST /credits { periodId, pool, reference, amountSats }          (pool + reference unique: re-posting is a no-op)
 *   POST /costs { periodId, description, currency: "USD"|"BTC", amount? (decimal fiat), amountSats? }
 *   POST /btc-prices { currency, price (decimal), source, observedAt }
 *   POST /network { difficulty, blockHeight, feesPerBlockSats, source, observedAt }
 *   GET  /rules, POST /rules { stakerBps, reinvestBps, operatorBps, lossRule, periodSeconds, minNodeCollateralHss, effectiveFrom }  (admin)
 *
 * How a staker verifies a payout: fetch /periods/:id/inputs, check sha256(body) == inputsSha256 of
 * the statement, find their own rows by `holder` (shown in /stakers/:id), and run the published
 * split (controller/src/accounting/close.ts) on the document: it yields outputsSha256. Other
 * stakers appear only as salted holder hashes.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal, Role } from '../auth/roles.js';
import type { FeatureContext } from '../features.js';
import { jsonReplacer } from '../http/zod.js';
import { addBtcPrice, addCost, addCredit, addNetworkStats } from './entries.js';
import { parseMicro } from './fiat.js';
import { formatHss, parseHss } from './hss.js';
import { adjustPeriod, getClose, journalOf, listCloses, recomputeStored, storedDocument } from './ledger.js';
import {
  AccountingError,
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
} from './register.js';
import { closeAndPublish, importStakes, stakerAttribution } from './service.js';
import { buildTimeline, nodeCollateralAt } from './stake-timeline.js';
import { reconciliationOf, stakerInPeriod, statementOf, statementsCsv, statementsOf } from './views.js';

const MONEY: Role[] = ['operator', 'admin'];
const MONEY_OR_STAKER: Role[] = ['operator', 'admin', 'staker'];

const Id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"');
const PeriodParam = z.object({ id: z.string().min(1).max(40) });
const StakerParam = z.object({ id: Id });
const Sats = z
  .union([z.string().regex(/^\d{1,19}$/), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));
const IsoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

function send(reply: FastifyReply, code: number, data: unknown) {
  return reply.code(code).type('application/json; charset=utf-8').send(JSON.stringify(data, jsonReplacer));
}

/** Runs a parser of request text; its error becomes a 400 naming the field. */
function input<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new AccountingError(`${what}: ${(e as Error).message}`);
  }
}

function fail(reply: FastifyReply, err: unknown) {
  if (err instanceof AccountingError)
    return send(reply, err.status, { error: 'accounting', message: err.message });
  throw err;
}

/** A staker token may read only its own staker; staff with money roles read any. */
function ownOnly(request: FastifyRequest, reply: FastifyReply, stakerId: string): boolean {
  const p = request.principal as Principal;
  if (p.role === 'staker' && p.stakerId !== stakerId) {
    void send(reply, 403, {
      error: 'forbidden',
      message: `staker tokens see only their own data (asked for ${stakerId})`,
    });
    return false;
  }
  return true;
}

export const accountingRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const { db, audit } = ctx;
  const deps = { db, audit, influx: ctx.influx, now: ctx.now };
  const money = { onRequest: app.authorize(...MONEY) };
  const moneyOrStaker = { onRequest: app.authorize(...MONEY_OR_STAKER) };
  const tags = ['accounting'];

  app.get('/stakers', { ...money, schema: { tags, summary: 'All stakers' } }, async (_req, reply) => {
    const rows = await listStakers(db);
    return send(
      reply,
      200,
      rows.map((r) => ({ id: r.id, name: r.name, createdAt: new Date(Number(r.created_at)).toISOString() })),
    );
  });

  app.post(
    '/stakers',
    {
      ...money,
      schema: {
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
    { ...moneyOrStaker, schema: { tags, params: StakerParam } },
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
    { ...moneyOrStaker, schema: { tags, params: StakerParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!ownOnly(request, reply, id)) return reply;
      return send(reply, 200, (await stakeEntriesOf(db, id)).map(presentEntry));
    },
  );

  app.get(
    '/nodes',
    { ...money, schema: { tags, summary: 'Staking nodes with their collateral now' } },
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
    { ...money, schema: { tags, summary: 'Append an effective-dated stake entry', body: StakeBody } },
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
      { ...money, schema: { tags, summary: 'Import stake entries from CSV (all or nothing)' } },
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

  const Range = z.object({ from: IsoTime, to: IsoTime });
  app.get(
    '/stakers/:id/attribution',
    { ...moneyOrStaker, schema: { tags, params: StakerParam, querystring: Range } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!ownOnly(request, reply, id)) return reply;
      const q = request.query as { from: number; to: number };
      try {
        return send(reply, 200, await stakerAttribution(db, id, q.from, q.to));
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.get(
    '/stakers/:id/statements',
    { ...moneyOrStaker, schema: { tags, params: StakerParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!ownOnly(request, reply, id)) return reply;
      return send(reply, 200, await statementsOf(db, id));
    },
  );

  app.get(
    '/stakers/:id/statements.csv',
    { ...moneyOrStaker, schema: { tags, params: StakerParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!ownOnly(request, reply, id)) return reply;
      const csv = statementsCsv(await statementsOf(db, id));
      return reply
        .code(200)
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="statements-${id}.csv"`)
        .send(csv);
    },
  );

  app.get(
    '/stakers/:id/statements/:periodId',
    { ...moneyOrStaker, schema: { tags, params: z.object({ id: Id, periodId: z.string().min(1).max(40) }) } },
    async (request, reply) => {
      const { id, periodId } = request.params as { id: string; periodId: string };
      if (!ownOnly(request, reply, id)) return reply;
      try {
        return send(reply, 200, await statementOf(db, id, periodId));
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.get('/periods', { ...money, schema: { tags, summary: 'Closed periods' } }, async (_req, reply) =>
    send(reply, 200, await listCloses(db)),
  );

  app.post(
    '/periods/:id/close',
    { ...money, schema: { tags, params: PeriodParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      try {
        const summary = await closeAndPublish(deps, id, request.principal!);
        return send(reply, summary.alreadyClosed ? 200 : 201, summary);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.post(
    '/periods/:id/recompute',
    { ...money, schema: { tags, params: PeriodParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      try {
        return send(reply, 200, await recomputeStored(db, id));
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  for (const which of ['inputs', 'outputs'] as const) {
    app.get(
      `/periods/:id/${which}`,
      { ...moneyOrStaker, schema: { tags, params: PeriodParam } },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const p = request.principal!;
        if (p.role === 'staker' && !(p.stakerId && (await stakerInPeriod(db, p.stakerId, id)))) {
          return send(reply, 403, {
            error: 'forbidden',
            message: `period ${id}: a staker sees the ${which} only of periods they were paid in`,
          });
        }
        const doc = await storedDocument(db, id, which);
        if (doc === null)
          return send(reply, 404, { error: 'not_found', message: `period ${id}: not closed` });
        // The stored bytes, untouched: sha256 of this body is the published hash.
        return reply.code(200).type('application/json; charset=utf-8').send(doc);
      },
    );
  }

  app.get(
    '/periods/:id/journal',
    { ...money, schema: { tags, params: PeriodParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!(await getClose(db, id)))
        return send(reply, 404, { error: 'not_found', message: `period ${id}: not closed` });
      return send(reply, 200, await journalOf(db, id));
    },
  );

  app.get(
    '/periods/:id/reconciliation',
    { ...money, schema: { tags, params: PeriodParam } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      try {
        return send(reply, 200, await reconciliationOf(db, id));
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  const Adjustment = z.object({
    memo: z.string().min(1).max(500),
    idempotencyKey: z.string().min(1).max(200),
    lines: z
      .array(
        z.object({
          account: z.string().min(1).max(200),
          debitSats: Sats.default(0n),
          creditSats: Sats.default(0n),
        }),
      )
      .min(2)
      .max(1000),
  });
  app.post(
    '/periods/:id/adjustments',
    { ...money, schema: { tags, params: PeriodParam, body: Adjustment } },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      try {
        const r = await adjustPeriod(
          deps,
          id,
          request.body as z.infer<typeof Adjustment>,
          request.principal!,
        );
        return send(reply, r.created ? 201 : 200, r);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  const Credit = z.object({
    periodId: z.string().min(1).max(40),
    pool: z.string().min(1).max(100),
    reference: z.string().min(1).max(200),
    amountSats: Sats,
  });
  app.post(
    '/credits',
    { ...money, schema: { tags, summary: 'BTC credited by the pool for a period', body: Credit } },
    async (request, reply) => {
      const b = request.body as z.infer<typeof Credit>;
      try {
        const r = await db.tx(async (tx) => {
          const c = await addCredit(tx, b, request.principal!.name, ctx.now());
          if (c.created)
            await audit.record({
              actor: request.principal!,
              action: 'accounting.credit.add',
              subject: `period ${b.periodId}`,
              details: { ...b, amountSats: `${b.amountSats}` },
            });
          return c;
        });
        return send(reply, r.created ? 201 : 200, r);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  const Cost = z.object({
    periodId: z.string().min(1).max(40),
    description: z.string().min(1).max(200),
    currency: z.string().regex(/^(BTC|[A-Z]{3})$/),
    amount: z.string().max(30).optional(),
    amountSats: Sats.optional(),
  });
  app.post(
    '/costs',
    { ...money, schema: { tags, summary: 'Another operating cost of a period', body: Cost } },
    async (request, reply) => {
      const b = request.body as z.infer<typeof Cost>;
      try {
        const amountMicro =
          b.amount === undefined ? undefined : input('body.amount', () => parseMicro(b.amount!, 'amount'));
        const r = await db.tx(async (tx) => {
          const c = await addCost(tx, { ...b, amountMicro }, request.principal!.name, ctx.now());
          await audit.record({
            actor: request.principal!,
            action: 'accounting.cost.add',
            subject: `period ${b.periodId}`,
            details: { ...b, amountSats: b.amountSats?.toString() },
          });
          return c;
        });
        return send(reply, 201, r);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  const Price = z.object({
    currency: z.string().regex(/^[A-Z]{3}$/),
    price: z.string().max(30),
    source: z.string().min(1).max(200),
    observedAt: IsoTime,
  });
  app.post(
    '/btc-prices',
    { ...money, schema: { tags, summary: 'BTC price used to convert fiat costs', body: Price } },
    async (request, reply) => {
      const b = request.body as z.infer<typeof Price>;
      try {
        const priceMicro = input('body.price', () => parseMicro(b.price, 'price'));
        const r = await db.tx(async (tx) => {
          const p = await addBtcPrice(
            tx,
            { currency: b.currency, priceMicro, source: b.source, observedAtMs: b.observedAt },
            request.principal!.name,
            ctx.now(),
          );
          await audit.record({
            actor: request.principal!,
            action: 'accounting.btc_price.add',
            subject: `BTC/${b.currency}`,
            details: b,
          });
          return p;
        });
        return send(reply, 201, r);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  const Network = z.object({
    difficulty: z.number().positive(),
    blockHeight: z.number().int().nonnegative(),
    feesPerBlockSats: Sats,
    source: z.string().min(1).max(200),
    observedAt: IsoTime,
  });
  app.post(
    '/network',
    {
      ...money,
      schema: { tags, summary: 'Network difficulty and fees, for expected revenue', body: Network },
    },
    async (request, reply) => {
      const b = request.body as z.infer<typeof Network>;
      const r = await db.tx(async (tx) => {
        const n = await addNetworkStats(
          tx,
          { ...b, observedAtMs: b.observedAt },
          request.principal!.name,
          ctx.now(),
        );
        await audit.record({
          actor: request.principal!,
          action: 'accounting.network.add',
          subject: 'network',
          details: { ...b, feesPerBlockSats: `${b.feesPerBlockSats}` },
        });
        return n;
      });
      return send(reply, 201, r);
    },
  );

  app.get('/rules', { ...money, schema: { tags, summary: 'Payout rule versions' } }, async (_req, reply) =>
    send(reply, 200, await listRules(db)),
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
    { onRequest: app.authorize('admin'), schema: { tags, summary: 'A new payout rule version', body: Rule } },
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
