import {
  type SafetyLimits,
  SafetyMetricSchema,
  type SafetyRule,
  SafetyRuleSchema,
  topics,
} from '@hashfleet/contracts';
import { z } from 'zod';
import type { CommandKey } from '../commands/index.js';
import type { Audit } from '../core/audit.js';
import type { Principal } from '../core/auth/roles.js';
import type { FeatureContext } from '../core/feature.js';
import type { Db } from '../core/storage/db.js';
import { type AgentPublishState, dueAgents, ruleSetFor, type StoredRuleSet } from './document.js';
import { signRuleSet } from './sign.js';

/** Body of a rule change: the whole rule list and the per-model overrides (replace, not patch). */
export const RuleSetBody = z
  .object({
    rules: z.array(SafetyRuleSchema).max(32),
    modelLimits: z
      .record(z.string().min(1).max(256), z.partialRecord(SafetyMetricSchema, z.number().finite()))
      .default({}),
  })
  .refine((b) => new Set(b.rules.map((r) => r.id)).size === b.rules.length, {
    message: 'rule ids must be unique',
    path: ['rules'],
  });
export type RuleSetInput = z.infer<typeof RuleSetBody>;

type Row = {
  revision: number;
  rules_json: string;
  model_limits_json: string;
  created_at: number;
  created_by: string;
};

const toStored = (r: Row): StoredRuleSet => ({
  revision: Number(r.revision),
  rules: JSON.parse(r.rules_json) as SafetyRule[],
  modelLimits: JSON.parse(r.model_limits_json) as Record<string, SafetyLimits>,
  createdAt: Number(r.created_at),
  createdBy: r.created_by,
});

export type SafetyDeps = {
  db: Db;
  audit: Audit;
  now(): number;
  key: () => CommandKey;
  /** The broker link, when there is one (read at each use: it comes and goes with the link). */
  publish: () => FeatureContext['publish'];
};

export function createSafety(deps: SafetyDeps) {
  const { db, audit } = deps;

  async function current(tx: Db = db): Promise<StoredRuleSet> {
    const row = await tx.get<Row>('SELECT * FROM safety_rule_sets ORDER BY revision DESC LIMIT 1');
    if (!row) throw new Error('safety_rule_sets is empty: migration 0600_safety seeds revision 1');
    return toStored(row);
  }

  /** A rule change: a new revision, audited in the same transaction. */
  async function update(actor: Principal, input: RuleSetInput): Promise<StoredRuleSet> {
    return db.tx(async (tx) => {
      const before = await current(tx);
      const revision = before.revision + 1;
      const at = deps.now();
      await tx.run(
        `INSERT INTO safety_rule_sets (revision, rules_json, model_limits_json, created_at, created_by)
         VALUES (?, ?, ?, ?, ?)`,
        [revision, JSON.stringify(input.rules), JSON.stringify(input.modelLimits), at, actor.tokenId],
      );
      await audit.record({
        actor,
        action: 'safety.rules.update',
        subject: `safety rules revision ${revision}`,
        details: { revision, previous: before.revision, rules: input.rules, modelLimits: input.modelLimits },
      });
      return { revision, ...input, createdAt: at, createdBy: actor.tokenId };
    });
  }

  async function publishState(): Promise<AgentPublishState[]> {
    const rows = await db.all<{
      id: string;
      last_birth_at: number | null;
      revision: number | null;
      birth_at: number | null;
    }>(
      `SELECT a.id, a.last_birth_at, p.revision, p.birth_at
       FROM agents a LEFT JOIN safety_published p ON p.agent_id = a.id ORDER BY a.id`,
    );
    return rows.map((r) => ({
      agentId: r.id,
      lastBirthAt: r.last_birth_at === null ? null : Number(r.last_birth_at),
      sentRevision: r.revision === null ? null : Number(r.revision),
      sentBirthAt: r.birth_at === null ? null : Number(r.birth_at),
    }));
  }

  /**
   * Sends the current rule set, signed and retained, to every agent that needs it (dueAgents).
   * Without a broker link nothing is sent and nothing recorded, so the next run tries again.
   */
  async function publishDue(now: number): Promise<{ sent: string[]; failed: string[] }> {
    const publish = deps.publish();
    if (!publish) return { sent: [], failed: [] };
    const stored = await current();
    const agents = await publishState();
    const births = new Map(agents.map((a) => [a.agentId, a.lastBirthAt]));
    const sent: string[] = [];
    const failed: string[] = [];
    for (const agentId of dueAgents(agents, stored.revision)) {
      const signed = signRuleSet(deps.key(), ruleSetFor(agentId, stored, now));
      try {
        await publish(topics.safety(agentId), JSON.stringify(signed), { retain: true });
      } catch {
        failed.push(agentId);
        continue;
      }
      await db.run(
        `INSERT INTO safety_published (agent_id, revision, birth_at, published_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (agent_id) DO UPDATE SET revision = excluded.revision, birth_at = excluded.birth_at,
           published_at = excluded.published_at`,
        [agentId, stored.revision, births.get(agentId) ?? null, now],
      );
      sent.push(agentId);
    }
    return { sent, failed };
  }

  return { current, update, publishState, publishDue };
}

export type Safety = ReturnType<typeof createSafety>;
