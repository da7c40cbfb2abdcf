import type { RpcCall, RpcFirmware } from '../firmware/types.js';
import type { MinerModel } from '../model/miner.js';
import { type AccessRules, allowed } from './access.js';
import { statusOnly, toText } from './cgminer.js';
import { writeJson } from './json-writer.js';

export type RpcOutcome = { body: string; after: (() => void)[] };

type Parsed =
  | {
      format: 'json';
      command: string | undefined;
      parameter: string | undefined;
      request: Record<string, unknown>;
    }
  | { format: 'text'; command: string; parameter: string | undefined; request: null }
  | { format: 'bad-json' };

function parseRequest(raw: string): Parsed {
  const text = raw.replace(/\0+$/, '').trim();
  if (text.startsWith('{')) {
    try {
      const request = JSON.parse(text) as Record<string, unknown>;
      const p = request.parameter;
      const command = typeof request.command === 'string' ? request.command : undefined;
      return { format: 'json', command, parameter: p === undefined ? undefined : String(p), request };
    } catch {
      return { format: 'bad-json' };
    }
  }
  const bar = text.indexOf('|');
  return bar < 0
    ? { format: 'text', command: text, parameter: undefined, request: null }
    : { format: 'text', command: text.slice(0, bar), parameter: text.slice(bar + 1), request: null };
}

/**
 * Answers one cgminer-family request the way `firmware` does: JSON or text, `+`-joined
 * commands, access control (Code 45), unknown commands (Code 14), NUL terminator.
 * Pure apart from the effects it returns in `after` (reboot once the reply is out).
 */
export function answerRpc(
  fw: RpcFirmware,
  access: AccessRules,
  miner: MinerModel,
  raw: string,
  peer: string,
  now: number,
): RpcOutcome {
  const description = fw.description(miner);
  const after: (() => void)[] = [];
  const finish = (body: string): RpcOutcome => ({ body: fw.nulTerminated ? `${body}\0` : body, after });
  const parsed = parseRequest(raw);
  if (parsed.format === 'bad-json')
    return finish(writeJson(statusOnly('E', 23, 'Invalid JSON', now, description)));

  const base: RpcCall = {
    miner,
    now,
    peer,
    command: parsed.command ?? '',
    parameter: parsed.parameter,
    request: parsed.request,
  };
  if (fw.native) {
    const reply = fw.native(base);
    if (reply) {
      if (reply.after) after.push(reply.after);
      return finish(reply.wire ?? writeJson(reply.doc));
    }
  }
  if (parsed.command === undefined) {
    return finish(writeJson(statusOnly('E', 24, "Missing JSON 'command'", now, description)));
  }

  const one = (command: string): { doc: Record<string, unknown>; wire?: string } => {
    const handler = fw.commands[command];
    if (!handler) return { doc: statusOnly('E', 14, 'Invalid command', now, description) };
    if (!allowed(access, peer, command, fw.privileged.has(command))) {
      return { doc: statusOnly('E', 45, `Access denied to '${command}' command`, now, description) };
    }
    const reply = handler({ ...base, command });
    if (reply.after) after.push(reply.after);
    return { doc: reply.doc as Record<string, unknown>, wire: reply.wire };
  };

  const commands = parsed.command.split('+');
  if (commands.length > 1) {
    if (!fw.joinable || parsed.format === 'text') {
      return finish(writeJson(statusOnly('E', 14, 'Invalid command', now, description)));
    }
    const joined: Record<string, unknown> = {};
    for (const c of [...new Set(commands)]) {
      // Joins are for report commands only (API-README); the others get an E inside their section.
      joined[c] = [
        fw.privileged.has(c)
          ? statusOnly('E', 45, `Access denied to '${c}' command`, now, description)
          : one(c).doc,
      ];
    }
    joined.id = 1;
    return finish(writeJson(joined));
  }
  const result = one(parsed.command);
  if (parsed.format === 'text') return finish(toText(result.doc));
  return finish(result.wire ?? fw.serialize?.(parsed.command, result.doc) ?? writeJson(result.doc));
}
