import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { formatIssues } from '@hashfleet/contracts';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type AgentConfig, agentConfigSchema } from './config-schema.js';
import { checkRanges } from './targets.js';

export type { AgentConfig, AgentConfigInput, PduConfig } from './config-schema.js';

/** A config that cannot start the agent; `errors` lists every problem, each naming its key. */
export class AgentConfigError extends Error {
  constructor(
    readonly source: string,
    readonly errors: string[],
  ) {
    super(`${source}: ${errors.length} config error(s):\n  ${errors.join('\n  ')}`);
    this.name = 'AgentConfigError';
  }
}

/**
 * Reads and validates a YAML file (or an already-parsed object). Relative paths inside a file are
 * resolved against the file's directory. Never connects to anything (docs/style.md §9).
 */
export function loadAgentConfig(source: string | Record<string, unknown>, baseDir?: string): AgentConfig {
  let raw: unknown = source;
  let dir = baseDir ?? process.cwd();
  let name = 'config';
  if (typeof source === 'string') {
    name = source;
    dir = baseDir ?? dirname(resolve(source));
    let text: string;
    try {
      text = readFileSync(source, 'utf8');
    } catch (err) {
      throw new AgentConfigError(name, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`]);
    }
    try {
      raw = parseYaml(text);
    } catch (err) {
      throw new AgentConfigError(name, [`not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
    }
  }
  const parsed = agentConfigSchema(dir).safeParse(raw ?? {});
  if (!parsed.success) throw new AgentConfigError(name, allIssues(parsed.error));
  const config = parsed.data;
  const errors = crossChecks(config);
  if (errors.length) throw new AgentConfigError(name, errors);
  resolvePaths(config, dir);
  return config;
}

/**
 * What a valid config does that an operator should hear about at every start (and from
 * `check-config`): settings kept for compatibility that can lose data.
 */
export function configWarnings(config: AgentConfig): string[] {
  const warnings: string[] = [];
  // interop/agent-kill-soak.test.ts measured it: Mosquitto PUBACKed 1,200 of 5,400 samples right
  // after its restart and then lost them; with controllerAck the same run lost none.
  if (config.mqtt.delivery === 'brokerAck')
    warnings.push(
      "mqtt.delivery: brokerAck is deprecated and unsafe: a spooled message is deleted at the broker's PUBACK, so whatever the broker acknowledges and then loses (a restart before the controller subscribed) is gone; use controllerAck (the default; every hashfleet controller sends end-to-end acks)",
    );
  return warnings;
}

/**
 * Every path in the config against the file's directory, as secrets already are: the spool, the
 * miners' known_hosts, the broker's TLS files, the controller's public keys and the safety rule
 * file. `run` and `check-config` both read them from here, so they agree on every path.
 */
function resolvePaths(config: AgentConfig, dir: string): void {
  const at = (path: string) => resolve(dir, path);
  config.spool.dir = at(config.spool.dir);
  if (config.credentials.knownHostsFile)
    config.credentials.knownHostsFile = at(config.credentials.knownHostsFile);
  const tls = config.mqtt.tls;
  if (tls) {
    if (tls.caFile) tls.caFile = at(tls.caFile);
    if (tls.certFile) tls.certFile = at(tls.certFile);
    if (tls.keyFile) tls.keyFile = at(tls.keyFile);
  }
  const keys = config.commands;
  if (keys.publicKey && 'file' in keys.publicKey) keys.publicKey = { file: at(keys.publicKey.file) };
  keys.publicKeys = keys.publicKeys.map((k) => ('file' in k ? { file: at(k.file) } : k));
  if (config.safety.file) config.safety.file = at(config.safety.file);
}

function allIssues(error: z.ZodError): string[] {
  // formatIssues caps at 5 per call; format one issue at a time so every error is listed.
  return error.issues.map((issue) => formatIssues({ issues: [issue] } as z.ZodError));
}

/** Rules that span keys; the schema checks each key on its own. */
function crossChecks(config: AgentConfig): string[] {
  const errors: string[] = [...checkRanges(config.miners.ranges)];
  const seen = new Set<string>();
  for (const [i, pdu] of config.pdus.entries()) {
    if (seen.has(pdu.id)) errors.push(`pdus[${i}].id: duplicate PDU id "${pdu.id}"`);
    seen.add(pdu.id);
    if (pdu.snmp.version === '3' && pdu.snmp.level !== 'noAuthNoPriv' && !pdu.snmp.authKey) {
      errors.push(`pdus[${i}].snmp.authKey: required for level ${pdu.snmp.level}`);
    }
    if (pdu.snmp.version === '3' && pdu.snmp.level === 'authPriv' && !pdu.snmp.privKey) {
      errors.push(`pdus[${i}].snmp.privKey: required for level authPriv`);
    }
  }
  if (config.polling.backoffMaxMs < config.polling.backoffInitialMs) {
    errors.push('polling.backoffMaxMs: must be >= polling.backoffInitialMs');
  }
  if (!/^mqtts?:\/\/|^wss?:\/\//.test(config.mqtt.url)) {
    errors.push(`mqtt.url: "${config.mqtt.url}" is not an mqtt://, mqtts://, ws:// or wss:// URL`);
  }
  return errors;
}
