import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CoreContext } from '../../core/context.js';
import { parseJson, READERS } from '../../core/http/common.js';
import { JsonObject } from '../../core/http/responses.js';
import { listAgents } from '../queries.js';

const AgentView = z.looseObject({
  id: z.string(),
  siteId: z.string().nullable(),
  containerId: z.string().nullable(),
  online: z.boolean(),
  state: z.string().nullable(),
  stateReason: z.string().nullable(),
  stateAt: z.number().nullable(),
  bootId: z.string().nullable(),
  agentVersion: z.string().nullable(),
  pollIntervalMs: z.number().nullable(),
  lastBirthAt: z.number().nullable(),
  lastSeenAt: z.number().nullable(),
  clockSkewMs: z.number().nullable(),
  metrics: JsonObject.nullable(),
});

export const agentRoutes: FastifyPluginAsync<CoreContext> = async (app, ctx) => {
  app.get(
    '/agents',
    {
      preHandler: app.authorize(...READERS),
      schema: {
        tags: ['agents'],
        summary: 'Agents: liveness, last birth, self-metrics',
        response: { 200: z.array(AgentView) },
      },
    },
    async () => {
      const rows = await listAgents(ctx.db);
      const stale = ctx.now() - ctx.config.ingest.offlineAfterS * 1000;
      return rows.map((a) => ({
        id: a.id,
        siteId: a.site_id,
        containerId: a.container_id,
        // Retained status / last will decide; silence longer than the offline window counts too.
        online: a.state === 'online' && (a.last_seen_at ?? 0) >= stale,
        state: a.state,
        stateReason: a.state_reason,
        stateAt: a.state_at,
        bootId: a.boot_id,
        agentVersion: a.agent_version,
        pollIntervalMs: a.poll_interval_ms,
        lastBirthAt: a.last_birth_at,
        lastSeenAt: a.last_seen_at,
        clockSkewMs: a.clock_skew_ms,
        metrics: parseJson(a.metrics_json),
      }));
    },
  );

  app.get(
    '/agents/command-key',
    {
      preHandler: app.authorize('admin', 'operator', 'technician', 'agent'),
      schema: {
        tags: ['agents'],
        summary: 'The Ed25519 public key agents verify commands with',
        response: {
          200: z.object({ alg: z.literal('ed25519'), keyId: z.string(), publicKeyPem: z.string() }),
        },
      },
    },
    async () => ({ alg: 'ed25519', keyId: ctx.commands.keyId, publicKeyPem: ctx.commands.publicKeyPem }),
  );
};
