import type { SensorSample } from '@hashfleet/contracts';
import type {
  PduReadings,
  PduVendorDefinition,
  PhaseRow,
  RawOutlet,
  RawPdu,
  SimulatedMib,
  Values,
} from './types.js';
import {
  column,
  MAX_OUTLET,
  num,
  outletAt,
  outletRow,
  phaseAt,
  ratedAmps,
  readPhases,
  u32,
} from './values.js';

/**
 * Raritan PX (PDU2-MIB, enterprise 13742.6): sensor tables indexed {pduId, outlet|inlet, sensorType},
 * each value an Unsigned32 scaled by its own DecimalDigits that "will wrap around if the scaled
 * sensor reading exceeds 4294967295"; switchingOperation off(0), on(1), cycle(2); pduId is 1.
 */
const RARITAN = '1.3.6.1.4.1.13742.6';
export const raritan = {
  inletValue: `${RARITAN}.5.2.3.1.4`,
  inletDigits: `${RARITAN}.3.3.4.1.7`,
  outletValue: `${RARITAN}.5.4.3.1.4`,
  outletDigits: `${RARITAN}.3.5.4.1.7`,
  outletName: `${RARITAN}.3.5.3.1.3`,
  switchingOperation: `${RARITAN}.4.1.2.1.2`,
  switchingState: `${RARITAN}.4.1.2.1.3`,
  externalValue: `${RARITAN}.5.5.3.1.4`,
  /** Integer32 twin of externalValue: the Unsigned32 one cannot show sub-zero inlet air (Pavlodar winters). */
  externalSignedValue: `${RARITAN}.5.5.3.1.6`,
  externalType: `${RARITAN}.3.6.3.1.2`,
  externalDigits: `${RARITAN}.3.6.3.1.17`,
  /** measurementsInletPoleSensorValue {pduId, inletId, pole, sensorType}, scaled by the inlet sensor's digits. */
  inletPoleValue: `${RARITAN}.5.2.4.1.4`,
  /** inletRatedCurrent {pduId, inletId}: a DisplayString such as "32A", per pole. */
  inletRatedCurrent: `${RARITAN}.3.3.3.1.7`,
} as const;

/** PDU2-MIB SensorTypeEnumeration values the agent reads. */
export const raritanSensor = {
  rmsCurrent: 1,
  rmsVoltage: 4,
  activePower: 5,
  activeEnergy: 8,
  temperature: 10,
  humidity: 11,
} as const;

// Scale 1: the inlet sensor's DecimalDigits (inletDigits) divide the raw value at read time.
const PHASES: readonly PhaseRow[] = [
  { oid: raritan.inletPoleValue, sensorType: raritanSensor.rmsCurrent, field: 'currentA', scale: 1 },
  { oid: raritan.inletPoleValue, sensorType: raritanSensor.rmsVoltage, field: 'voltageV', scale: 1 },
  { oid: raritan.inletPoleValue, sensorType: raritanSensor.activePower, field: 'powerW', scale: 1 },
];

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
    if (!outlet || outlet > MAX_OUTLET) continue;
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
    if (outlet >= 1 && outlet <= MAX_OUTLET) outletRow(outlets, outlet).name = String(v);
  }
  for (const [index, v] of column(values, raritan.switchingState)) {
    const outlet = Number(index.split('.')[1]);
    if (outlet >= 1 && outlet <= MAX_OUTLET) outletRow(outlets, outlet).stateRaw = num(v);
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
  const phases = readPhases(values, PHASES, (key) => inletDigits.get(key) ?? 0);
  const rated = ratedAmps(column(values, raritan.inletRatedCurrent).find(([i]) => i === '1.1')?.[1]);
  if (rated !== null) for (const p of phases ?? []) p.ratedCurrentA = rated;
  const whPerUnit = 1 / 10 ** energyDigits;
  return { totalPowerW, totalEnergyRaw, whPerUnit, totalWhPerUnit: whPerUnit, outlets, sensors, phases };
}

/**
 * Simulated: readings are Unsigned32 scaled by the sensor's decimal
 * digits (current 3, voltage 0, power 0, energy 0 = Wh, temperature 1) and wrap at 2^32.
 * switchingOperation: off(0), on(1), cycle(2). pduId is 1.
 */
const RARITAN_DIGITS: Record<number, number> = { 1: 3, 4: 0, 5: 0, 8: 0, 10: 1, 11: 0 };
const outletSensorRows = (r: PduReadings) =>
  r.outlets.flatMap((o) =>
    [
      raritanSensor.rmsCurrent,
      raritanSensor.rmsVoltage,
      raritanSensor.activePower,
      raritanSensor.activeEnergy,
    ].map((t) => [1, o.outlet, t]),
  );
const outletSensorValue = (r: PduReadings, row: number[]): number => {
  const o = outletAt(r, row, 1);
  const t = row[2]!;
  const raw = t === 1 ? o.currentA : t === 4 ? o.voltageV : t === 5 ? o.powerW : o.energyWh;
  return u32(raw * 10 ** RARITAN_DIGITS[t]!);
};
/** External sensor 1 is temperature (1 decimal digit), 2 is relative humidity (0 digits). */
const external = (r: PduReadings, row: number[]): number =>
  row[1] === 1 ? r.temperatureC * 10 : r.humidityPct;

/** Inlet 1's pole sensors: current, voltage and active power of each line. */
const POLE_SENSORS = [raritanSensor.rmsCurrent, raritanSensor.rmsVoltage, raritanSensor.activePower];
const poleRows = (r: PduReadings) => r.phases.flatMap((p) => POLE_SENSORS.map((t) => [1, 1, p.phase, t]));
const poleValue = (r: PduReadings, row: number[]): number => {
  const p = phaseAt(r, row, 2);
  const t = row[3]!;
  const raw =
    t === raritanSensor.rmsCurrent ? p.currentA : t === raritanSensor.rmsVoltage ? p.voltageV : p.powerW;
  return u32(raw * 10 ** RARITAN_DIGITS[t]!);
};

const simulated: SimulatedMib = {
  tables: [
    {
      name: 'inletConfigurationEntry',
      oid: '1.3.6.1.4.1.13742.6.3.3.3.1',
      index: [
        { name: 'iPduId', number: 90, access: 'not-accessible' },
        { name: 'inletId', number: 91, access: 'not-accessible' },
      ],
      columns: [
        {
          number: 5,
          name: 'inletPoleCount',
          type: 'Integer',
          access: 'read-only',
          read: (r) => r.phases.length,
        },
        // A DisplayString on the nameplate, e.g. "32A": the rating of each pole of the inlet.
        {
          number: 7,
          name: 'inletRatedCurrent',
          type: 'OctetString',
          access: 'read-only',
          read: (r) => `${r.phases[0]?.ratedCurrentA ?? 32}A`,
        },
      ],
      rows: () => [[1, 1]],
    },
    {
      name: 'inletSensorConfigurationEntry',
      oid: '1.3.6.1.4.1.13742.6.3.3.4.1',
      index: [
        { name: 'isPduId', number: 90, access: 'not-accessible' },
        { name: 'isInletId', number: 91, access: 'not-accessible' },
        { name: 'isSensorType', number: 92, access: 'not-accessible' },
      ],
      columns: [
        {
          number: 7,
          name: 'inletSensorDecimalDigits',
          type: 'Unsigned32',
          access: 'read-only',
          read: (_r, row) => RARITAN_DIGITS[row[2]!] ?? 0,
        },
      ],
      rows: () => POLE_SENSORS.map((t) => [1, 1, t]),
    },
    {
      name: 'measurementsInletPoleSensorEntry',
      oid: '1.3.6.1.4.1.13742.6.5.2.4.1',
      index: [
        { name: 'pPduId', number: 90, access: 'not-accessible' },
        { name: 'pInletId', number: 91, access: 'not-accessible' },
        { name: 'inletPoleIndex', number: 92, access: 'not-accessible' },
        { name: 'pSensorType', number: 93, access: 'not-accessible' },
      ],
      columns: [
        {
          number: 4,
          name: 'measurementsInletPoleSensorValue',
          type: 'Unsigned32',
          access: 'read-only',
          read: poleValue,
        },
      ],
      rows: poleRows,
    },
    {
      name: 'outletConfigurationEntry',
      oid: '1.3.6.1.4.1.13742.6.3.5.3.1',
      index: [
        { name: 'rPduId', number: 90, access: 'not-accessible' },
        { name: 'outletId', number: 1, access: 'not-accessible' },
      ],
      columns: [
        {
          number: 3,
          name: 'outletName',
          type: 'OctetString',
          access: 'read-only',
          read: (r, row) => outletAt(r, row, 1).name,
        },
      ],
      rows: (r) => r.outlets.map((o) => [1, o.outlet]),
    },
    {
      name: 'outletSensorConfigurationEntry',
      oid: '1.3.6.1.4.1.13742.6.3.5.4.1',
      index: [
        { name: 'sPduId', number: 90, access: 'not-accessible' },
        { name: 'sOutletId', number: 91, access: 'not-accessible' },
        { name: 'sensorType', number: 1, access: 'not-accessible' },
      ],
      columns: [
        {
          number: 7,
          name: 'outletSensorDecimalDigits',
          type: 'Unsigned32',
          access: 'read-only',
          read: (_r, row) => RARITAN_DIGITS[row[2]!] ?? 0,
        },
      ],
      rows: outletSensorRows,
    },
    {
      name: 'outletSwitchControlEntry',
      oid: '1.3.6.1.4.1.13742.6.4.1.2.1',
      index: [
        { name: 'cPduId', number: 90, access: 'not-accessible' },
        { name: 'cOutletId', number: 91, access: 'not-accessible' },
      ],
      columns: [
        {
          number: 2,
          name: 'switchingOperation',
          type: 'Integer',
          access: 'read-write',
          read: (r, row) => (outletAt(r, row, 1).on ? 1 : 0),
        },
        // on(7), off(8) in PDU2-MIB's SensorStateEnumeration.
        {
          number: 3,
          name: 'outletSwitchingState',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => (outletAt(r, row, 1).on ? 7 : 8),
        },
      ],
      rows: (r) => r.outlets.map((o) => [1, o.outlet]),
    },
    {
      name: 'measurementsOutletSensorEntry',
      oid: '1.3.6.1.4.1.13742.6.5.4.3.1',
      index: [
        { name: 'mPduId', number: 90, access: 'not-accessible' },
        { name: 'mOutletId', number: 91, access: 'not-accessible' },
        { name: 'mSensorType', number: 92, access: 'not-accessible' },
      ],
      columns: [
        {
          number: 2,
          name: 'measurementsOutletSensorIsAvailable',
          type: 'Integer',
          access: 'read-only',
          read: () => 1,
        },
        {
          number: 4,
          name: 'measurementsOutletSensorValue',
          type: 'Unsigned32',
          access: 'read-only',
          read: outletSensorValue,
        },
      ],
      rows: outletSensorRows,
    },
    {
      name: 'measurementsExternalSensorEntry',
      oid: '1.3.6.1.4.1.13742.6.5.5.3.1',
      index: [
        { name: 'ePduId', number: 90, access: 'not-accessible' },
        { name: 'sensorId', number: 91, access: 'not-accessible' },
      ],
      columns: [
        {
          number: 4,
          name: 'measurementsExternalSensorValue',
          type: 'Unsigned32',
          access: 'read-only',
          // Unsigned32 cannot go below zero: a Pavlodar winter reads 0 here and the truth in SignedValue.
          read: (r, row) => u32(Math.max(0, external(r, row))),
        },
        {
          number: 6,
          name: 'measurementsExternalSensorSignedValue',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(external(r, row)),
        },
      ],
      rows: () => [
        [1, 1],
        [1, 2],
      ],
    },
    {
      name: 'externalSensorConfigurationEntry',
      oid: '1.3.6.1.4.1.13742.6.3.6.3.1',
      index: [
        { name: 'xPduId', number: 90, access: 'not-accessible' },
        { name: 'xSensorId', number: 91, access: 'not-accessible' },
      ],
      columns: [
        {
          number: 2,
          name: 'externalSensorType',
          type: 'Integer',
          access: 'read-only',
          read: (_r, row) => (row[1] === 1 ? raritanSensor.temperature : raritanSensor.humidity),
        },
        {
          number: 17,
          name: 'externalSensorDecimalDigits',
          type: 'Unsigned32',
          access: 'read-only',
          read: (_r, row) => (row[1] === 1 ? 1 : 0),
        },
      ],
      rows: () => [
        [1, 1],
        [1, 2],
      ],
    },
  ],
  control: {
    table: 'outletSwitchControlEntry',
    column: 'switchingOperation',
    decode: (v) => (({ 0: 'off', 1: 'on', 2: 'cycle' }) as const)[v] ?? null,
  },
  serialPrefix: 'RP',
};

export const raritanPdu2: PduVendorDefinition<'raritan-pdu2'> = {
  id: 'raritan-pdu2',
  name: 'Raritan PDU2-MIB',
  walk: [
    raritan.inletValue,
    raritan.inletDigits,
    raritan.outletValue,
    raritan.outletDigits,
    raritan.outletName,
    raritan.switchingState,
    raritan.externalValue,
    raritan.externalSignedValue,
    raritan.externalType,
    raritan.externalDigits,
    raritan.inletPoleValue,
    raritan.inletRatedCurrent,
  ],
  phases: PHASES,
  // Unsigned32 that "will wrap around if the scaled sensor reading exceeds 4294967295".
  energyWidth: 2 ** 32,
  // switchingOperation: off(0), on(1), cycle(2); outlets of PDU 1.
  control: { oid: (outlet) => `${raritan.switchingOperation}.1.${outlet}`, on: 1, off: 0, cycle: 2 },
  // outletSwitchingState is a SensorStateEnumeration: on(7), off(8).
  stateOf: (raw) => (raw === 7 ? 'on' : raw === 8 ? 'off' : 'unknown'),
  read: readRaritan,
  simulated,
};
