import { AGENT_TOPIC_KINDS, parseAgentTopic, TOPIC_ROOT, topics } from '@hashfleet/contracts';

/**
 * The broker ACL, the same model as deploy/mosquitto/acl (change both together): an agent
 * (username = agent id) publishes only its own birth/status/telemetry/power/events/results and
 * reads only its own commands and its own (retained) safety rule set; the controller reads every
 * agent topic (also through `$share/`) and writes every agent's commands and safety rule set.
 * Nobody else gets anything.
 */
export type BrokerUser = { kind: 'controller' } | { kind: 'agent'; agentId: string };

const ROOT = TOPIC_ROOT.split('/');

/** `hashfleet/v1/agents/<id>/safety`: controller -> agent, not one of the agent's own kinds. */
function safetyAgent(topic: string): string | null {
  const parts = topic.split('/');
  return parts.length === 5 && topics.safety(parts[3]!) === topic && /^[^+#]+$/.test(parts[3]!)
    ? parts[3]!
    : null;
}

export function canPublish(user: BrokerUser, topic: string): boolean {
  if (safetyAgent(topic) !== null) return user.kind === 'controller';
  const parsed = parseAgentTopic(topic);
  if (!parsed) return false;
  if (user.kind === 'controller') return parsed.kind === 'commands';
  return parsed.agentId === user.agentId && (AGENT_TOPIC_KINDS as readonly string[]).includes(parsed.kind);
}

export function canSubscribe(user: BrokerUser, filter: string): boolean {
  if (user.kind === 'agent')
    return filter === topics.commands(user.agentId) || filter === topics.safety(user.agentId);
  const plain = filter.startsWith('$share/') ? filter.split('/').slice(2).join('/') : filter;
  const parts = plain.split('/');
  if (parts.length < 4 || parts.length > 5) return false;
  if (parts[0] !== ROOT[0] || parts[1] !== ROOT[1] || parts[2] !== 'agents') return false;
  if (parts.length === 4) return parts[3] === '#';
  const [agent, kind] = [parts[3]!, parts[4]!];
  if (agent === '#' || (agent.includes('+') && agent !== '+') || agent.includes('#')) return false;
  return (
    kind === '#' ||
    kind === '+' ||
    kind === 'commands' ||
    (AGENT_TOPIC_KINDS as readonly string[]).includes(kind)
  );
}
