import type { AgentMessage } from '@hashfleet/contracts';
import { energyPoints } from '../../core/influx/points-energy.js';
import { eventPoints, sharePoints } from '../../core/influx/points-miner.js';
import type { InfluxPoint } from '../../core/influx/sink.js';
import type { Db } from '../../core/storage/db.js';
import { hourOf } from '../work.js';

/**
 * Points the dashboards need beyond each message's own (energy and cost per container-hour,
 * share counters, events), computed after the message is committed. `written` are the points
 * already made for the message; the miner points among them carry the asset ids, in sample order.
 * A failure here costs these points only: the message itself is applied and acknowledged.
 */
export async function extraPoints(
  db: Db,
  msg: AgentMessage,
  written: readonly InfluxPoint[],
  onError: (message: string) => void,
): Promise<InfluxPoint[]> {
  try {
    switch (msg.kind) {
      case 'telemetry': {
        const ids = written.filter((p) => p.measurement === 'miner').map((p) => p.tags['miner']!);
        const hours = msg.samples.map((s) => hourOf(s.at));
        return [...sharePoints(msg, ids), ...(await energyPoints(db, msg.siteId, msg.containerId, hours))];
      }
      case 'power':
        return energyPoints(
          db,
          msg.siteId,
          msg.containerId,
          msg.pdus.map((p) => hourOf(p.at)),
        );
      case 'events':
        return eventPoints(db, msg);
      default:
        return [];
    }
  } catch (err) {
    onError(`agent ${msg.agentId}: ${msg.kind} seq ${msg.seq}: dashboard points: ${(err as Error).message}`);
    return [];
  }
}
