import type { AgentEvent, Events, Telemetry } from '@hashfleet/contracts';
import type { Db } from '../storage/db.js';
import type { InfluxPoint } from './sink.js';

/**
 * `miner_shares`: the firmware's raw share counters of each sample (accepted, rejected, their
 * difficulty, hardware errors), for the miner dashboard's rejected-share and hardware-error
 * panels. `minerIds` are the asset ids of `msg.samples`, in order.
 */
export function sharePoints(msg: Telemetry, minerIds: readonly string[]): InfluxPoint[] {
  return msg.samples.map((s, i) => ({
    measurement: 'miner_shares',
    tags: { site: msg.siteId, container: msg.containerId, miner: minerIds[i] ?? 'unknown' },
    fields: {
      accepted: s.sharesAccepted,
      rejected: s.sharesRejected,
      difficulty_accepted: s.difficultyAccepted,
      difficulty_rejected: s.difficultyRejected,
      hardware_errors: s.hardwareErrors,
    },
    at: s.at,
  }));
}

/** One line a technician can read on a graph annotation. Pure. */
export function eventText(e: AgentEvent): string {
  switch (e.type) {
    case 'miner.appeared':
      return `appeared at ${e.ip} (${e.profile}${e.model ? `, ${e.model}` : ''})`;
    case 'miner.lost':
      return `lost at ${e.ip}: ${e.error}`;
    case 'miner.recovered':
      return `recovered at ${e.ip}, down ${Math.round((e.at - e.downSince) / 1000)} s`;
    case 'miner.identity_changed':
      return `${e.kind} changed: ${e.previous ?? 'none'} -> ${e.current}`;
    case 'miner.firmware_changed':
      return `firmware changed: ${e.previousProfile} ${e.previousVersion ?? ''} -> ${e.profile} ${e.version ?? ''}`;
    case 'miner.pool_changed':
      return `pool changed: ${e.previous ?? 'none'} -> ${e.current ?? 'none'}`;
    default: {
      // An event type added to the contracts later still gets a line: its own fields.
      const { type, at: _at, minerKey: _key, ...rest } = e as { type: string; at: number; minerKey: string };
      return `${type}: ${JSON.stringify(rest)}`.slice(0, 200);
    }
  }
}

/** `miner_event`: each agent event as a point (tag `kind`, field `text`) for annotations and tables. */
export async function eventPoints(db: Db, msg: Events): Promise<InfluxPoint[]> {
  const points: InfluxPoint[] = [];
  for (const e of msg.events) {
    const mapped = await db.get<{ miner_id: string }>(
      'SELECT miner_id FROM agent_miners WHERE agent_id = ? AND miner_key = ?',
      [msg.agentId, e.minerKey],
    );
    points.push({
      measurement: 'miner_event',
      tags: {
        site: msg.siteId,
        container: msg.containerId,
        miner: mapped?.miner_id ?? 'unknown',
        kind: e.type,
      },
      fields: { text: eventText(e) },
      at: e.at,
    });
  }
  return points;
}
