import { AGENT_TOPIC_KINDS, parseAgentTopic, TOPIC_ROOT, topics } from '@hashfleet/contracts';

/**
 * The broker ACL, the same model as deploy/mosquitto/acl (change both together): an agent
 * (username = agent id) publishes only its own birth/status/telemetry/power/events/results and
 * reads only its own commands, its own (retained) safety rule set and its own end-to-end acks; the
 * controller reads every agent topic (also through `$share/`) and writes every agent's commands,
 * safety rule set and acks.
 * Nobody else gets anything.
 */
export type BrokerUser = { kind: 'controller' } | { kind: 'agent'; agentId: string };

const ROOT = TOPIC_ROOT.split('/');

/**
 * `hashfleet/v1/agents/<id>/safety` or `.../acks`: controller -> agent topics outside the agent
 * kinds that parseAgentTopic knows.
 */
function controllerToAgent(topic: string): string | null {
  const parts = topic.split('/');
  const agent = parts[3]!;
  return parts.length === 5 &&
    (topics.safety(agent) === topic || topics.acks(agent) === topic) &&
    /^[^+#]+$/.test(agent)
    ? agent
    : null;
}

export function canPublish(user: BrokerUser, topic: string): boolean {
  if (controllerToAgent(topic) !== null) return user.kind === 'controller';
  const parsed = parseAgentTopic(topic);
  if (!parsed) return false;
  if (user.kind === 'controller') return parsed.kind === 'commands';
  return parsed.agentId === user.agentId && (AGENT_TOPIC_KINDS as readonly string[]).includes(parsed.kind);
}

export function canSubscribe(user: BrokerUser, filter: string): boolean {
  if (user.kind === 'agent')
    return (
      filter === topics.commands(user.agentId) ||
      filter === topics.safety(user.agentId) ||
      filter === topics.acks(user.agentId)
    );
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
