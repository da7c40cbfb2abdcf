import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentConfigInput } from '@hashfleet/agent/config';
import type { Container, Scenario } from '@hashfleet/simulator/scenario/schema';

/** The agent id of a container's agent; also its MQTT username and its token's name. */
export const agentIdOf = (containerId: string): string => `agent-${containerId}`;

export interface AgentWiring {
  mqttUrl: string;
  /** Folder for this demo's secrets and spools. */
  dataDir: string;
  agentToken: string;
  commandPublicKeyPem: string;
  pollS: number;
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
 * The configuration a container's agent would read from its file: its container's address block
 * to scan, where each miner sits (rack and slot by IP), its PDUs, the broker and its credentials.
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
