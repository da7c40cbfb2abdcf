import type { SensorSample } from '@hashfleet/contracts';
import type {
  PduReadings,
  PduVendorDefinition,
  PhaseRow,
  RawOutlet,
  RawPdu,
  SimulatedMib,
  Table,
  Values,
} from './types.js';
import { column, i32, MAX_OUTLET, num, outletAt, outletRow, phaseAt, readPhases } from './values.js';

/**
 * ServerTech Sentry4 (Sentry4-MIB, sentry4 = 1.3.6.1.4.1.1718.4; st4Objects .1). Tables are indexed
 * {st4UnitIndex, st4InputCordIndex, outlet|line|phase}; we read the master unit's first cord (1.1),
 * which is the whole of a single-cord container PDU (link units and cord B number their outlets
 * again from 1). Integer32 readings, -1 where the unit cannot measure. Units as the MIB states them:
 * outlet current hundredths of A, voltage tenths of V, power W, outlet energy Wh; cord energy
 * tenths of kWh; both energy counters Integer32, so they wrap at 2^31.
 */
const ST4 = '1.3.6.1.4.1.1718.4.1';
export const sentry4 = {
  /** st4InputCordActivePower (W), st4InputCordEnergy (0.1 kWh): st4InputCordMonitorEntry .3.3.1. */
  cordActivePowerW: `${ST4}.3.3.1.3`,
  cordEnergyTenthKwh: `${ST4}.3.3.1.10`,
  /** st4LineCurrentCapacity (A) in st4LineConfigEntry .4.2.1; st4LineCurrent (0.01 A) in st4LineMonitorEntry .4.3.1. */
  lineCapacityA: `${ST4}.4.2.1.6`,
  lineCurrentHundredthA: `${ST4}.4.3.1.3`,
  /** st4PhaseVoltage (0.1 V), st4PhaseActivePower (W): st4PhaseMonitorEntry .5.3.1. */
  phaseVoltageTenthV: `${ST4}.5.3.1.3`,
  phaseActivePowerW: `${ST4}.5.3.1.8`,
  /** st4OutletName: st4OutletConfigEntry .8.2.1. */
  outletName: `${ST4}.8.2.1.3`,
  /** st4OutletMonitorEntry .8.3.1: State unknown(0)/on(1)/off(2), Current, Voltage, ActivePower, Energy. */
  outletState: `${ST4}.8.3.1.1`,
  outletCurrentHundredthA: `${ST4}.8.3.1.3`,
  outletVoltageTenthV: `${ST4}.8.3.1.6`,
  outletActivePowerW: `${ST4}.8.3.1.7`,
  outletEnergyWh: `${ST4}.8.3.1.14`,
  /** st4OutletControlEntry .8.5.1: ControlState (read-only), ControlAction none(0)/on(1)/off(2)/reboot(3). */
  outletControlState: `${ST4}.8.5.1.1`,
  outletControlAction: `${ST4}.8.5.1.2`,
  /** st4TempSensorValue (0.1 degree) in st4TempSensorMonitorEntry .9.3.1; st4TempSensorScale celsius(0)/fahrenheit(1). */
  tempSensorTenthDeg: `${ST4}.9.3.1.1`,
  tempSensorScale: `${ST4}.9.1.10`,
  /** st4HumidSensorValue (% RH) in st4HumidSensorMonitorEntry .10.3.1. */
  humidSensorPct: `${ST4}.10.3.1.1`,
} as const;

/** The master unit's first input cord. */
const CORD = '1.1';

const PHASES: readonly PhaseRow[] = [
  // Line n of a wye cord feeds phase n (L1-N ...): its current and its rating.
  { oid: sentry4.lineCurrentHundredthA, within: CORD, field: 'currentA', scale: 0.01 },
  { oid: sentry4.lineCapacityA, within: CORD, field: 'ratedCurrentA', scale: 1 },
  { oid: sentry4.phaseVoltageTenthV, within: CORD, field: 'voltageV', scale: 0.1 },
  { oid: sentry4.phaseActivePowerW, within: CORD, field: 'powerW', scale: 1 },
];

/** Outlet rows of cord 1.1 only; the outlet number is the index's last arc. */
function cordColumn(values: Values, prefix: string): [number, number | string][] {
  const out: [number, number | string][] = [];
  for (const [index, v] of column(values, prefix)) {
    const arcs = index.split('.');
    const outlet = Number(arcs[2]);
    if (arcs.length === 3 && `${arcs[0]}.${arcs[1]}` === CORD && outlet >= 1 && outlet <= MAX_OUTLET)
      out.push([outlet, v]);
  }
  return out;
}

export function readSentry4(values: Values): RawPdu {
  const outlets = new Map<number, RawOutlet>();
  for (const [o, v] of cordColumn(values, sentry4.outletName)) outletRow(outlets, o).name = String(v);
  for (const [o, v] of cordColumn(values, sentry4.outletState)) outletRow(outlets, o).stateRaw = num(v);
  for (const [o, v] of cordColumn(values, sentry4.outletActivePowerW)) outletRow(outlets, o).powerW = num(v);
  for (const [o, v] of cordColumn(values, sentry4.outletCurrentHundredthA)) {
    const a = num(v);
    outletRow(outlets, o).currentA = a === null ? null : a / 100;
  }
  for (const [o, v] of cordColumn(values, sentry4.outletEnergyWh)) outletRow(outlets, o).energyRaw = num(v);
  const cord = (prefix: string) => num(column(values, prefix).find(([i]) => i === CORD)?.[1]);
  const fahrenheit = column(values, sentry4.tempSensorScale)[0]?.[1] === 1;
  const sensors: SensorSample[] = [];
  for (const [index, v] of column(values, sentry4.tempSensorTenthDeg)) {
    // -1 and values below the sensor's -41.0 range mean no reading.
    if (typeof v !== 'number' || v < -410 || v === -1) continue;
    const deg = v / 10;
    const value = fahrenheit ? Math.round(((deg - 32) / 1.8) * 10) / 10 : deg;
    sensors.push({ sensorId: `temp-${index}`, kind: 'temperature', value, location: 'unknown' });
  }
  for (const [index, v] of column(values, sentry4.humidSensorPct)) {
    if (typeof v === 'number' && v >= 0)
      sensors.push({ sensorId: `humidity-${index}`, kind: 'humidity', value: v, location: 'unknown' });
  }
  const phases = readPhases(values, PHASES);
  return {
    totalPowerW: cord(sentry4.cordActivePowerW),
    totalEnergyRaw: cord(sentry4.cordEnergyTenthKwh),
    whPerUnit: 1,
    totalWhPerUnit: 100,
    outlets,
    sensors,
    phases,
  };
}

/* The simulated unit: one unit, one wye cord, its lines and phases, outlets, one temperature and one humidity probe. */

const ST4_INDEX = [
  { name: 'unitIndex', number: 90, access: 'not-accessible' as const },
  { name: 'cordIndex', number: 91, access: 'not-accessible' as const },
];
const third = (name: string) => ({ name, number: 92, access: 'not-accessible' as const });
const cordRows = (r: PduReadings) => r.outlets.map((o) => [1, 1, o.outlet]);
const lineRows = (r: PduReadings) => r.phases.map((p) => [1, 1, p.phase]);
const int = (name: string, number: number, read: Table['columns'][number]['read']) => ({
  number,
  name,
  type: 'Integer' as const,
  access: 'read-only' as const,
  read,
});

const simulated: SimulatedMib = {
  tables: [
    {
      name: 'st4InputCordMonitorEntry',
      oid: `${ST4}.3.3.1`,
      index: ST4_INDEX,
      columns: [
        int('st4InputCordActivePower', 3, (r) => Math.round(r.outlets.reduce((s, o) => s + o.powerW, 0))),
        int('st4InputCordEnergy', 10, (r) => i32(r.outlets.reduce((s, o) => s + o.energyWh, 0) / 100)),
      ],
      rows: () => [[1, 1]],
    },
    {
      name: 'st4LineConfigEntry',
      oid: `${ST4}.4.2.1`,
      index: [...ST4_INDEX, third('st4LineIndex')],
      columns: [int('st4LineCurrentCapacity', 6, (r, row) => Math.round(phaseAt(r, row, 2).ratedCurrentA))],
      rows: lineRows,
    },
    {
      name: 'st4LineMonitorEntry',
      oid: `${ST4}.4.3.1`,
      index: [...ST4_INDEX, third('st4LineIndex')],
      columns: [int('st4LineCurrent', 3, (r, row) => Math.round(phaseAt(r, row, 2).currentA * 100))],
      rows: lineRows,
    },
    {
      name: 'st4PhaseMonitorEntry',
      oid: `${ST4}.5.3.1`,
      index: [...ST4_INDEX, third('st4PhaseIndex')],
      columns: [
        int('st4PhaseVoltage', 3, (r, row) => Math.round(phaseAt(r, row, 2).voltageV * 10)),
        int('st4PhaseActivePower', 8, (r, row) => Math.round(phaseAt(r, row, 2).powerW)),
      ],
      rows: lineRows,
    },
    {
      name: 'st4OutletConfigEntry',
      oid: `${ST4}.8.2.1`,
      index: [...ST4_INDEX, third('st4OutletIndex')],
      columns: [
        {
          number: 3,
          name: 'st4OutletName',
          type: 'OctetString',
          access: 'read-only',
          read: (r, row) => outletAt(r, row, 2).name,
        },
      ],
      rows: cordRows,
    },
    {
      name: 'st4OutletMonitorEntry',
      oid: `${ST4}.8.3.1`,
      index: [...ST4_INDEX, third('st4OutletIndex')],
      columns: [
        int('st4OutletState', 1, (r, row) => (outletAt(r, row, 2).on ? 1 : 2)),
        int('st4OutletCurrent', 3, (r, row) => Math.round(outletAt(r, row, 2).currentA * 100)),
        int('st4OutletVoltage', 6, (r, row) => Math.round(outletAt(r, row, 2).voltageV * 10)),
        int('st4OutletActivePower', 7, (r, row) => Math.round(outletAt(r, row, 2).powerW)),
        int('st4OutletEnergy', 14, (r, row) => i32(outletAt(r, row, 2).energyWh)),
      ],
      rows: cordRows,
    },
    {
      name: 'st4OutletControlEntry',
      oid: `${ST4}.8.5.1`,
      index: [...ST4_INDEX, third('st4OutletIndex')],
      columns: [
        // st4OutletControlState: off(10), on(11).
        int('st4OutletControlState', 1, (r, row) => (outletAt(r, row, 2).on ? 11 : 10)),
        // Reads none(0): the action is a command, the state column says where the outlet is.
        { number: 2, name: 'st4OutletControlAction', type: 'Integer', access: 'read-write', read: () => 0 },
      ],
      rows: cordRows,
    },
    {
      name: 'st4TempSensorMonitorEntry',
      oid: `${ST4}.9.3.1`,
      index: [ST4_INDEX[0]!, { name: 'st4TempSensorIndex', number: 91, access: 'not-accessible' }],
      columns: [int('st4TempSensorValue', 1, (r) => Math.round(r.temperatureC * 10))],
      rows: () => [[1, 1]],
    },
    {
      name: 'st4HumidSensorMonitorEntry',
      oid: `${ST4}.10.3.1`,
      index: [ST4_INDEX[0]!, { name: 'st4HumidSensorIndex', number: 91, access: 'not-accessible' }],
      columns: [int('st4HumidSensorValue', 1, (r) => Math.round(r.humidityPct))],
      rows: () => [[1, 1]],
    },
  ],
  control: {
    table: 'st4OutletControlEntry',
    column: 'st4OutletControlAction',
    decode: (v) => (({ 1: 'on', 2: 'off', 3: 'cycle' }) as const)[v] ?? null,
  },
  serialPrefix: 'ST',
};

export const servertechSentry4: PduVendorDefinition<'servertech-sentry4'> = {
  id: 'servertech-sentry4',
  name: 'ServerTech Sentry4-MIB',
  walk: [
    sentry4.cordActivePowerW,
    sentry4.cordEnergyTenthKwh,
    sentry4.lineCapacityA,
    sentry4.lineCurrentHundredthA,
    sentry4.phaseVoltageTenthV,
    sentry4.phaseActivePowerW,
    sentry4.outletName,
    sentry4.outletState,
    sentry4.outletCurrentHundredthA,
    sentry4.outletActivePowerW,
    sentry4.outletEnergyWh,
    sentry4.tempSensorTenthDeg,
    sentry4.tempSensorScale,
    sentry4.humidSensorPct,
  ],
  phases: PHASES,
  energyWidth: 2 ** 31,
  control: { oid: (outlet) => `${sentry4.outletControlAction}.${CORD}.${outlet}`, on: 1, off: 2, cycle: 3 },
  stateOf: (raw) => (raw === 1 ? 'on' : raw === 2 ? 'off' : 'unknown'),
  read: readSentry4,
  simulated,
};
