import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CoreContext } from '../../core/context.js';
import { EDITORS, IdParams, notFound, parseJson, READERS } from '../../core/http/common.js';
import { errors, JsonObject } from '../../core/http/responses.js';
import { moveMiner } from '../inventory/miners.js';
import { MinerStatusSchema } from '../inventory/types.js';
import { storedSample } from '../latest-row.js';
import {
  getMinerRow,
  listMiners,
  type MinerListRow,
  minerDetail,
  minerEvents,
  minerHistory,
  minerHistoryInfluxQl,
} from '../miner-queries.js';
import { withMinerNames } from '../names.js';
import { isOnline } from '../rollup.js';
import { EventView, IdOnly, MinerNameView } from './schemas.js';

const ListQuery = z.object({
  siteId: z.string().optional(),
  containerId: z.string().optional(),
  status: MinerStatusSchema.optional(),
  model: z.string().optional(),
  /** Matches serial, asset code, model, id, rack/slot, or any identity value (IP, MAC) as a substring. */
  q: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

const HistoryQuery = z.object({
  from: z.coerce.number().int().nonnegative().optional(),
  to: z.coerce.number().int().nonnegative().optional(),
  stepS: z.coerce.number().int().min(60).max(86_400).default(300),
});

const MoveBody = z.object({
  siteId: z.string().nullable(),
  containerId: z.string().nullable(),
  slotId: z.string().nullable(),
  status: MinerStatusSchema,
  reason: z.string().min(1).max(500),
});

const S = z.string().nullable();
const N = z.number().nullable();
const MinerView = z.looseObject({
  id: z.string(),
  serial: S,
  assetCode: S,
  ip: S,
  mac: S,
  model: S,
  profile: S,
  firmwareVersion: S,
  status: z.string(),
  siteId: S,
  containerId: S,
  slotId: S,
  rack: S,
  slot: S,
  state: S,
  online: z.boolean(),
  lastSeenAt: N,
  hashrateThs: N,
  expectedThs: N,
  chipTempMaxC: N,
  powerW: N,
  powerProvenance: S,
});
const MinerDetail = MinerView.extend({
  purchaseDate: S,
  warrantyEnd: S,
  sample: JsonObject.nullable().describe('the last MinerSample as the agent sent it (contracts)'),
  error: z.unknown(),
  receivedAt: N,
  identities: z.array(z.looseObject({ kind: z.string(), value: z.string(), firstSeen: N, lastSeen: N })),
  locations: z.array(
    z.looseObject({ at: z.number(), siteId: S, containerId: S, slotId: S, status: S, reason: S }),
  ),
});
const History = z.object({
  source: z.enum(['influx', 'sql']),
  points: z.array(z.object({ at: z.number(), hashrateThs: N, chipTempMaxC: N, powerW: N })),
});
/**
 * Long because a route plugin is the sum of its routes: one registration each, with its schemas; the
 * handlers are short calls into the miner queries.
 */
export const minerRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  const offlineMs = ctx.config.ingest.offlineAfterS * 1000;
  const view = (m: MinerListRow, now: number) => {
    const online = isOnline(m, now, offlineMs);
    return {
      id: m.id,
      serial: m.serial,
      assetCode: m.asset_code,
      ip: m.ip,
      mac: m.mac,
      model: m.model,
      profile: m.profile,
      firmwareVersion: m.firmware_version,
      status: m.status,
      siteId: m.site_id,
      containerId: m.container_id,
      slotId: m.slot_id,
      rack: m.rack,
      slot: m.slot,
      state: m.at === null ? null : online ? m.state : 'offline',
      online,
      lastSeenAt: m.at,
      hashrateThs: m.hashrate_ths,
      expectedThs: m.expected_ths,
      chipTempMaxC: m.chip_temp_max_c,
      powerW: m.power_w,
      powerProvenance: m.power_provenance,
    };
  };

  app.get(
    '/miners',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['miners'],
        summary: 'Search and filter miners',
        querystring: ListQuery,
        response: {
          200: z.object({
            total: z.number(),
            limit: z.number(),
            offset: z.number(),
            miners: z.array(MinerView),
          }),
        },
      },
    },
    async (request) => {
      const q = request.query as z.infer<typeof ListQuery>;
      const { total, rows } = await listMiners(ctx.db, q, q.limit, q.offset);
      const now = ctx.now();
      return {
        total,
        limit: q.limit,
        offset: q.offset,
        miners: rows.map((r) => view(r, now)),
      };
    },
  );

  app.get(
    '/miners/:id',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['miners'],
        summary: 'Miner detail',
        params: IdParams,
        response: { 200: MinerDetail, ...errors(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const m = await getMinerRow(ctx.db, id);
      if (!m) return notFound(reply, `miner ${id}`);
      const { latest, identities, locations } = await minerDetail(ctx.db, id);
      return {
        ...view(m, ctx.now()),
        purchaseDate: m.purchase_date,
        warrantyEnd: m.warranty_end,
        sample: latest ? storedSample(latest) : null,
        error: latest?.error ?? null,
        receivedAt: latest?.received_at ?? null,
        identities: identities.map((i) => ({
          kind: i.kind,
          value: i.value,
          firstSeen: i.first_seen,
          lastSeen: i.last_seen,
        })),
        locations: locations.map((l) => ({
          at: l.at,
          siteId: l.site_id,
          containerId: l.container_id,
          slotId: l.slot_id,
          status: l.status,
          reason: l.reason,
        })),
      };
    },
  );

  app.get(
    '/miners/:id/history',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['miners'],
        summary:
          'Hashrate, chip temperature and power over time (InfluxDB when configured, else the SQL history)',
        params: IdParams,
        querystring: HistoryQuery,
        response: { 200: History },
      },
    },
    async (request) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const q = request.query as z.infer<typeof HistoryQuery>;
      const to = q.to ?? ctx.now();
      const from = q.from ?? to - 6 * 3_600_000;
      const stepMs = q.stepS * 1000;
      if (ctx.influx?.query && /^[A-Za-z0-9._-]+$/.test(id)) {
        const rows = await ctx.influx.query(minerHistoryInfluxQl(id, from, to, q.stepS));
        if (rows) {
          return {
            source: 'influx',
            points: rows.map((r) => ({
              at: Number(r.time),
              hashrateThs: (r.hashrate_ths as number | null) ?? null,
              chipTempMaxC: (r.chip_temp_max_c as number | null) ?? null,
              powerW: (r.power_w as number | null) ?? null,
            })),
          };
        }
      }
      const rows = await minerHistory(ctx.db, id, from, to, stepMs);
      return {
        source: 'sql',
        points: rows.map((r) => ({
          at: Number(r.bucket),
          hashrateThs: r.hashrate_ths,
          chipTempMaxC: r.chip_temp_max_c,
          powerW: r.power_w,
        })),
      };
    },
  );

  app.get(
    '/miners/:id/events',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['miners'],
        params: IdParams,
        response: { 200: z.array(EventView.extend({ minerId: z.string() }).extend(MinerNameView.shape)) },
      },
    },
    async (request) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const rows = await minerEvents(ctx.db, id);
      return withMinerNames(
        ctx.db,
        rows.map((e) => ({
          id: e.id,
          at: e.at,
          kind: e.kind,
          minerId: id,
          agentId: e.agent_id,
          details: parseJson(e.details_json),
        })),
      );
    },
  );

  app.post(
    '/miners/:id/move',
    {
      preHandler: app.authorize(...EDITORS),
      schema: {
        tags: ['miners'],
        summary: 'Move a miner or change its status (kept in its location history)',
        params: IdParams,
        body: MoveBody,
        response: { 200: IdOnly, ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const body = request.body as z.infer<typeof MoveBody>;
      try {
        await ctx.db.tx(async (tx) => {
          await moveMiner(tx, id, body, { now: ctx.now() });
          await ctx.audit.record({
            actor: request.principal!,
            action: 'miner.move',
            subject: `miner ${id}`,
            details: body,
          });
        });
      } catch (err) {
        const message = (err as Error).message;
        return reply
          .code(/not found|does not exist/.test(message) ? 404 : 409)
          .send({ error: 'conflict', message });
      }
      return { id };
    },
  );
};
