import { LIMITS } from '@hashfleet/contracts';
import type { AgentConfig } from './config.js';
import type { IdentityTable } from './identity.js';
import type { Target } from './poll/poller.js';

export const AGENT_VERSION = '0.1.0';

/**
 * The birth body, published on every (re)connect: what this agent polls right now. A miner taken
 * out of polling (poll.stop) is left out: this agent no longer reports it.
 */
export function birthBody(
  config: Pick<AgentConfig, 'siteId' | 'containerId' | 'polling' | 'miners' | 'pdus'>,
  startedAt: number,
  targets: Iterable<Target>,
  identities: Pick<IdentityTable, 'get'>,
  unmanaged: ReadonlySet<string>,
) {
  const slots = new Map(config.miners.slots.map((s) => [s.ip, { rack: s.rack, slot: s.slot }]));
  return {
    kind: 'birth',
    siteId: config.siteId,
    containerId: config.containerId,
    agentVersion: AGENT_VERSION,
    startedAt,
    pollIntervalMs: config.polling.intervalMs,
    miners: [...targets]
      .filter((t) => t.minerKey === null || !unmanaged.has(t.minerKey))
      .slice(0, LIMITS.maxMinersPerBirth)
      .map((t) => {
        const id = t.minerKey ? identities.get(t.minerKey) : undefined;
        return {
          minerKey: t.minerKey ?? t.ip,
          ip: t.ip,
          port: t.port,
          profile: t.profile.id,
          model: t.model,
          firmwareVersion: t.firmwareVersion,
          slot: slots.get(t.ip) ?? null,
          identity: (id?.observations ?? []).slice(0, LIMITS.maxObservationsPerMiner),
        };
      }),
    pdus: config.pdus.slice(0, LIMITS.maxPdusPerMessage).map((p) => ({
      pduId: p.id,
      vendor: p.vendor,
      host: p.host,
      outlets: p.outlets.map((o) => ({ outlet: o.outlet, slot: { rack: o.rack, slot: o.slot } })),
    })),
  };
}
