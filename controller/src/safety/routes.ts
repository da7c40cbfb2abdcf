/**
 * Local safety rules, under /api/v1/safety. Staff read; operators and admins change (audited).
 *
 *   GET /safety/rules
 *     -> { revision: 3, rules: [{ id: "chip-overtemp", metric: "chipTempMaxC", op: ">", limit: "modelLimit",
 *          polls: 2, action: "sleep", fallback: "outlet.off" }], modelLimits: { "Antminer S19": { chipTempMaxC: 88 } },
 *          resolvedLimits: { "Antminer S19": { chipTempMaxC: 88, boardTempMaxC: 80 }, ... },
 *          createdAt, createdBy, agents: [{ agentId, sentRevision, sentBirthAt, lastBirthAt }] }
 *   PUT /safety/rules { rules, modelLimits }   -> the new revision (as GET, without agents); sent to every agent
 * Errors: { error: "safety", message } with 400 (bad rules).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Role } from '../core/auth/roles.js';
import type { FeatureContext } from '../core/feature.js';
import { JsonObject } from '../core/http/responses.js';
import { resolveModelLimits } from './defaults.js';
import type { StoredRuleSet } from './document.js';
import { RuleSetBody, type RuleSetInput, type Safety } from './service.js';

const RuleSetView = z.looseObject({
  revision: z.number(),
  rules: z.array(JsonObject),
  modelLimits: JsonObject,
  resolvedLimits: JsonObject,
  createdAt: z.number().nullable(),
  createdBy: z.string().nullable(),
});

const EDITORS: Role[] = ['operator', 'admin'];
const STAFF: Role[] = ['operator', 'admin', 'technician'];

const present = (s: StoredRuleSet) => ({ ...s, resolvedLimits: resolveModelLimits(s.modelLimits) });

export function safetyRoutes(safety: Safety): FastifyPluginAsync<FeatureContext> {
  return async (app, ctx) => {
    const tags = ['safety'];
    app.get(
      '/safety/rules',
      {
        preHandler: app.authorize(...STAFF),
        schema: {
          tags,
          summary: 'The local safety rule set',
          response: {
            200: RuleSetView.extend({
              agents: z
                .array(z.looseObject({ agentId: z.string() }))
                .describe('what each agent was last sent'),
            }),
          },
        },
      },
      async () => ({ ...present(await safety.current()), agents: await safety.publishState() }),
    );
    app.put(
      '/safety/rules',
      {
        preHandler: app.authorize(...EDITORS),
        schema: {
          tags,
          summary: 'Replace the local safety rules (a new revision)',
          body: RuleSetBody,
          response: { 200: RuleSetView },
        },
      },
      async (req) => {
        const stored = await safety.update(req.principal!, req.body as RuleSetInput);
        // Sent now when the link is up; otherwise the publish job catches up.
        await safety.publishDue(ctx.now()).catch((err: Error) => {
          ctx.logger.warn(`safety: rules revision ${stored.revision} not sent yet: ${err.message}`);
        });
        return present(stored);
      },
    );
  };
}
