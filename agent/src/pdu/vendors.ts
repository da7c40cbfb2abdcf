import type { PduVendor } from '@hashfleet/contracts';

/**
 * What each PDU family answers and where (docs/reference.md §9; OIDs resolved from PowerNet-MIB and
 * PDU2-MIB). Scales turn the raw integer into the unit in the field name, once.
 */
export type OutletState = 'on' | 'off' | 'unknown';

/** A phase field, in the unit its name carries. */
export type PhaseField = 'currentA' | 'voltageV' | 'powerW' | 'ratedCurrentA';

/**
 * Where a vendor keeps its per-phase readings, as rows: the column (APC: indexed by phase) or the
 * sensor type (Raritan: inlet pole sensors indexed {pduId, inletId, pole, sensorType}), the field
 * it fills and the factor to that field's unit.
 */
export type PhaseRow = { oid: string; sensorType?: number; field: PhaseField; scale: number };

export type VendorTable = {
  /** Subtrees walked with GETBULK each cycle. */
  walk: string[];
  /** Per-phase readings; their subtrees are in `walk` too. */
  phases: PhaseRow[];
  /** Raw energy counter width, for wrap detection (in raw units). */
  energyWidth: number;
  /** Outlet control: the OID prefix (outlet index appended) and the value for each operation. */
  control: { oid: (outlet: number) => string; on: number; off: number; cycle: number };
  stateOf: (raw: number) => OutletState;
};

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

export const VENDORS: Record<PduVendor, VendorTable> = {
  'apc-rpdu2': {
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
    phases: [
      { oid: apc.phaseCurrentTenthA, field: 'currentA', scale: 0.1 },
      // −1 when the model cannot measure it: negative readings are dropped as null.
      { oid: apc.phaseVoltageV, field: 'voltageV', scale: 1 },
      { oid: apc.phasePowerHundredthKw, field: 'powerW', scale: 10 },
      { oid: apc.phaseOverloadA, field: 'ratedCurrentA', scale: 1 },
    ],
    // INTEGER (signed 32-bit) in the MIB.
    energyWidth: 2 ** 31,
    // MIB: immediateOn(1), immediateOff(2), immediateReboot(3) — 1 is on, not off.
    control: { oid: (outlet) => `${apc.outletControl}.${outlet}`, on: 1, off: 2, cycle: 3 },
    stateOf: (raw) => (raw === 2 ? 'on' : raw === 1 ? 'off' : 'unknown'),
  },
  'raritan-pdu2': {
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
    // Scale 1: the inlet sensor's DecimalDigits (inletDigits) divide the raw value at read time.
    phases: [
      { oid: raritan.inletPoleValue, sensorType: raritanSensor.rmsCurrent, field: 'currentA', scale: 1 },
      { oid: raritan.inletPoleValue, sensorType: raritanSensor.rmsVoltage, field: 'voltageV', scale: 1 },
      { oid: raritan.inletPoleValue, sensorType: raritanSensor.activePower, field: 'powerW', scale: 1 },
    ],
    // Unsigned32 that "will wrap around if the scaled sensor reading exceeds 4294967295".
    energyWidth: 2 ** 32,
    // switchingOperation: off(0), on(1), cycle(2); outlets of PDU 1.
    control: { oid: (outlet) => `${raritan.switchingOperation}.1.${outlet}`, on: 1, off: 0, cycle: 2 },
    // outletSwitchingState is a SensorStateEnumeration: on(7), off(8).
    stateOf: (raw) => (raw === 7 ? 'on' : raw === 8 ? 'off' : 'unknown'),
  },
};
