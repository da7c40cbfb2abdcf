import type { Power } from '@hashfleet/contracts';
import type { InfluxPoint } from './sink.js';

/**
 * One `pdu_phase` point per phase a PDU reports: current, voltage, power and the PDU's own rating
 * (so a dashboard draws the limit the PDU itself alarms at). A PDU without phases writes none.
 */
export function phasePoints(msg: Power): InfluxPoint[] {
  return msg.pdus.flatMap((pdu) =>
    (pdu.phases ?? []).map((p) => ({
      measurement: 'pdu_phase',
      tags: { site: msg.siteId, container: msg.containerId, pdu: pdu.pduId, phase: String(p.phase) },
      fields: {
        current_a: p.currentA,
        voltage_v: p.voltageV,
        power_w: p.powerW,
        rated_current_a: p.ratedCurrentA ?? null,
      },
      at: pdu.at,
    })),
  );
}
