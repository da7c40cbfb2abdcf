import type { PduSample } from '@hashfleet/contracts';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CoreContext } from '../../core/context.js';
import { EDITORS, IdParams, notFound, parseJson, READERS } from '../../core/http/common.js';
import { errors } from '../../core/http/responses.js';
import { upsertContainer } from '../inventory/sites.js';
import { ensureSlots, slotGrid } from '../inventory/slots.js';
import { containerPdus, containerRollup, containerSlots, getContainer, listContainers } from '../queries.js';
import { isOnline } from '../rollup.js';
import { Discovery, Hottest, IdOnly, RollupView } from './schemas.js';

const ListQuery = z.object({ siteId: z.string().optional() });

const ContainerBody = z.object({
  siteId: z.string().min(1),
  name: z.string().min(1).max(200),
  agentId: z.string().nullable().default(null),
  /** Optional slot grid to create: racks x slots per rack (R01.., 01..). */
  grid: z
    .object({ racks: z.number().int().min(1).max(100), slotsPerRack: z.number().int().min(1).max(200) })
    .optional(),
});

const ContainerSummary = RollupView.omit({ hottest: true }).extend({
  id: z.string(),
  siteId: z.string(),
  name: z.string(),
  agentId: z.string().nullable(),
  discovery: Discovery,
});

const SlotView = z.looseObject({
  slotId: z.string(),
  rack: z.string(),
  slot: z.string(),
  minerId: z.string().nullable(),
  serial: z.string().nullable(),
  assetCode: z.string().nullable(),
  model: z.string().nullable(),
  status: z.string().nullable(),
  state: z.string().nullable(),
  hashrateThs: z.number().nullable(),
  expectedThs: z.number().nullable(),
  chipTempMaxC: z.number().nullable(),
  powerW: z.number().nullable(),
  powerProvenance: z.string().nullable(),
  online: z.boolean(),
  lastSeenAt: z.number().nullable(),
  outlet: z
    .looseObject({ pduId: z.string(), outlet: z.number().nullable(), powerW: z.number().nullable() })
    .nullable(),
});

const ContainerDetail = z.looseObject({
  id: z.string(),
  siteId: z.string(),
  name: z.string(),
  agentId: z.string().nullable(),
  rollup: RollupView,
  discovery: Discovery,
  hottest: Hottest,
  racks: z.array(z.object({ rack: z.string(), slots: z.array(SlotView) })),
  pdus: z.array(
    z.looseObject({
      pduId: z.string(),
      at: z.number().nullable(),
      powerW: z.number().nullable(),
      phases: z.unknown(),
    }),
  ),
});

export const containerRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  const offlineMs = ctx.config.ingest.offlineAfterS * 1000;

  app.get(
    '/containers',
    {
      preHandler: app.authorize(...READERS),
      schema: { tags: ['inventory'], querystring: ListQuery, response: { 200: z.array(ContainerSummary) } },
    },
    async (request) => {
      const { siteId } = request.query as z.infer<typeof ListQuery>;
      const rows = await listContainers(ctx.db, siteId);
      const now = ctx.now();
      return Promise.all(
        rows.map(async (c) => {
          const r = await containerRollup(ctx.db, c.id, now, offlineMs);
          return {
            id: c.id,
            siteId: c.site_id,
            name: c.name,
            agentId: c.agent_id,
            hashrateThs: r.hashrateThs,
            expectedThs: r.expectedThs,
            powerW: r.powerW,
            powerProvenance: r.powerProvenance,
            efficiencyJPerTh: r.efficiencyJPerTh,
            online: r.online,
            hashing: r.hashing,
            total: r.total,
            // Discovery: the miners this container should hold (import, slot plan, seen once) and
            // how many of them answer (issue 19 item 1).
            discovery: { expected: r.total, found: r.online, notAnswering: r.total - r.online },
          };
        }),
      );
    },
  );

  app.get(
    '/containers/:id',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['inventory'],
        summary: 'Container with its rack/slot grid and current values',
        params: IdParams,
        response: { 200: ContainerDetail, ...errors(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const c = await getContainer(ctx.db, id);
      if (!c) return notFound(reply, `container ${id}`);
      const now = ctx.now();
      const slots = await containerSlots(ctx.db, id);
      const pdus = await containerPdus(ctx.db, id);
      // Metered watts per outlet, so a technician sees what a slot really draws beside what the miner says.
      const outletW = new Map<string, number | null>();
      const phasesOf = new Map<string, PduSample['phases']>();
      for (const p of pdus) {
        const sample = parseJson<Pick<PduSample, 'outlets' | 'phases'>>(p.sample_json);
        for (const o of sample?.outlets ?? []) outletW.set(`${p.pdu_id}/${o.outlet}`, o.powerW);
        phasesOf.set(p.pdu_id, sample?.phases ?? null);
      }
      const racks = new Map<string, unknown[]>();
      for (const s of slots) {
        const online = s.miner_id ? isOnline(s, now, offlineMs) : false;
        const list = racks.get(s.rack) ?? [];
        list.push({
          slotId: s.slot_id,
          rack: s.rack,
          slot: s.slot,
          minerId: s.miner_id,
          serial: s.serial,
          assetCode: s.asset_code,
          model: s.model,
          status: s.status,
          // An expected miner that does not answer stays in its slot, said as such (issue 19 item 1);
          // `expected` until its agent has had a poll cycle to find it (inventory/not-found.ts).
          state: s.miner_id ? (online ? s.state : s.at === null ? 'expected' : 'not_answering') : null,
          hashrateThs: s.hashrate_ths,
          expectedThs: s.expected_ths,
          chipTempMaxC: s.chip_temp_max_c,
          powerW: s.power_w,
          powerProvenance: s.power_provenance,
          online,
          lastSeenAt: s.at,
          outlet: s.pdu_id
            ? { pduId: s.pdu_id, outlet: s.outlet, powerW: outletW.get(`${s.pdu_id}/${s.outlet}`) ?? null }
            : null,
        });
        racks.set(s.rack, list);
      }
      const r = await containerRollup(ctx.db, id, now, offlineMs);
      return {
        id: c.id,
        siteId: c.site_id,
        name: c.name,
        agentId: c.agent_id,
        rollup: r,
        discovery: { expected: r.total, found: r.online, notAnswering: r.total - r.online },
        hottest: r.hottest,
        racks: [...racks].map(([rack, list]) => ({ rack, slots: list })),
        pdus: pdus.map((p) => ({
          pduId: p.pdu_id,
          at: p.at,
          powerW: p.power_w,
          phases: phasesOf.get(p.pdu_id) ?? null,
        })),
      };
    },
  );

  app.put(
    '/containers/:id',
    {
      preHandler: app.authorize(...EDITORS),
      schema: {
        tags: ['inventory'],
        summary: 'Create or update a container',
        params: IdParams,
        body: ContainerBody,
        response: { 200: IdOnly },
      },
    },
    async (request) => {
      const { id } = request.params as z.infer<typeof IdParams>;
      const body = request.body as z.infer<typeof ContainerBody>;
      await ctx.db.tx(async (tx) => {
        await upsertContainer(
          tx,
          { id, siteId: body.siteId, name: body.name, agentId: body.agentId },
          ctx.now(),
        );
        if (body.grid) await ensureSlots(tx, id, slotGrid(body.grid.racks, body.grid.slotsPerRack));
        await ctx.audit.record({
          actor: request.principal!,
          action: 'container.upsert',
          subject: `container ${id}`,
          details: body,
        });
      });
      return { id };
    },
  );
};
