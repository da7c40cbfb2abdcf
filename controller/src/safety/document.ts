import type { SafetyLimits, SafetyRule, UnsignedSafetyRuleSet } from '@hashfleet/contracts';
import { COOLING_LIMITS, resolveModelLimits } from './defaults.js';

export type StoredRuleSet = {
  revision: number;
  rules: SafetyRule[];
  /** Operator overrides per model; the rest comes from the model table. */
  modelLimits: Record<string, SafetyLimits>;
  createdAt: number;
  createdBy: string;
};

/** The document one agent is sent for a stored revision, before signing (pure). */
export function ruleSetFor(agentId: string, stored: StoredRuleSet, now: number): UnsignedSafetyRuleSet {
  return {
    v: 1,
    kind: 'safety',
    agentId,
    revision: stored.revision,
    issuedAt: now,
    rules: stored.rules,
    modelLimits: resolveModelLimits(stored.modelLimits),
    // Most of the fleet is air-cooled; an unknown model gets the air figures.
    defaultLimits: COOLING_LIMITS.air,
  };
}

export type AgentPublishState = {
  agentId: string;
  lastBirthAt: number | null;
  sentRevision: number | null;
  sentBirthAt: number | null;
};

/**
 * Which agents must be sent the rules now (pure): never sent, sent an older revision, or born
 * again since (a reconnect: a broker restarted without persistence has lost the retained copy).
 */
export function dueAgents(agents: readonly AgentPublishState[], revision: number): string[] {
  return agents
    .filter(
      (a) =>
        a.sentRevision === null || a.sentRevision < revision || (a.lastBirthAt ?? 0) > (a.sentBirthAt ?? 0),
    )
    .map((a) => a.agentId);
}
