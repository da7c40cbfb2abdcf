import snmp from 'net-snmp';

/** What a column reads for one row, given the PDU's current outlet and sensor readings. */
export type OutletReading = {
  outlet: number;
  name: string;
  on: boolean;
  powerW: number;
  currentA: number;
  voltageV: number;
  energyWh: number;
};
/** One line of the feed: the sum of the outlets wired to it. */
export type PhaseReading = {
  phase: number;
  currentA: number;
  voltageV: number;
  powerW: number;
  ratedCurrentA: number;
};
export type PduReadings = {
  outlets: OutletReading[];
  phases: PhaseReading[];
  temperatureC: number;
  humidityPct: number;
  serial: string;
};

type Access = 'read-only' | 'read-write' | 'not-accessible';
export type Column = {
  number: number;
  name: string;
  type: 'Integer' | 'OctetString' | 'Gauge' | 'Unsigned32';
  access: Access;
  read: (r: PduReadings, row: number[]) => number | string;
};
export type Table = {
  name: string;
  /** OID of the table entry (…Entry), columns hang below it. */
  oid: string;
  /** Index columns (not-accessible unless listed as a column too). */
  index: { name: string; number: number; access: Access }[];
  columns: Column[];
  rows: (r: PduReadings) => number[][];
};

/** A control write on an outlet, as the vendor's MIB defines its values. */
export type ControlWrite = { column: string; decode: (value: number) => 'on' | 'off' | 'cycle' | null };

export type VendorMib = { tables: Table[]; control: ControlWrite & { table: string } };

const outletRows = (r: PduReadings) => r.outlets.map((o) => [o.outlet]);
const at = (r: PduReadings, row: number[], pos = 0) => r.outlets[(row[pos] ?? 1) - 1]!;
const phaseRows = (r: PduReadings) => r.phases.map((p) => [p.phase]);
const phase = (r: PduReadings, row: number[], pos = 0) => r.phases[(row[pos] ?? 1) - 1]!;
const NEAR_OVERLOAD = 0.8;
const apcLoadState = (p: PhaseReading): number => {
  const load = p.currentA / p.ratedCurrentA;
  return load >= 1 ? 4 : load >= NEAR_OVERLOAD ? 3 : p.currentA < 0.5 ? 1 : 2;
};
const u32 = (v: number) => Math.max(0, Math.floor(v)) % 4294967296;
const i32 = (v: number) => Math.max(0, Math.floor(v)) % 2147483648;

/**
 * APC PowerNet-MIB rPDU2 (docs/reference.md §9). Energy columns are tenths of kWh and, as Integer32,
 * wrap at 2^31; state off(1)/on(2); control immediateOn(1), immediateOff(2), immediateReboot(3).
 */
export const APC_RPDU2: VendorMib = {
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
          read: (r, row) => Math.round(phase(r, row).ratedCurrentA * NEAR_OVERLOAD),
        },
        {
          number: 7,
          name: 'rPDU2PhaseConfigOverloadCurrentThreshold',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(phase(r, row).ratedCurrentA),
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
          read: (r, row) => apcLoadState(phase(r, row)),
        },
        {
          number: 5,
          name: 'rPDU2PhaseStatusCurrent',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(phase(r, row).currentA * 10),
        },
        {
          number: 6,
          name: 'rPDU2PhaseStatusVoltage',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(phase(r, row).voltageV),
        },
        // Hundredths of kW, like rPDU2DeviceStatusPower.
        {
          number: 7,
          name: 'rPDU2PhaseStatusPower',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(phase(r, row).powerW / 10),
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
          read: (r, row) => at(r, row).name,
        },
        {
          number: 5,
          name: 'rPDU2OutletSwitchedStatusState',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => (at(r, row).on ? 2 : 1),
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
          read: (r, row) => (at(r, row).on ? 1 : 2),
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
          read: (r, row) => Math.round(at(r, row).currentA * 10),
        },
        {
          number: 7,
          name: 'rPDU2OutletMeteredStatusPower',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => Math.round(at(r, row).powerW),
        },
        {
          number: 11,
          name: 'rPDU2OutletMeteredStatusEnergy',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => i32(at(r, row).energyWh / 100),
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
};

/** Raritan PDU2-MIB sensor types used here (SensorTypeEnumeration). */
export const RARITAN_SENSOR = {
  rmsCurrent: 1,
  rmsVoltage: 4,
  activePower: 5,
  activeEnergy: 8,
  temperature: 10,
  humidity: 11,
} as const;

/**
 * Raritan PDU2-MIB (docs/reference.md §9). Readings are Unsigned32 scaled by the sensor's decimal
 * digits (current 3, voltage 0, power 0, energy 0 = Wh, temperature 1) and wrap at 2^32.
 * switchingOperation: off(0), on(1), cycle(2). pduId is 1.
 */
const RARITAN_DIGITS: Record<number, number> = { 1: 3, 4: 0, 5: 0, 8: 0, 10: 1, 11: 0 };
const outletSensorRows = (r: PduReadings) =>
  r.outlets.flatMap((o) =>
    [
      RARITAN_SENSOR.rmsCurrent,
      RARITAN_SENSOR.rmsVoltage,
      RARITAN_SENSOR.activePower,
      RARITAN_SENSOR.activeEnergy,
    ].map((t) => [1, o.outlet, t]),
  );
const outletSensorValue = (r: PduReadings, row: number[]): number => {
  const o = at(r, row, 1);
  const t = row[2]!;
  const raw = t === 1 ? o.currentA : t === 4 ? o.voltageV : t === 5 ? o.powerW : o.energyWh;
  return u32(raw * 10 ** RARITAN_DIGITS[t]!);
};
/** External sensor 1 is temperature (1 decimal digit), 2 is relative humidity (0 digits). */
const external = (r: PduReadings, row: number[]): number =>
  row[1] === 1 ? r.temperatureC * 10 : r.humidityPct;

/** Inlet 1's pole sensors: current, voltage and active power of each line. */
const POLE_SENSORS = [RARITAN_SENSOR.rmsCurrent, RARITAN_SENSOR.rmsVoltage, RARITAN_SENSOR.activePower];
const poleRows = (r: PduReadings) => r.phases.flatMap((p) => POLE_SENSORS.map((t) => [1, 1, p.phase, t]));
const poleValue = (r: PduReadings, row: number[]): number => {
  const p = phase(r, row, 2);
  const t = row[3]!;
  const raw =
    t === RARITAN_SENSOR.rmsCurrent ? p.currentA : t === RARITAN_SENSOR.rmsVoltage ? p.voltageV : p.powerW;
  return u32(raw * 10 ** RARITAN_DIGITS[t]!);
};

export const RARITAN_PDU2: VendorMib = {
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
          read: (r, row) => at(r, row, 1).name,
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
          read: (r, row) => (at(r, row, 1).on ? 1 : 0),
        },
        // on(7), off(8) in PDU2-MIB's SensorStateEnumeration.
        {
          number: 3,
          name: 'outletSwitchingState',
          type: 'Integer',
          access: 'read-only',
          read: (r, row) => (at(r, row, 1).on ? 7 : 8),
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
          read: (_r, row) => (row[1] === 1 ? RARITAN_SENSOR.temperature : RARITAN_SENSOR.humidity),
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
};

export const snmpType = (t: Column['type']): number =>
  ({
    Integer: snmp.ObjectType.Integer,
    OctetString: snmp.ObjectType.OctetString,
    Gauge: snmp.ObjectType.Gauge,
    Unsigned32: snmp.ObjectType.Unsigned32,
  })[t];
export const snmpAccess = (a: Access): number => snmp.MaxAccess[a];
