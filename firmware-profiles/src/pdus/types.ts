import type { PhaseSample, SensorSample } from '@hashfleet/contracts';

/**
 * A PDU vendor is one file in this folder (one `PduVendorDefinition` object): the OIDs the agent walks and
 * writes, the reader that turns the walked values into one reading, and the MIB tables the simulated
 * PDU answers, so the agent and its simulated twin read the same table. Data plus pure functions:
 * no sockets, no net-snmp.
 */

/** SNMP values by OID (no leading dot): numbers, or strings for OCTET STRINGs. */
export type Values = Map<string, number | string>;

export type OutletState = 'on' | 'off' | 'unknown';

/** A phase field, in the unit its name carries. */
export type PhaseField = 'currentA' | 'voltageV' | 'powerW' | 'ratedCurrentA';

/**
 * Where a vendor keeps its per-phase readings, as rows: the column (indexed by phase as its last
 * arc) or the sensor type (Raritan: inlet pole sensors indexed {pduId, inletId, pole, sensorType}),
 * the field it fills and the factor to that field's unit.
 */
export type PhaseRow = {
  oid: string;
  sensorType?: number;
  /** Index arcs before the phase that the row is restricted to (Sentry4: unit 1, cord 1 = `1.1`). */
  within?: string;
  field: PhaseField;
  scale: number;
};

export type RawOutlet = {
  name: string | null;
  stateRaw: number | null;
  powerW: number | null;
  currentA: number | null;
  /** Raw energy counter; `whPerUnit` makes it Wh. */
  energyRaw: number | null;
};

export type RawPdu = {
  totalPowerW: number | null;
  totalEnergyRaw: number | null;
  /** Wh per raw unit of the outlets' energy counters. */
  whPerUnit: number;
  /** Wh per raw unit of the total energy counter (Sentry4 counts the cord in 0.1 kWh, outlets in Wh). */
  totalWhPerUnit: number;
  outlets: Map<number, RawOutlet>;
  sensors: SensorSample[];
  /** Null when the PDU has no phase table. */
  phases: PhaseSample[] | null;
};

/** What a simulated column reads for one row, given the PDU's current outlet and sensor readings. */
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

export type Access = 'read-only' | 'read-write' | 'not-accessible';
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

/** The MIB a simulated PDU of this vendor answers, and how it decodes a write of its control column. */
export type SimulatedMib = {
  tables: Table[];
  control: { table: string; column: string; decode: (value: number) => 'on' | 'off' | 'cycle' | null };
  /** First letters of the simulated serial number. */
  serialPrefix: string;
};

export type PduVendorDefinition<Id extends string = string> = {
  /** The vendor id in agent configs and messages (`PduVendorSchema`: lower-case, digits, `-`). */
  id: Id;
  /** The MIB family, for people. */
  name: string;
  /** Subtrees walked with GETBULK each cycle. */
  walk: readonly string[];
  /** Per-phase readings; their subtrees are in `walk` too. */
  phases: readonly PhaseRow[];
  /** Raw energy counter width, for wrap detection (in raw units). */
  energyWidth: number;
  /** Outlet control: the OID (outlet index appended) and the value written for each operation. */
  control: { oid: (outlet: number) => string; on: number; off: number; cycle: number };
  stateOf: (raw: number) => OutletState;
  /** The walked values -> one raw reading. Never throws; what is absent is null. */
  read: (values: Values) => RawPdu;
  simulated: SimulatedMib;
};
