/**
 * Tickets API, under /api/v1. Staff (technician, operator, admin) list, open, take, update and
 * close; stakers and agents get 403. Every change is audited (`ticket.open|update|close|note`).
 *
 *   GET   /tickets?state=open&minerId=&containerId=&siteId=&assignee=&limit=
 *     -> [{ id, state: "open"|"in_progress"|"done", title, minerId, slotId: "kz-c1/R2/S14", containerId, siteId,
 *           alertId, source: "remediation"|"person", createdBy, assignee, createdAt, updatedAt, doneAt,
 *           serial, assetCode, model, rack, slot }]   (the miner's names, null without a miner)
 *   POST  /tickets { title, minerId?, slotId?, containerId?, note? }          -> 201 the ticket
 *         (minerId: the miner's id, serial or asset code)
 *   GET   /tickets/:id                                                      -> the ticket and notes: [{ at, author, text }]
 *   POST  /tickets/:id/take { note? }                                       -> the ticket, in_progress, assignee = caller
 *   PATCH /tickets/:id { state?, assignee?, note? }                         -> the ticket
 *   POST  /tickets/:id/close { note? }                                      -> the ticket, done
 *   POST  /tickets/:id/notes { note }                                       -> the ticket (a note appended)
 * Errors: { error: "ticket", message } with 400, 404, 409 (a done ticket does not change).
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { STAFF } from '../core/auth/roles.js';
import type { FeatureContext } from '../core/feature.js';
import { created, errors } from '../core/http/responses.js';
import { resolveMinerRef, withMinerNames } from '../fleet/index.js';
import {
  changeTicket,
  getTicket,
  listTickets,
  openTicket,
  presentTicket,
  slotContainer,
  type TicketChange,
  TicketError,
} from './service.js';
import { TICKET_STATES } from './workflow.js';

const S = z.string().nullable();
/** A ticket with its miner's names (`presentTicket` + `withMinerNames`). */
const TicketView = z.looseObject({
  id: z.string(),
  state: z.enum(TICKET_STATES),
  title: z.string(),
  minerId: S,
  slotId: S,
  containerId: S,
  siteId: S,
  alertId: z.union([z.string(), z.number()]).nullable(),
  source: z.string(),
  createdBy: S,
  assignee: S,
  createdAt: z.number(),
  updatedAt: z.number(),
  doneAt: z.number().nullable(),
  serial: S,
  assetCode: S,
  model: S,
  rack: S,
  slot: S,
});

const IdParam = z.object({ id: z.string().min(1).max(100) });
const Note = z.string().min(1).max(4000);
const ListQuery = z.object({
  state: z.enum(TICKET_STATES).optional(),
  minerId: z.string().min(1).max(200).optional(),
  containerId: z.string().min(1).max(200).optional(),
  siteId: z.string().min(1).max(200).optional(),
  assignee: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
});
const OpenBody = z
  .strictObject({
    title: z.string().min(1).max(300),
    minerId: z.string().min(1).max(200).optional(),
    slotId: z.string().min(1).max(200).optional(),
    containerId: z.string().min(1).max(200).optional(),
    note: Note.optional(),
  })
  .refine((b) => b.minerId || b.slotId || b.containerId, 'give minerId, slotId or containerId');
const PatchBody = z
  .strictObject({
    state: z.enum(TICKET_STATES).optional(),
    assignee: z.string().min(1).max(200).nullable().optional(),
    note: Note.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'give state, assignee or note');
const NoteBody = z.strictObject({ note: Note.optional() }).nullish();
const NoteRequired = z.strictObject({ note: Note });
const noteOf = (b: { note?: string } | null | undefined) => (b?.note ? { note: b.note } : {});

function fail(reply: FastifyReply, e: unknown) {
  if (e instanceof TicketError) return reply.code(e.statusCode).send({ error: 'ticket', message: e.message });
  throw e;
}

/**
 * Long because a route plugin is the sum of its routes: one registration each, with its schemas; the
 * handlers are short calls into the ticket service.
 */
export const ticketRoutes: FastifyPluginAsync<FeatureContext> = async (app, ctx) => {
  const deps = { db: ctx.db, audit: ctx.audit, now: ctx.now };
  const staff = { preValidation: app.authorize(...STAFF) };
  const tags = ['tickets'];

  app.get(
    '/tickets',
    {
      ...staff,
      schema: {
        tags,
        summary: 'Tickets, open first',
        querystring: ListQuery,
        response: { 200: z.array(TicketView) },
      },
    },
    async (req) =>
      withMinerNames(
        ctx.db,
        (await listTickets(ctx.db, req.query as z.infer<typeof ListQuery>)).map(presentTicket),
      ),
  );

  app.post(
    '/tickets',
    {
      ...staff,
      schema: {
        tags,
        summary: 'Open a ticket for a miner, slot or container',
        body: OpenBody,
        response: { 201: created(TicketView), ...errors(400, 404, 409) },
      },
    },
    async (req, reply) => {
      const b = req.body as z.infer<typeof OpenBody>;
      // A person types what is on the label: the serial or the asset code (issue 19 item 2).
      if (b.minerId) {
        const id = await resolveMinerRef(ctx.db, b.minerId);
        if (!id)
          return reply.code(404).send({
            error: 'ticket',
            message: `miner ${b.minerId}: no miner has this id, serial or asset code`,
          });
        b.minerId = id;
      }
      if (b.slotId && !b.containerId) {
        const slot = await slotContainer(ctx.db, b.slotId);
        if (!slot) return reply.code(404).send({ error: 'ticket', message: `slot ${b.slotId}: not found` });
        b.containerId = slot.container_id;
      }
      try {
        const t = await openTicket(deps, req.principal!, { ...b, source: 'person' });
        const [named] = await withMinerNames(ctx.db, [presentTicket(t)]);
        return reply.code(201).send(named);
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  app.get(
    '/tickets/:id',
    {
      ...staff,
      schema: {
        tags,
        summary: 'One ticket with its notes',
        params: IdParam,
        response: {
          200: TicketView.extend({
            notes: z.array(z.looseObject({ at: z.number(), author: z.string(), text: z.string() })),
          }),
          ...errors(400, 404, 409),
        },
      },
    },
    async (req, reply) => {
      try {
        const { ticket, notes } = await getTicket(ctx.db, (req.params as { id: string }).id);
        const [named] = await withMinerNames(ctx.db, [presentTicket(ticket)]);
        return {
          ...named,
          notes: notes.map((n) => ({ at: n.at, author: n.author, text: n.text })),
        };
      } catch (e) {
        return fail(reply, e);
      }
    },
  );

  // Every change to one ticket: the route names what it means, `changeTicket` checks and audits it.
  const changes: {
    method: 'POST' | 'PATCH';
    url: string;
    summary: string;
    body: z.ZodType;
    change: (who: string, body: never) => TicketChange;
  }[] = [
    {
      method: 'POST',
      url: '/tickets/:id/take',
      summary: 'Take a ticket (assign to yourself, in progress)',
      body: NoteBody,
      change: (who, b: z.infer<typeof NoteBody>) => ({ state: 'in_progress', assignee: who, ...noteOf(b) }),
    },
    {
      method: 'PATCH',
      url: '/tickets/:id',
      summary: 'Change state or assignee, or add a note',
      body: PatchBody,
      change: (_who, b: z.infer<typeof PatchBody>) => b,
    },
    {
      method: 'POST',
      url: '/tickets/:id/close',
      summary: 'Mark a ticket done',
      body: NoteBody,
      change: (_who, b: z.infer<typeof NoteBody>) => ({ state: 'done', ...noteOf(b) }),
    },
    {
      method: 'POST',
      url: '/tickets/:id/notes',
      summary: 'Add a note',
      body: NoteRequired,
      change: (_who, b: z.infer<typeof NoteRequired>) => ({ note: b.note }),
    },
  ];
  for (const r of changes) {
    app.route({
      method: r.method,
      url: r.url,
      ...staff,
      schema: {
        tags,
        summary: r.summary,
        params: IdParam,
        body: r.body,
        response: { 200: TicketView, ...errors(400, 404, 409) },
      },
      handler: async (req, reply) => {
        try {
          const id = (req.params as { id: string }).id;
          const change = r.change(req.principal!.name, req.body as never);
          const [named] = await withMinerNames(ctx.db, [
            presentTicket(await changeTicket(deps, req.principal!, id, change)),
          ]);
          return named;
        } catch (e) {
          return fail(reply, e);
        }
      },
    });
  }
};
