import type { z } from 'zod';
import { CommandResultSchema, CommandSchema } from './commands.js';
import { LIMITS } from './common.js';
import { BirthSchema, EventsSchema, PowerSchema, StatusSchema, TelemetrySchema } from './messages.js';
import type { AgentTopicKind } from './topics.js';

/** The schema for each topic kind. */
export const schemaByKind = {
  birth: BirthSchema,
  status: StatusSchema,
  telemetry: TelemetrySchema,
  power: PowerSchema,
  events: EventsSchema,
  results: CommandResultSchema,
  commands: CommandSchema,
} as const;

export type MessageByKind = { [K in keyof typeof schemaByKind]: z.infer<(typeof schemaByKind)[K]> };
export type AgentMessage = MessageByKind[AgentTopicKind];

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Formats zod issues as `path.to[3].field: message; ...`, so an error names the field. */
export function formatIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (acc, key) =>
          typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key),
        prefix,
      );
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}

/**
 * Validates one MQTT payload of the given kind: size, JSON, schema, and (for agent topics)
 * that the payload's agentId matches the topic's. Never throws.
 */
export function decodeMessage<K extends keyof typeof schemaByKind>(
  kind: K,
  payload: Uint8Array | string,
  topicAgentId?: string,
): DecodeResult<MessageByKind[K]> {
  const size =
    typeof payload === 'string' ? new TextEncoder().encode(payload).byteLength : payload.byteLength;
  if (size > LIMITS.maxPayloadBytes) {
    return { ok: false, error: `${kind}: payload of ${size} bytes exceeds ${LIMITS.maxPayloadBytes}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  } catch (err) {
    return { ok: false, error: `${kind}: not JSON: ${(err as Error).message}` };
  }
  const parsed = schemaByKind[kind].safeParse(json);
  if (!parsed.success) return { ok: false, error: formatIssues(parsed.error, kind) };
  const value = parsed.data as MessageByKind[K];
  if (topicAgentId !== undefined && (value as { agentId: string }).agentId !== topicAgentId) {
    return {
      ok: false,
      error: `${kind}.agentId: "${(value as { agentId: string }).agentId}" does not match topic agent "${topicAgentId}"`,
    };
  }
  return { ok: true, value };
}
