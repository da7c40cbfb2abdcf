import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { FeatureContext } from '../../core/feature.js';
import type { StakeEntryRow } from '../register.js';
import { presentEntry } from '../register.js';
import { MONEY, send } from './http.js';
import { Docs, ok } from './schemas.js';

/**
 * The entered close inputs read back, newest first, for the Accounting screen's lists (issue 19
 * item 6): pool credits and other costs (of one period when `periodId` is given), and the stake
 * register's entries across stakers. Operator and admin, like the routes that take them
 * (input-routes.ts, register-routes.ts).
 *
 *   GET /credits?periodId=&limit= -> [{ periodId, pool, reference, amountSats, enteredBy, enteredAt }]
 *   GET /costs?periodId=&limit=   -> [{ periodId, description, currency, amount, amountSats, enteredBy, enteredAt }]
 *   GET /stakes?limit=            -> [stake entry as /stakers/:id/stakes gives it, plus stakerName, nodeName]
 */
const ListQuery = z.object({
  periodId: z.string().min(1).max(40).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** A fiat amount in micro-units as the decimal text it was entered as (`120.5`). */
const microText = (micro: bigint): string => {
  const whole = micro / 1_000_000n;
  const frac = (micro % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
};

export const entryListRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const { db } = ctx;
  const money = { onRequest: app.authorize(...MONEY) };
  const tags = ['accounting'];
  const where = (periodId: string | undefined) =>
    periodId === undefined
      ? { sql: '', args: [] as string[] }
      : { sql: 'WHERE period_id = ?', args: [periodId] };

  app.get(
    '/credits',
    {
      ...money,
      schema: { response: ok(Docs), tags, summary: 'Pool credits entered', querystring: ListQuery },
    },
    async (request, reply) => {
      const q = request.query as z.infer<typeof ListQuery>;
      const w = where(q.periodId);
      const rows = await db.all<{
        period_id: string;
        pool: string;
        reference: string;
        amount_sats: bigint | number | string;
        entered_by: string;
        entered_at: number;
      }>(
        `SELECT period_id, pool, reference, amount_sats, entered_by, entered_at FROM acct_credits ${w.sql}
         ORDER BY entered_at DESC, period_id DESC, pool, reference LIMIT ?`,
        [...w.args, q.limit],
      );
      return send(
        reply,
        200,
        rows.map((r) => ({
          periodId: r.period_id,
          pool: r.pool,
          reference: r.reference,
          amountSats: BigInt(r.amount_sats),
          enteredBy: r.entered_by,
          enteredAt: new Date(Number(r.entered_at)).toISOString(),
        })),
      );
    },
  );

  app.get(
    '/costs',
    {
      ...money,
      schema: { response: ok(Docs), tags, summary: 'Other costs entered', querystring: ListQuery },
    },
    async (request, reply) => {
      const q = request.query as z.infer<typeof ListQuery>;
      const w = where(q.periodId);
      const rows = await db.all<{
        period_id: string;
        description: string;
        currency: string;
        amount_sats: bigint | number | string | null;
        amount_micro: bigint | number | string | null;
        entered_by: string;
        entered_at: number;
      }>(
        `SELECT period_id, description, currency, amount_sats, amount_micro, entered_by, entered_at FROM acct_costs
         ${w.sql} ORDER BY entered_at DESC, period_id DESC, id LIMIT ?`,
        [...w.args, q.limit],
      );
      return send(
        reply,
        200,
        rows.map((r) => ({
          periodId: r.period_id,
          description: r.description,
          currency: r.currency,
          amount: r.amount_micro === null ? null : microText(BigInt(r.amount_micro)),
          amountSats: r.amount_sats === null ? null : BigInt(r.amount_sats),
          enteredBy: r.entered_by,
          enteredAt: new Date(Number(r.entered_at)).toISOString(),
        })),
      );
    },
  );

  app.get(
    '/stakes',
    {
      ...money,
      schema: {
        response: ok(Docs),
        tags,
        summary: 'Stake entries of every staker, newest first',
        querystring: ListQuery.omit({ periodId: true }),
      },
    },
    async (request, reply) => {
      const { limit } = request.query as { limit: number };
      const rows = await db.all<StakeEntryRow & { staker_name: string; node_name: string }>(
        `SELECT e.*, s.name AS staker_name, n.name AS node_name FROM acct_stake_entries e
         JOIN acct_stakers s ON s.id = e.staker_id JOIN acct_nodes n ON n.id = e.node_id
         ORDER BY e.seq DESC LIMIT ?`,
        [limit],
      );
      return send(
        reply,
        200,
        rows.map((r) => ({ ...presentEntry(r), stakerName: r.staker_name, nodeName: r.node_name })),
      );
    },
  );
};
