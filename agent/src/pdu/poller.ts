import type { OutletSample, PduSample, SlotRef } from '@hashfleet/contracts';
import type { RawPdu } from '@hashfleet/firmware-profiles/pdus/types';
import type { PduConfig } from '../config.js';
import { counterSince } from './energy.js';
import { openSession, walkAll } from './snmp.js';
import { VENDORS } from './vendors.js';

/**
 * Reads one PDU per call and turns its cumulative energy counters into energy since the previous
 * reading (wrap and reset handled). Previous counters are kept per PDU and outlet in memory: the
 * first reading after a start has `energySinceWh: null`.
 */
export class PduReader {
  readonly #previous = new Map<string, number>();

  /** `missing` hears of each reading a PDU did not answer (e.g. `phases`), to count it. */
  constructor(private readonly missing: (pduId: string, what: string) => void = () => {}) {}

  async read(pdu: PduConfig, at: () => number): Promise<PduSample> {
    const vendor = VENDORS[pdu.vendor];
    const session = await openSession(pdu, 'read');
    try {
      const values = await walkAll(session, vendor.walk, pdu.timeoutMs * (vendor.walk.length + 1));
      const raw = vendor.read(values);
      if (raw.phases === null) this.missing(pdu.id, 'phases');
      return this.#sample(pdu, raw, at());
    } finally {
      session.close();
    }
  }

  #since(key: string, raw: number | null, width: number): { since: number | null; reset: boolean } {
    if (raw === null) return { since: null, reset: false };
    const result = counterSince(this.#previous.get(key) ?? null, raw, width);
    this.#previous.set(key, raw);
    return result;
  }

  #sample(pdu: PduConfig, raw: RawPdu, at: number): PduSample {
    const width = VENDORS[pdu.vendor].energyWidth;
    const slots = new Map<number, SlotRef>(
      pdu.outlets.map((o) => [o.outlet, { rack: o.rack, slot: o.slot }]),
    );
    const whOf = (perUnit: number) => (v: number | null) =>
      v === null ? null : Math.round(v * perUnit * 1000) / 1000;
    const wh = whOf(raw.whPerUnit);
    const totalWh = whOf(raw.totalWhPerUnit);
    const total = this.#since(`${pdu.id}/total`, raw.totalEnergyRaw, width);
    const outlets: OutletSample[] = [...raw.outlets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([outlet, o]) => {
        const e = this.#since(`${pdu.id}/${outlet}`, o.energyRaw, width);
        return {
          outlet,
          name: o.name,
          state: o.stateRaw === null ? 'unknown' : VENDORS[pdu.vendor].stateOf(o.stateRaw),
          powerW: o.powerW,
          currentA: o.currentA,
          energyWh: wh(o.energyRaw),
          energySinceWh: wh(e.since),
          counterReset: e.reset,
          slot: slots.get(outlet) ?? null,
        };
      });
    return {
      pduId: pdu.id,
      vendor: pdu.vendor,
      at,
      totalPowerW: raw.totalPowerW,
      totalEnergyWh: totalWh(raw.totalEnergyRaw),
      totalEnergySinceWh: totalWh(total.since),
      outlets,
      sensors: raw.sensors.slice(0, 32),
      phases: raw.phases,
    };
  }
}
