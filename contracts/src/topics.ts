import { PROTOCOL_VERSION } from './common.js';

/** Root of every topic. The version is in the topic so v2 can run beside v1 during an upgrade. */
export const TOPIC_ROOT = `hashfleet/v${PROTOCOL_VERSION}` as const;

/** Agent -> controller message kinds, each on its own topic under the agent. */
export const AGENT_TOPIC_KINDS = ['birth', 'status', 'telemetry', 'power', 'events', 'results'] as const;
export type AgentTopicKind = (typeof AGENT_TOPIC_KINDS)[number];

/**
 * The topic map. An agent publishes only under `hashfleet/v1/agents/<its id>/...` and reads only
 * `hashfleet/v1/agents/<its id>/commands`, `.../safety` and `.../acks` (the broker ACL in deploy/ enforces it).
 */
export const topics = {
  birth: (agentId: string) => `${TOPIC_ROOT}/agents/${agentId}/birth`,
  /** Retained; also the last-will topic. */
  status: (agentId: string) => `${TOPIC_ROOT}/agents/${agentId}/status`,
  telemetry: (agentId: string) => `${TOPIC_ROOT}/agents/${agentId}/telemetry`,
  power: (agentId: string) => `${TOPIC_ROOT}/agents/${agentId}/power`,
  events: (agentId: string) => `${TOPIC_ROOT}/agents/${agentId}/events`,
  results: (agentId: string) => `${TOPIC_ROOT}/agents/${agentId}/results`,
  /** Controller -> agent. */
  commands: (agentId: string) => `${TOPIC_ROOT}/agents/${agentId}/commands`,
  /** Controller -> agent, retained: the signed local safety rule set (contracts/src/safety.ts). */
  safety: (agentId: string) => `${TOPIC_ROOT}/agents/${agentId}/safety`,
  /** Controller -> agent, not retained: what the controller durably applied (contracts/src/acks.ts). */
  acks: (agentId: string) => `${TOPIC_ROOT}/agents/${agentId}/acks`,
  /** What the controller subscribes to (one filter per kind, so a replica can choose). */
  allOf: (kind: AgentTopicKind) => `${TOPIC_ROOT}/agents/+/${kind}`,
  /** MQTT 5 / Mosquitto shared subscription for controller replicas. */
  shared: (group: string, kind: AgentTopicKind) => `$share/${group}/${TOPIC_ROOT}/agents/+/${kind}`,
} as const;

/** Splits a topic into agent id and kind; null when it is not an agent topic of this version. */
export function parseAgentTopic(
  topic: string,
): { agentId: string; kind: AgentTopicKind | 'commands' } | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT || parts[2] !== 'agents') return null;
  const agentId = parts[3]!;
  const kind = parts[4]!;
  if (!agentId) return null;
  if (kind === 'commands' || (AGENT_TOPIC_KINDS as readonly string[]).includes(kind)) {
    return { agentId, kind: kind as AgentTopicKind | 'commands' };
  }
  return null;
}
