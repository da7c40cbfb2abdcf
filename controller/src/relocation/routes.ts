/**
 * Relocation HTTP API, under /api/v1/relocation. Money in USD (planning figures), dates ISO.
 * Roles: operator/admin propose and approve (approval by someone other than the proposer);
 * technicians also read and advance moves (they do the physical steps).
 *
 *   POST /relocation/plans { name, input }                   the planner's full input (schema.ts), or
 *   POST /relocation/plans { name, assumptions }             miners, sites, slots from inventory + assumptions
 *        assumptions: { start: "2026-12", horizonMonths?: 12, market: { btcPriceUsd: 90000, hashpriceBtcPerPhDay: 0.0006, difficultyGrowthPctPerMonth?: 0 },
 *                       routes: [{ from, to, transitDays, costPerMinerUsd, costPerContainerUsd, customsPerMinerUsd }],
 *                       sites?: { kazakhstan: { ambientC: [..12], availability: [..12], repairSite: false } }, policies? }
 *     -> 201 { id, name, state: "proposed", proposedBy, proposedAt, approvedBy: null, approvedAt: null,
 *              profitBeforeUsd: 637.64, profitAfterUsd: 692.93, gainUsd: 55.29, moveCount: 1,
 *              plan: { start, horizonMonths, profitBeforeUsd, profitAfterUsd,
 *                      moves: [{ minerId, serial, batchId, month: 0, departDate: "2026-12-01", arriveDate: "2026-12-11",
 *                                fromSite, toSite, fromContainer, mode: "miner"|"container", costUsd: 20, downtimeUsd: 12.53, gainUsd: 55.28 }],
 *                      batches: [{ id, month, departDate, mode, fromSite, toSite, containerId, minerIds, costUsd, downtimeUsd, gainUsd,
 *                                  reason: "1 miners sichuan → kazakhstan in 2026-12: gain 55.28 USD net of transport 20.00 USD and downtime 12.53 USD",
 *                                  makesRoom: null }],
 *                        a batch that loses money on its own to free slots for miners arriving at its source site that
 *                        month has makesRoom: { siteSlots, minersThere, forBatchIds, arrivingMiners, togetherGainUsd }
 *                        and its reason says so ("...; a loss on its own, it frees slots at kazakhstan (...) for 42 miners
 *                        arriving there the same month, which together with it gain 18251.60 USD"; room.ts)
 *                      retirements: [{ minerId, serial, model, month, date, site, salvageUsd, forgoneMarginUsd, gainUsd }],
 *                      solver: { status: "optimal", optimal: true, timedOut: false, incumbent: "solver"|"no-move plan", mipGap: 0,
 *                                bestBoundUsd, seconds: 0.36, classes, containers, columns, rows } },
 *        a solve cut by policies.timeLimitS has timedOut: true and a status saying the plan is the best found, not optimal
 *              assumptions: { start, horizonMonths, sites, containers, routes, market, policies, minerCount }, skipped: [],
 *              assumed: ["site kazakhstan: no monthly mean temperatures (...); 20 °C assumed all year"] }
 *        from inventory, each site's stored facts (GET|PUT /relocation/sites, site-routes.ts) come first, assumptions.sites over them
 *   GET  /relocation/plans                                   -> [{ id, name, state, profitBeforeUsd, profitAfterUsd, gainUsd, moveCount, ... }]
 *   GET  /relocation/plans/:id                               -> one plan with `plan` and `assumptions` as above
 *   GET  /relocation/plans/compare?a=<id>&b=<id>
 *     -> { a: summary, b: summary, profitAfterDeltaUsd: -120.5, onlyInA: ["m7 sichuan->kazakhstan month 0 by miner"],
 *          onlyInB: [...], differing: ["<move in a> | <move in b>"], changedAssumptions: ["market", "routes"] }
 *   POST /relocation/plans/:id/approve                       -> plan summary, state "approved"; its moves are created "planned"
 *   GET  /relocation/moves?state=installed&planId=<id>
 *     -> [{ id, planId, batchId, minerId, serialExpected, serialSeen, mode, month, departDate, fromSite, fromContainer,
 *           toSite, toContainer, toSlot, expectedThs, state, flag, installedAt, updatedAt }]
 *   GET  /relocation/moves/:id                               -> the move and `events: [{ at, from, to, actor, detail }]`
 *   POST /relocation/moves/:id/advance { to, slot?, serialSeen? } -> the move after the step
 *        to: decommissioned | packed | in_transit | arrived | installed (slot: "<container>/<rack>/<slot>") | verified | cancelled
 *        a wrong serialSeen at installation, or a failed verification, leaves the move "flagged" with `flag` saying why.
 *   POST /relocation/moves/advance { planId, containerId, batchId?, from: "planned", to: "decommissioned" }
 *     -> { planId, containerId, batchId, from, to, advanced: [{ moveId, minerId, assetCode, serial, state }],
 *          refused: [{ moveId, minerId, assetCode, serial, reason: "KZ1-C2-R2-S09 / SN-9: cannot go from ... " }] }
 *        every move of the plan leaving that container (in that batch, if given) in state `from` takes the step, each as the single advance
 *        does (checked, logged, audited); one that refuses is reported, the others go ahead (containers.ts).
 *   GET  /relocation/plans/:id/containers/:containerId/sheet
 *     -> { planId, planName, containerId, containerName, fromSite,
 *          rows: [{ moveId, minerId, assetCode, serial, model, state, mode, departDate, fromRack, fromSlot,
 *                   toSite, toContainer, toRack, toSlot }] }   the crew's move sheet, by rack and slot
 * Errors: { error: "relocation", message } with 400 (bad input), 403 (four-eyes), 404, 409 (wrong state, slot taken, not yet seen).
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Role } from '../core/auth/roles.js';
import type { FeatureContext } from '../core/feature.js';
import { created, errors, JsonObject } from '../core/http/responses.js';
import { MinerNameView, minerNames, withMinerNames } from '../fleet/index.js';
import { advanceContainer, moveSheet } from './containers.js';
import { inputFromInventory } from './inventory-input.js';
import { parsePlannerInput } from './schema.js';
import {
  advanceMove,
  approvePlan,
  comparePlans,
  getMove,
  getPlan,
  listMoves,
  listPlans,
  moveEvents,
  presentMove,
  proposePlan,
  RelocationError,
} from './service.js';
import { siteFactRoutes } from './site-routes.js';
import { loadSolver } from './solver.js';
import { MOVE_STATES } from './workflow.js';

const PLANNERS: Role[] = ['operator', 'admin'];
const STAFF: Role[] = ['operator', 'admin', 'technician'];

const ProposeBody = z
  .object({
    name: z.string().min(1).max(200),
    input: z.unknown().optional(),
    assumptions: z
      .object({
        start: z.string(),
        horizonMonths: z.number().int().optional(),
        market: z.unknown(),
        routes: z.unknown().optional(),
        policies: z.unknown().optional(),
        sites: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
      })
      .optional(),
  })
  .refine(
    (b) => (b.input === undefined) !== (b.assumptions === undefined),
    'give exactly one of input or assumptions',
  );
const IdParam = z.object({ id: z.string().min(1).max(100) });
const AdvanceBody = z.object({
  to: z.enum(MOVE_STATES),
  slot: z.string().min(1).max(200).optional(),
  serialSeen: z.string().min(1).max(200).optional(),
});
const ContainerAdvanceBody = z.object({
  planId: z.string().min(1).max(100),
  containerId: z.string().min(1).max(200),
  batchId: z.string().min(1).max(200).optional(),
  from: z.enum(MOVE_STATES),
  to: z.enum(MOVE_STATES),
});

const S = z.string().nullable();
/** A plan's summary (the list, an approval); money in USD. */
const PlanSummary = z.looseObject({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  proposedBy: S,
  approvedBy: S,
  profitBeforeUsd: z.number().nullable(),
  profitAfterUsd: z.number().nullable(),
  gainUsd: z.number().nullable(),
  moveCount: z.number(),
});
/**
 * The planner's result (types.ts Plan). Fields added later are optional: plans stored before them
 * are still served as they were made.
 */
const PlanResult = z.looseObject({
  profitBeforeUsd: z.number(),
  profitAfterUsd: z.number(),
  moves: z.array(JsonObject),
  batches: z.array(
    z.looseObject({
      id: z.string(),
      reason: z.string().optional(),
      makesRoom: z
        .object({
          siteSlots: z.number(),
          minersThere: z.number(),
          forBatchIds: z.array(z.string()),
          arrivingMiners: z.number(),
          togetherGainUsd: z.number(),
        })
        .nullable()
        .optional(),
    }),
  ),
  retirements: z
    .array(
      z.looseObject({
        minerId: z.string(),
        month: z.number(),
        site: z.string(),
        salvageUsd: z.number(),
        forgoneMarginUsd: z.number(),
        gainUsd: z.number(),
      }),
    )
    .optional(),
  solver: z.looseObject({
    status: z.string(),
    optimal: z.boolean(),
    timedOut: z.boolean().optional(),
    incumbent: z.enum(['solver', 'no-move plan']).optional(),
    mipGap: z.number().nullable(),
    bestBoundUsd: z.number().nullable().optional(),
  }),
});
/** A plan with the planner's result and the assumptions it was made on (see the header). */
const PlanView = PlanSummary.extend({ plan: PlanResult, assumptions: JsonObject });
const PlanComparison = z.looseObject({
  a: PlanSummary,
  b: PlanSummary,
  profitAfterDeltaUsd: z.number().nullable(),
  onlyInA: z.array(z.string()),
  onlyInB: z.array(z.string()),
  differing: z.array(z.string()),
  changedAssumptions: z.array(z.string()),
});
/** A move with its miner's names (its current serial, asset code, model and place; issue 19 item 2). */
const MoveCore = z.looseObject({
  id: z.string(),
  planId: z.string(),
  minerId: z.string(),
  state: z.string(),
  flag: S,
});
const MoveView = MoveCore.extend(MinerNameView.shape);
/** A miner in a container's answer: its move, and its names (no one reads its id). */
const SheetMiner = z.object({ moveId: z.string(), minerId: z.string(), assetCode: S, serial: S });
const ContainerAdvanced = z.object({
  planId: z.string(),
  containerId: z.string(),
  batchId: S,
  from: z.string(),
  to: z.string(),
  advanced: z.array(SheetMiner.extend({ state: z.string() })),
  refused: z.array(
    SheetMiner.extend({ reason: z.string().describe('names the miner by asset code / serial') }),
  ),
});
const MoveSheet = z.object({
  planId: z.string(),
  planName: z.string(),
  containerId: z.string(),
  containerName: z.string(),
  fromSite: S,
  rows: z.array(
    SheetMiner.extend({
      model: S,
      state: z.string(),
      mode: z.string(),
      departDate: z.string(),
      fromRack: S,
      fromSlot: S,
      toSite: z.string(),
      toContainer: S.describe('null until installed, unless the whole container moves'),
      toRack: S,
      toSlot: S,
    }),
  ),
});

function fail(reply: FastifyReply, e: unknown) {
  if (e instanceof RelocationError)
    return reply.code(e.status).send({ error: 'relocation', message: e.message });
  if (e instanceof Error && e.message.startsWith('relocation input:'))
    return reply.code(400).send({ error: 'relocation', message: e.message });
  throw e;
}

/**
 * Long because a route plugin is the sum of its routes (plans, their comparison and approval,
 * moves): one registration each, with its schemas; the handlers are short calls into the
 * relocation service.
 */
export const relocationRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const highs = await loadSolver();
  const deps = { db: ctx.db, audit: ctx.audit, now: ctx.now, issueCommand: ctx.issueCommand };
  const planners = { preHandler: app.authorize(...PLANNERS) };
  const staff = { preHandler: app.authorize(...STAFF) };
  const tags = ['relocation'];
  await app.register(siteFactRoutes, ctx);

  app.post(
    '/relocation/plans',
    {
      ...planners,
      schema: {
        tags,
        summary: 'Propose a plan',
        body: ProposeBody,
        response: {
          201: created(
            PlanView.extend({
              skipped: z.array(z.unknown()),
              assumed: z
                .array(z.string())
                .describe('what the plan took as a default because nothing was given'),
            }),
          ),
          ...errors(400, 403, 404, 409),
        },
      },
    },
    async (req, reply) => {
      const body = req.body as z.infer<typeof ProposeBody>;
      try {
        const { input, skipped, assumed } = body.input
          ? { input: parsePlannerInput(body.input), skipped: [] as string[], assumed: [] as string[] }
          : await inputFromInventory(ctx.db, body.assumptions!);
        const plan = await proposePlan(deps, highs, req.principal!, body.name, input);
        return reply.code(201).send({ ...plan, skipped, assumed });
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.get(
    '/relocation/plans',
    { ...staff, schema: { tags, summary: 'All plans', response: { 200: z.array(PlanSummary) } } },
    async () => listPlans(ctx.db),
  );

  app.get(
    '/relocation/plans/compare',
    {
      ...staff,
      schema: {
        tags,
        summary: 'Compare two plans',
        querystring: z.object({ a: z.string().min(1), b: z.string().min(1) }),
        response: { 200: PlanComparison, ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const q = req.query as { a: string; b: string };
      try {
        return await comparePlans(ctx.db, q.a, q.b);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.get(
    '/relocation/plans/:id',
    {
      ...staff,
      schema: {
        tags,
        summary: 'One plan',
        params: IdParam,
        response: {
          200: PlanView.extend({
            minerNames: z
              .record(z.string(), MinerNameView)
              .describe("each planned miner's names by its id (serial, asset code, model, place now)"),
          }),
          ...errors(400, 403, 404, 409),
        },
      },
    },
    async (req, reply) => {
      try {
        const plan = await getPlan(ctx.db, (req.params as { id: string }).id);
        const moves = ((plan.plan as { moves?: { minerId?: string }[] }).moves ?? []).map((m) => m.minerId);
        return { ...plan, minerNames: Object.fromEntries(await minerNames(ctx.db, moves)) };
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.post(
    '/relocation/plans/:id/approve',
    {
      ...planners,
      schema: {
        tags,
        summary: 'Approve a plan (not by its proposer)',
        params: IdParam,
        response: { 200: PlanSummary, ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      try {
        return await approvePlan(deps, req.principal!, (req.params as { id: string }).id);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.get(
    '/relocation/moves',
    {
      ...staff,
      schema: {
        tags,
        summary: 'Moves by state',
        querystring: z.object({ state: z.enum(MOVE_STATES).optional(), planId: z.string().optional() }),
        response: { 200: z.array(MoveView) },
      },
    },
    async (req) =>
      withMinerNames(
        ctx.db,
        await listMoves(ctx.db, req.query as { state?: (typeof MOVE_STATES)[number]; planId?: string }),
      ),
  );

  app.get(
    '/relocation/moves/:id',
    {
      ...staff,
      schema: {
        tags,
        summary: 'One move and its steps',
        params: IdParam,
        response: {
          200: MoveView.extend({
            events: z.array(
              z.looseObject({ at: z.string(), from: S, to: z.string(), actor: S, detail: z.unknown() }),
            ),
          }),
          ...errors(404),
        },
      },
    },
    async (req, reply) => {
      const id = (req.params as { id: string }).id;
      const row = await getMove(ctx.db, id);
      if (!row) return reply.code(404).send({ error: 'relocation', message: `move ${id}: not found` });
      const events = await moveEvents(ctx.db, id);
      const [named] = await withMinerNames(ctx.db, [presentMove(row)]);
      return {
        ...named,
        events: events.map((e) => ({
          at: new Date(Number(e.at)).toISOString(),
          from: e.from_state,
          to: e.to_state,
          actor: e.actor,
          detail: e.detail,
        })),
      };
    },
  );

  app.post(
    '/relocation/moves/:id/advance',
    {
      ...staff,
      schema: {
        tags,
        summary: 'Take the next step of a move',
        params: IdParam,
        body: AdvanceBody,
        // The move after the step, without its miner's names (advanceMove returns the stored move).
        response: { 200: MoveCore, ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      try {
        return await advanceMove(
          deps,
          req.principal!,
          (req.params as { id: string }).id,
          req.body as z.infer<typeof AdvanceBody>,
        );
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.post(
    '/relocation/moves/advance',
    {
      ...staff,
      schema: {
        tags,
        summary: "Take the same step for all of a container's moves in one state",
        body: ContainerAdvanceBody,
        response: { 200: ContainerAdvanced, ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      try {
        return await advanceContainer(deps, req.principal!, req.body as z.infer<typeof ContainerAdvanceBody>);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.get(
    '/relocation/plans/:id/containers/:containerId/sheet',
    {
      ...staff,
      schema: {
        tags,
        summary: "A container's move sheet",
        params: z.object({ id: z.string().min(1).max(100), containerId: z.string().min(1).max(200) }),
        response: { 200: MoveSheet, ...errors(400, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      const p = req.params as { id: string; containerId: string };
      try {
        return await moveSheet(ctx.db, p.id, p.containerId);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );
};
