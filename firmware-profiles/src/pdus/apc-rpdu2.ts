import type { SensorSample } from '@hashfleet/contracts';
import type {
  PduVendorDefinition,
  PhaseReading,
  PhaseRow,
  RawOutlet,
  RawPdu,
  SimulatedMib,
  Values,
} from './types.js';
import {
  column,
  i32,
  MAX_OUTLET,
  num,
  outletAt,
  outletRow,
  outletRows,
  phaseAt,
  phaseRows,
  readPhases,
} from './values.js';

/**
 * APC Switched Rack PDU 2 (PowerNet-MIB, rPDU2 tables under 1.3.6.1.4.1.318.1.1.26): tables indexed
 * by outlet number, device tables by device (1), -1 where the model cannot measure. Energy columns
 * are tenths of kWh and, as INTEGER (Integer32), wrap at 2^31; outlet state off(1)/on(2); control
 * immediateOn(1), immediateOff(2), immediateReboot(3).
 */
const APC = '1.3.6.1.4.1.318.1.1.26';
export const apc = {
  devicePowerHundredthKw: `${APC}.4.3.1.5`,
  deviceEnergyTenthKwh: `${APC}.4.3.1.9`,
  outletName: `${APC}.9.2.3.1.3`,
  outletState: `${APC}.9.2.3.1.5`,
  outletCurrentTenthA: `${APC}.9.4.3.1.6`,
  outletPowerW: `${APC}.9.4.3.1.7`,
  outletEnergyTenthKwh: `${APC}.9.4.3.1.11`,
  sensorTempTenthC: `${APC}.10.2.2.1.8`,
  sensorHumidityPct: `${APC}.10.2.2.1.10`,
  outletControl: `${APC}.9.2.4.1.5`,
  /** rPDU2PhaseStatus{LoadState,Current,Voltage,Power} and rPDU2PhaseConfigOverloadCurrentThreshold, by phase. */
  phaseLoadState: `${APC}.6.3.1.4`,
  phaseCurrentTenthA: `${APC}.6.3.1.5`,
  phaseVoltageV: `${APC}.6.3.1.6`,
  phasePowerHundredthKw: `${APC}.6.3.1.7`,
  phaseOverloadA: `${APC}.6.1.1.7`,
} as const;

/** rPDU2PhaseStatusLoadState: lowLoad(1), normal(2), nearOverload(3), overload(4). */
export const apcLoadState = { 1: 'low', 2: 'normal', 3: 'near_overload', 4: 'overload' } as const;

const PHASES: readonly PhaseRow[] = [
  { oid: apc.phaseCurrentTenthA, field: 'currentA', scale: 0.1 },
  // −1 when the model cannot measure it: negative readings are dropped as null.
  { oid: apc.phaseVoltageV, field: 'voltageV', scale: 1 },
  { oid: apc.phasePowerHundredthKw, field: 'powerW', scale: 10 },
  { oid: apc.phaseOverloadA, field: 'ratedCurrentA', scale: 1 },
];

/** APC rPDU2: tables indexed by outlet number; device tables by device (1). -1 means unsupported. */
export function readApc(values: Values): RawPdu {
  const outlets = new Map<number, RawOutlet>();
  const each = (prefix: string, set: (row: RawOutlet, v: number | string) => void) => {
    for (const [index, v] of column(values, prefix)) {
      const n = Number(index.split('.').at(-1));
      if (Number.isInteger(n) && n >= 1 && n <= MAX_OUTLET) set(outletRow(outlets, n), v);
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
  const phases = readPhases(values, PHASES);
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
    totalWhPerUnit: 100,
    outlets,
    sensors,
  };
}

/** Simulated rPDU2PhaseStatusLoadState of a phase against its rating (80 % is near overload). */
const NEAR_OVERLOAD = 0.8;
const loadStateOf = (p: PhaseReading): number => {
  const load = p.currentA / p.ratedCurrentA;
  return load >= 1 ? 4 : load >= NEAR_OVERLOAD ? 3 : p.currentA < 0.5 ? 1 : 2;
};

const simulated: SimulatedMib = {
  tables: [
    {
      name: 'rPDU2IdentEntry',
      oid: '1.3.6.1.4.1.318.1.1.26.2.1',
      index: [{ name: 'rPDU2IdentIndex', number: 1, access: 'read-only' }],
      columns: [
        {
          number: 9,
          name: 'rPDU2IdentSerialNumber',
          type: 'OctetString',
          access: 'read-only',
          read: (r) => r.serial,
        },
      ],
      rows: () => [[1]],
    },
    {
      name: 'rPDU2DeviceStatusEntry',
      oid: '1.3.6.1.4.1.318.1.1.26.4.3.1',
      index: [{ name: 'rPDU2DeviceStatusIndex', number: 1, access: 'read-only' }],
      columns: [
        {
          number: 5,
          name: 'rPDU2DeviceStatusPower',
          type: 'Integer',
          access: 'read-only',
          read: (r) => Math.round(r.outlets.reduce((s, o) => s + o.powerW, 0) / 10),
        },
        {
          number: 9,
          name: 'rPDU2DeviceStatusEnergy',
          type: 'Integer',
          access: 'read-only',
          read: (r) => i32(r.outlets.reduce((s, o) => s + o.energyWh, 0) / 100),
        },
      ],
      rows: () => [[1]],
    },
    {
      name: 'rPDU2PhaseConfigEntry',
      oid: '1.3.6.1.4.1.318.1.1.26.6.1.1',
      index: [{ name: 'rPDU2PhaseConfigIndex', number: 1, access: 'read-only' }],
      columns: [
        {
          number: 3,
          name: 'rPDU2PhaseConfigNumber',
          type: 'Integer',
          access: 'read-only',
          read: (_r, row) => row[0]!,
        },
        // Whole amps, as the MIB writes them (a 32 A unit reads near 26, overload 32).
        {
          number: 6,
          name: 'rPDU2PhaseConfigNearOverloadCurrentThreshold',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(phaseAt(r, row).ratedCurrentA * NEAR_OVERLOAD),
        },
        {
          number: 7,
          name: 'rPDU2PhaseConfigOverloadCurrentThreshold',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(phaseAt(r, row).ratedCurrentA),
        },
      ],
      rows: phaseRows,
    },
    {
      name: 'rPDU2PhaseStatusEntry',
      oid: '1.3.6.1.4.1.318.1.1.26.6.3.1',
      index: [{ name: 'rPDU2PhaseStatusIndex', number: 1, access: 'read-only' }],
      columns: [
        {
          number: 3,
          name: 'rPDU2PhaseStatusNumber',
          type: 'Integer',
          access: 'read-only',
          read: (_r, row) => row[0]!,
        },
        // lowLoad(1), normal(2), nearOverload(3), overload(4).
        {
          number: 4,
          name: 'rPDU2PhaseStatusLoadState',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => loadStateOf(phaseAt(r, row)),
        },
        {
          number: 5,
          name: 'rPDU2PhaseStatusCurrent',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(phaseAt(r, row).currentA * 10),
        },
        {
          number: 6,
          name: 'rPDU2PhaseStatusVoltage',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(phaseAt(r, row).voltageV),
        },
        // Hundredths of kW, like rPDU2DeviceStatusPower.
        {
          number: 7,
          name: 'rPDU2PhaseStatusPower',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(phaseAt(r, row).powerW / 10),
        },
      ],
      rows: phaseRows,
    },
    {
      name: 'rPDU2OutletSwitchedStatusEntry',
      oid: '1.3.6.1.4.1.318.1.1.26.9.2.3.1',
      index: [{ name: 'rPDU2OutletSwitchedStatusIndex', number: 1, access: 'read-only' }],
      columns: [
        {
          number: 3,
          name: 'rPDU2OutletSwitchedStatusName',
          type: 'OctetString',
          access: 'read-only',
          read: (r, row) => outletAt(r, row).name,
        },
        {
          number: 5,
          name: 'rPDU2OutletSwitchedStatusState',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => (outletAt(r, row).on ? 2 : 1),
        },
      ],
      rows: outletRows,
    },
    {
      name: 'rPDU2OutletSwitchedControlEntry',
      oid: '1.3.6.1.4.1.318.1.1.26.9.2.4.1',
      index: [{ name: 'rPDU2OutletSwitchedControlIndex', number: 1, access: 'read-only' }],
      columns: [
        // GET answers the current state as immediateOn(1) / immediateOff(2).
        {
          number: 5,
          name: 'rPDU2OutletSwitchedControlCommand',
          type: 'Integer',
          access: 'read-write',
          read: (r, row) => (outletAt(r, row).on ? 1 : 2),
        },
      ],
      rows: outletRows,
    },
    {
      name: 'rPDU2OutletMeteredStatusEntry',
      oid: '1.3.6.1.4.1.318.1.1.26.9.4.3.1',
      index: [{ name: 'rPDU2OutletMeteredStatusIndex', number: 1, access: 'read-only' }],
      columns: [
        {
          number: 6,
          name: 'rPDU2OutletMeteredStatusCurrent',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(outletAt(r, row).currentA * 10),
        },
        {
          number: 7,
          name: 'rPDU2OutletMeteredStatusPower',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(outletAt(r, row).powerW),
        },
        {
          number: 11,
          name: 'rPDU2OutletMeteredStatusEnergy',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => i32(outletAt(r, row).energyWh / 100),
        },
      ],
      rows: outletRows,
    },
    {
      name: 'rPDU2SensorTempHumidityStatusEntry',
      oid: '1.3.6.1.4.1.318.1.1.26.10.2.2.1',
      index: [{ name: 'rPDU2SensorTempHumidityStatusIndex', number: 1, access: 'read-only' }],
      columns: [
        {
          number: 8,
          name: 'rPDU2SensorTempHumidityStatusTempC',
          type: 'Integer',
          access: 'read-only',
          read: (r) => Math.round(r.temperatureC * 10),
        },
        {
          number: 10,
          name: 'rPDU2SensorTempHumidityStatusRelativeHumidity',
          type: 'Integer',
          access: 'read-only',
          read: (r) => Math.round(r.humidityPct),
        },
      ],
      rows: () => [[1]],
    },
  ],
  control: {
    table: 'rPDU2OutletSwitchedControlEntry',
    column: 'rPDU2OutletSwitchedControlCommand',
    decode: (v) => (({ 1: 'on', 2: 'off', 3: 'cycle', 5: 'on', 6: 'off', 7: 'cycle' }) as const)[v] ?? null,
  },
  serialPrefix: 'ZA',
};

export const apcRpdu2: PduVendorDefinition<'apc-rpdu2'> = {
  id: 'apc-rpdu2',
  name: 'APC PowerNet-MIB rPDU2',
  walk: [
    apc.devicePowerHundredthKw,
    apc.deviceEnergyTenthKwh,
    apc.outletName,
    apc.outletState,
    apc.outletCurrentTenthA,
    apc.outletPowerW,
    apc.outletEnergyTenthKwh,
    apc.sensorTempTenthC,
    apc.sensorHumidityPct,
    apc.phaseLoadState,
    apc.phaseCurrentTenthA,
    apc.phaseVoltageV,
    apc.phasePowerHundredthKw,
    apc.phaseOverloadA,
  ],
  phases: PHASES,
  // INTEGER (signed 32-bit) in the MIB.
  energyWidth: 2 ** 31,
  // MIB: immediateOn(1), immediateOff(2), immediateReboot(3) — 1 is on, not off.
  control: { oid: (outlet) => `${apc.outletControl}.${outlet}`, on: 1, off: 2, cycle: 3 },
  stateOf: (raw) => (raw === 2 ? 'on' : raw === 1 ? 'off' : 'unknown'),
  read: readApc,
  simulated,
};
