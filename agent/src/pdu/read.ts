import type { PhaseSample, SensorSample } from '@hashfleet/contracts';
import { ratedAmps, readPhases } from './phases.js';
import { apc, apcLoadState, raritan, raritanSensor, VENDORS, type VendorTable } from './vendors.js';

/** SNMP values by OID (no leading dot): numbers, or strings for OCTET STRINGs. */
export type Values = Map<string, number | string>;

export type RawOutlet = {
  name: string | null;
  stateRaw: number | null;
  powerW: number | null;
  currentA: number | null;
  /** Raw energy counter and the factor that makes it Wh. */
  energyRaw: number | null;
};

export type RawPdu = {
  totalPowerW: number | null;
  totalEnergyRaw: number | null;
  /** Wh per raw energy unit, for the total and the outlets alike. */
  whPerUnit: number;
  outlets: Map<number, RawOutlet>;
  sensors: SensorSample[];
  /** Null when the PDU has no phase table. */
  phases: PhaseSample[] | null;
};

/** Rows of one column: the index suffix after `column.` and its value. */
function column(values: Values, prefix: string): [string, number | string][] {
  const out: [string, number | string][] = [];
  const p = `${prefix}.`;
  for (const [oid, v] of values) if (oid.startsWith(p)) out.push([oid.slice(p.length), v]);
  return out;
}

const num = (v: number | string | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;

function outletRow(outlets: Map<number, RawOutlet>, index: number): RawOutlet {
  let row = outlets.get(index);
  if (!row) {
    row = { name: null, stateRaw: null, powerW: null, currentA: null, energyRaw: null };
    outlets.set(index, row);
  }
  return row;
}

/** APC rPDU2: tables indexed by outlet number; device tables by device (1). -1 means unsupported. */
export function readApc(values: Values): RawPdu {
  const outlets = new Map<number, RawOutlet>();
  const each = (prefix: string, set: (row: RawOutlet, v: number | string) => void) => {
    for (const [index, v] of column(values, prefix)) {
      const n = Number(index.split('.').at(-1));
      if (Number.isInteger(n) && n >= 1 && n <= 96) set(outletRow(outlets, n), v);
    }
  };
  each(apc.outletName, (r, v) => {
    r.name = String(v);
  });
  each(apc.outletState, (r, v) => {
    r.stateRaw = num(v);
  });
  each(apc.outletPowerW, (r, v) => {
    r.powerW = num(v);
  });
  each(apc.outletCurrentTenthA, (r, v) => {
    const a = num(v);
    r.currentA = a === null ? null : a / 10;
  });
  each(apc.outletEnergyTenthKwh, (r, v) => {
    r.energyRaw = num(v);
  });
  const power = num(column(values, apc.devicePowerHundredthKw)[0]?.[1]);
  const sensors: SensorSample[] = [];
  for (const [index, v] of column(values, apc.sensorTempTenthC)) {
    if (typeof v === 'number' && v > -1000) {
      sensors.push({ sensorId: `temp-${index}`, kind: 'temperature', value: v / 10, location: 'unknown' });
    }
  }
  for (const [index, v] of column(values, apc.sensorHumidityPct)) {
    if (typeof v === 'number' && v >= 0) {
      sensors.push({ sensorId: `humidity-${index}`, kind: 'humidity', value: v, location: 'unknown' });
    }
  }
  const phases = readPhases(values, VENDORS['apc-rpdu2'].phases);
  const states = new Map(column(values, apc.phaseLoadState));
  for (const p of phases ?? []) {
    const raw = states.get(String(p.phase));
    if (raw !== undefined) p.loadState = apcLoadState[raw as keyof typeof apcLoadState] ?? 'unknown';
  }
  return {
    phases,
    totalPowerW: power === null ? null : power * 10,
    totalEnergyRaw: num(column(values, apc.deviceEnergyTenthKwh)[0]?.[1]),
    whPerUnit: 100,
    outlets,
    sensors,
  };
}

/**
 * Raritan PDU2: sensor tables indexed {pduId, outlet|inlet, sensorType}, each value scaled by its
 * own DecimalDigits. Energy is Wh; a non-zero digit count for energy is applied like any other.
 */
export function readRaritan(values: Values): RawPdu {
  const outlets = new Map<number, RawOutlet>();
  const digits = new Map(
    column(values, raritan.outletDigits).map(([i, v]) => [i, typeof v === 'number' ? v : 0]),
  );
  const scaled = (index: string, v: number | string, table: Map<string, number>) => {
    const n = num(v);
    return n === null ? null : n / 10 ** (table.get(index) ?? 0);
  };
  let energyDigits = 0;
  for (const [index, v] of column(values, raritan.outletValue)) {
    const [, outlet, type] = index.split('.').map(Number);
    if (!outlet || outlet > 96) continue;
    const row = outletRow(outlets, outlet);
    if (type === raritanSensor.activePower) row.powerW = scaled(index, v, digits);
    if (type === raritanSensor.rmsCurrent) row.currentA = scaled(index, v, digits);
    if (type === raritanSensor.activeEnergy) {
      row.energyRaw = num(v);
      energyDigits = digits.get(index) ?? 0;
    }
  }
  for (const [index, v] of column(values, raritan.outletName)) {
    const outlet = Number(index.split('.')[1]);
    if (outlet >= 1 && outlet <= 96) outletRow(outlets, outlet).name = String(v);
  }
  for (const [index, v] of column(values, raritan.switchingState)) {
    const outlet = Number(index.split('.')[1]);
    if (outlet >= 1 && outlet <= 96) outletRow(outlets, outlet).stateRaw = num(v);
  }
  const inletDigits = new Map(
    column(values, raritan.inletDigits).map(([i, v]) => [i, typeof v === 'number' ? v : 0]),
  );
  let totalPowerW: number | null = null;
  let totalEnergyRaw: number | null = null;
  for (const [index, v] of column(values, raritan.inletValue)) {
    const type = Number(index.split('.')[2]);
    if (type === raritanSensor.activePower)
      totalPowerW = (totalPowerW ?? 0) + (scaled(index, v, inletDigits) ?? 0);
    if (type === raritanSensor.activeEnergy) totalEnergyRaw = (totalEnergyRaw ?? 0) + (num(v) ?? 0);
  }
  const types = new Map(column(values, raritan.externalType));
  const extDigits = new Map(
    column(values, raritan.externalDigits).map(([i, v]) => [i, typeof v === 'number' ? v : 0]),
  );
  const sensors: SensorSample[] = [];
  const signed = new Map(column(values, raritan.externalSignedValue));
  for (const [index, unsigned] of column(values, raritan.externalValue)) {
    const type = types.get(index);
    const s = signed.get(index);
    const v = typeof s === 'number' ? s : unsigned;
    if (typeof v !== 'number') continue;
    const value = v / 10 ** (extDigits.get(index) ?? 0);
    if (type === raritanSensor.temperature) {
      sensors.push({ sensorId: `external-${index}`, kind: 'temperature', value, location: 'unknown' });
    } else if (type === raritanSensor.humidity) {
      sensors.push({ sensorId: `external-${index}`, kind: 'humidity', value, location: 'unknown' });
    }
  }
  const phases = readPhases(values, VENDORS['raritan-pdu2'].phases, (key) => inletDigits.get(key) ?? 0);
  const rated = ratedAmps(column(values, raritan.inletRatedCurrent).find(([i]) => i === '1.1')?.[1]);
  if (rated !== null) for (const p of phases ?? []) p.ratedCurrentA = rated;
  return { totalPowerW, totalEnergyRaw, whPerUnit: 1 / 10 ** energyDigits, outlets, sensors, phases };
}

export const readers: Record<string, (v: Values) => RawPdu> = {
  'apc-rpdu2': readApc,
  'raritan-pdu2': readRaritan,
};

export type { VendorTable };
