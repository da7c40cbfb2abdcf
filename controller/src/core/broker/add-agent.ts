import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { AGENT_TOPIC_KINDS, IdSchema, topics } from '@hashfleet/contracts';
import filterMatches from 'mqtt-match';
import { type AgentPlace, placesFromArgs } from '../auth/agent-places.js';
import { commandArgs } from '../cli/args.js';
import {
  checkUsername,
  mosquittoPasswordHash,
  newBrokerPassword,
  setPasswordEntry,
} from './mosquitto-passwd.js';

/**
 * What a Mosquitto acl_file lets agent `agentId` do, checked against what an agent needs: write
 * each of its own topic kinds, read its own commands and safety rules, and hold no `user` block of its own (that
 * user, e.g. "controller", has other rights). The ACL is per pattern (`%u`), so no per-agent entry
 * is ever written; this check proves the patterns cover the id. Returns the problems, none if fine.
 */
export function aclProblemsFor(aclText: string, agentId: string): string[] {
  const problems: string[] = [];
  const id = IdSchema.safeParse(agentId);
  if (!id.success) problems.push(`agent id "${agentId}": ${id.error.issues[0]?.message}`);
  const rules = aclText
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w[0] && !w[0].startsWith('#'));
  if (rules.some(([k, user]) => k === 'user' && user === agentId))
    problems.push(`agent id "${agentId}": the ACL has a "user ${agentId}" block; that name is not an agent`);
  const patterns = rules
    .filter(([k]) => k === 'pattern')
    .map((w) => (w.length === 2 ? { access: 'readwrite', filter: w[1]! } : { access: w[1]!, filter: w[2]! }))
    .map((p) => ({ ...p, filter: p.filter.replaceAll('%u', agentId) }));
  const allows = (access: 'read' | 'write', topic: string) =>
    patterns.some((p) => (p.access === access || p.access === 'readwrite') && filterMatches(p.filter, topic));
  for (const kind of AGENT_TOPIC_KINDS) {
    const topic = topics[kind](agentId);
    if (!allows('write', topic)) problems.push(`ACL: no pattern lets ${agentId} publish ${topic}`);
  }
  for (const topic of [topics.commands(agentId), topics.safety(agentId)])
    if (!allows('read', topic)) problems.push(`ACL: no pattern lets ${agentId} read ${topic}`);
  return problems;
}

/** Writes `text` to `file` through a rename, keeping the file's mode (0600 for a new one). */
function replaceFile(file: string, text: string, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

export type AddAgentOptions = {
  agentId: string;
  /** Mosquitto password_file; created (0600) if missing. */
  passwordFile: string;
  /** Where the agent's password goes: the file its `mqtt.token: { file: ... }` names. */
  secretFile: string;
  /** The broker's acl_file, to prove its patterns cover this agent (recommended). */
  aclFile?: string | undefined;
};

/**
 * Gives an agent broker credentials: a fresh password, its hash in the password file (replacing
 * any earlier one: this is also how an agent's password is rotated) and the password in the
 * agent's secret file. The password is never printed.
 */
export function addAgentCredentials(opts: AddAgentOptions): { problems: string[] } {
  const bad = checkUsername(opts.agentId);
  const problems = [
    ...(bad ? [bad] : []),
    ...(opts.aclFile ? aclProblemsFor(readFileSync(opts.aclFile, 'utf8'), opts.agentId) : []),
  ];
  if (problems.length) return { problems };
  const password = newBrokerPassword();
  const current = existsSync(opts.passwordFile) ? readFileSync(opts.passwordFile, 'utf8') : '';
  replaceFile(opts.secretFile, `${password}\n`);
  replaceFile(opts.passwordFile, setPasswordEntry(current, opts.agentId, mosquittoPasswordHash(password)));
  return { problems: [] };
}

export const BROKER_USAGE = `  broker add-agent <agentId> --passwd <file> --secret <file> [--acl <file>] [--site <site> --container <id>...]
                                        broker credentials for an agent: a new password, hashed into
                                        the Mosquitto password file and written to the agent's secret file;
                                        --site/--container bind it in the controller's agent registry to
                                        the containers it may speak for`;

/**
 * `broker add-agent`: the CLI face of addAgentCredentials; with `--site`/`--container`, `bind`
 * records the agent's places in the controller's registry (the database of the controller config).
 */
export async function brokerCommand(
  sub: string | undefined,
  args: string[],
  bind?: (agentId: string, places: AgentPlace[]) => Promise<void>,
): Promise<number> {
  const parsed = commandArgs(args, {
    passwd: { type: 'string' },
    secret: { type: 'string' },
    acl: { type: 'string' },
    site: { type: 'string', multiple: true },
    container: { type: 'string', multiple: true },
  });
  if ('error' in parsed) {
    console.error(`broker add-agent: ${parsed.error}\nusage:\n${BROKER_USAGE}`);
    return 2;
  }
  const [agentId] = parsed.positionals;
  const {
    passwd: passwordFile,
    secret: secretFile,
    acl: aclFile,
  } = parsed.values as Record<string, string | undefined>;
  if (sub !== 'add-agent' || !agentId || !passwordFile || !secretFile) {
    console.error(`usage:\n${BROKER_USAGE}`);
    return 2;
  }
  const bound = placesFromArgs(args);
  if (bound && 'error' in bound) {
    console.error(`broker add-agent: ${bound.error}`);
    return 2;
  }
  const { problems } = addAgentCredentials({ agentId, passwordFile, secretFile, aclFile });
  if (problems.length) {
    for (const p of problems) console.error(`broker add-agent: ${p}`);
    return 1;
  }
  console.log(`${agentId}: password set in ${passwordFile}, written to ${secretFile} (mode 600)`);
  console.log(
    aclFile
      ? `${aclFile}: its %u patterns cover ${agentId}; no per-agent ACL entry is needed`
      : 'no --acl given: the ACL was not checked',
  );
  if (bound && bind) {
    await bind(agentId, bound.places);
    console.log(
      `${agentId}: may speak for ${bound.places.map((p) => `${p.siteId}/${p.containerId}`).join(', ')}`,
    );
  } else {
    console.log(
      `${agentId}: no --site/--container: its binding, if any, is unchanged; the controller refuses an agent bound to no container (ingest.unboundAgents)`,
    );
  }
  console.log('reload the broker to apply: systemctl reload mosquitto (or SIGHUP)');
  return 0;
}
