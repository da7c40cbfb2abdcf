import type { Power } from '@hashfleet/contracts';
import { phasePoints } from '../../core/influx/points-pdu.js';
import type { InfluxPoint } from '../../core/influx/sink.js';
import type { Db } from '../../core/storage/db.js';
import { addHourly, addMinerEnergy } from '../hourly.js';
import { ensureSlots } from '../inventory/slots.js';
import { meteredIncrements, meteredUnitIncrements } from '../work.js';
import { touchAgent } from './agents.js';
import type { Applied, IngestDeps } from './deps.js';

/** Applies a PDU message: latest values, outlet -> slot map, metered energy per hour. */
export async function applyPower(db: Db, msg: Power, deps: IngestDeps): Promise<Applied> {
  const now = deps.now();
  await touchAgent(db, msg, now, { skewOf: deps.skewOf });
  // Each PDU's reading before this message: the interval its energy deltas cover.
  const previousAt = new Map<string, number>();
  for (const pdu of msg.pdus) {
    const prev = await db.get<{ at: number }>('SELECT at FROM pdu_latest WHERE pdu_id = ?', [pdu.pduId]);
    if (prev) previousAt.set(pdu.pduId, Number(prev.at));
  }
  for (const pdu of msg.pdus) {
    await db.run(
      `INSERT INTO pdus (id, container_id, vendor, host, updated_at) VALUES (?, ?, ?, '', ?)
       ON CONFLICT (id) DO UPDATE SET container_id = excluded.container_id, vendor = excluded.vendor,
         updated_at = excluded.updated_at`,
      [pdu.pduId, msg.containerId, pdu.vendor, now],
    );
    await db.run(
      `INSERT INTO pdu_latest (pdu_id, container_id, at, sample_json, power_w) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (pdu_id) DO UPDATE SET container_id = excluded.container_id, at = excluded.at,
         sample_json = excluded.sample_json, power_w = excluded.power_w WHERE excluded.at >= pdu_latest.at`,
      [pdu.pduId, msg.containerId, pdu.at, JSON.stringify(pdu), pdu.totalPowerW],
    );
    for (const o of pdu.outlets) {
      if (!o.slot) continue;
      const [slotId] = await ensureSlots(db, msg.containerId, [o.slot]);
      await db.run(
        `INSERT INTO pdu_outlets (pdu_id, outlet, slot_id) VALUES (?, ?, ?)
         ON CONFLICT (pdu_id, outlet) DO UPDATE SET slot_id = excluded.slot_id`,
        [pdu.pduId, o.outlet, slotId!],
      );
    }
  }
  await addHourly(db, msg.siteId, msg.containerId, meteredIncrements(msg.pdus));
  await addMinerEnergy(
    db,
    msg.siteId,
    msg.containerId,
    meteredUnitIncrements(msg.pdus, previousAt, deps.config.ingest.maxIntervalS),
  );
  return { points: [...powerPoints(msg), ...phasePoints(msg)], samples: 0 };
}

export function powerPoints(msg: Power): InfluxPoint[] {
  const points: InfluxPoint[] = [];
  const base = { site: msg.siteId, container: msg.containerId };
  for (const pdu of msg.pdus) {
    points.push({
      measurement: 'pdu',
      tags: { ...base, pdu: pdu.pduId },
      fields: { power_w: pdu.totalPowerW, energy_wh: pdu.totalEnergyWh },
      at: pdu.at,
    });
    for (const o of pdu.outlets) {
      points.push({
        measurement: 'outlet',
        tags: { ...base, pdu: pdu.pduId, outlet: String(o.outlet) },
        fields: { power_w: o.powerW, current_a: o.currentA, energy_wh: o.energyWh },
        at: pdu.at,
      });
    }
    for (const s of pdu.sensors) {
      points.push({
        measurement: 'sensor',
        tags: { ...base, pdu: pdu.pduId, sensor: s.sensorId, kind: s.kind, location: s.location },
        fields: { value: s.value },
        at: pdu.at,
      });
    }
  }
  return points;
}
