import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentConfigInput } from '@hashfleet/agent/config';
import { DEFAULT_PASSWORD, DEFAULT_SSH_PASSWORD } from '@hashfleet/simulator/firmware/registry';
import type { Container, MinerSpec, Scenario } from '@hashfleet/simulator/scenario/schema';

/** The agent id of a container's agent; also its MQTT username and its token's name. */
export const agentIdOf = (containerId: string): string => `agent-${containerId}`;

export interface AgentWiring {
  mqttUrl: string;
  /** Folder for this demo's secrets and spools. */
  dataDir: string;
  agentToken: string;
  commandPublicKeyPem: string;
  pollS: number;
  /** The host key every simulated miner's SSH presents (`ssh-rsa AAAA...`); null when SSH is off. */
  sshHostKey?: string | null;
  /** Agent log level; default warn. */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info';
}

/** Writes a secret to a file only the owner can read; the agent config refers to the file. */
function secretFile(dir: string, name: string, value: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  writeFileSync(path, value, { mode: 0o600 });
  return path;
}

/**
 * The miner logins a site would configure: per firmware profile in the container, the accounts its
 * miners ship with (btminer `admin`, Whatsminer v3 `super`, Antminer web root/root and SSH
 * root/miner, ...), as the simulator keeps them; user names are left to the profiles' defaults.
 * A scenario's per-miner password (MinerSpec.password) applies to its whole profile here.
 */
function minerCredentials(
  scenario: Scenario,
  miners: MinerSpec[],
  secrets: string,
  sshHostKey: string | null,
): NonNullable<AgentConfigInput['credentials']> {
  const byProfile: Record<string, Record<string, { password: { file: string } }>> = {};
  for (const profile of new Set(miners.map((m) => m.profile))) {
    const own = miners.find((m) => m.profile === profile)?.password ?? null;
    const api = own ?? DEFAULT_PASSWORD[profile];
    const ssh = own ?? DEFAULT_SSH_PASSWORD[profile];
    const accounts: Record<string, { password: { file: string } }> = {};
    // cgminer ships without a password and has no operation that needs one.
    if (api) {
      const password = { file: secretFile(secrets, `${profile}.password`, api) };
      accounts['rpc'] = { password };
      accounts['web'] = { password };
    }
    if (ssh && scenario.ports.ssh) {
      accounts['ssh'] = { password: { file: secretFile(secrets, `${profile}.ssh-password`, ssh) } };
    }
    byProfile[profile] = accounts;
  }
  if (!sshHostKey || !scenario.ports.ssh) return { byProfile };
  // One simulation, one host key: pinned for each miner address of this container.
  const knownHosts = secretFile(
    secrets,
    'known_hosts',
    miners.map((m) => `${m.ip} ${sshHostKey}\n`).join(''),
  );
  return { byProfile, knownHostsFile: knownHosts };
}

/**
 * The configuration a container's agent would read from its file: its container's address block
 * to scan, where each miner sits (rack and slot by IP), its PDUs, the miners' logins, the broker and
 * its credentials.
 */
export function agentConfigFor(scenario: Scenario, container: Container, w: AgentWiring): AgentConfigInput {
  const agentId = agentIdOf(container.id);
  const secrets = join(w.dataDir, 'secrets', agentId);
  const miners = scenario.miners.filter((m) => m.containerId === container.id);
  const pdus = scenario.pdus.filter((p) => p.containerId === container.id);
  const pollMs = Math.round(w.pollS * 1000);
  return {
    agentId,
    siteId: container.siteId,
    containerId: container.id,
    miners: {
      ranges: [container.ipBlock],
      // Where the simulator really serves each protocol (it moves SSH and the web CGI off 22 and 80).
      ports: {
        rpc: scenario.ports.rpc,
        wmV3: scenario.ports.wmV3,
        ...(scenario.ports.http ? { http: scenario.ports.http } : {}),
        ...(scenario.ports.ssh ? { ssh: scenario.ports.ssh } : {}),
      },
      slots: miners.map((m) => ({ ip: m.ip, rack: m.rack, slot: m.slot })),
    },
    credentials: minerCredentials(scenario, miners, secrets, w.sshHostKey ?? null),
    pdus: pdus.map((p) => ({
      id: p.id,
      vendor: p.vendor,
      host: p.host,
      port: p.port,
      snmp: {
        version: '2c' as const,
        community: { file: secretFile(secrets, `${p.id}.community`, p.community) },
        writeCommunity: { file: secretFile(secrets, `${p.id}.write-community`, p.writeCommunity) },
      },
      outlets: miners
        .filter((m) => m.pdu?.pduId === p.id)
        .map((m) => ({ outlet: m.pdu!.outlet, rack: m.rack, slot: m.slot })),
    })),
    polling: {
      intervalMs: pollMs,
      jitterMs: Math.min(1000, Math.round(pollMs / 10)),
      requestTimeoutMs: Math.min(3000, pollMs),
      backoffInitialMs: pollMs,
      backoffMaxMs: pollMs * 3,
    },
    discovery: { intervalMs: Math.max(60_000, pollMs * 6) },
    batch: { maxDelayMs: 500 },
    spool: { dir: join(w.dataDir, 'spool', agentId), fsync: 'never' },
    mqtt: {
      url: w.mqttUrl,
      token: { file: secretFile(secrets, 'mqtt.token', w.agentToken) },
      reconnectMs: 500,
    },
    commands: { publicKey: { file: secretFile(secrets, 'controller.pub.pem', w.commandPublicKeyPem) } },
    log: { level: w.logLevel ?? 'warn' },
  };
}
