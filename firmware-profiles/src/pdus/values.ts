import { LIMITS, type PhaseSample } from '@hashfleet/contracts';
import type { PduReadings, PhaseRow, RawOutlet, Values } from './types.js';

/** Rows of one column: the index suffix after `column.` and its value. */
export function column(values: Values, prefix: string): [string, number | string][] {
  const out: [string, number | string][] = [];
  const p = `${prefix}.`;
  for (const [oid, v] of values) if (oid.startsWith(p)) out.push([oid.slice(p.length), v]);
  return out;
}

/** A reading; negative numbers are the MIBs' "unsupported" (-1) and read as null. */
export const num = (v: number | string | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;

export const MAX_OUTLET = 96;

export function outletRow(outlets: Map<number, RawOutlet>, index: number): RawOutlet {
  let row = outlets.get(index);
  if (!row) {
    row = { name: null, stateRaw: null, powerW: null, currentA: null, energyRaw: null };
    outlets.set(index, row);
  }
  return row;
}

/**
 * Per-phase readings from a vendor's phase rows, sorted by phase. Null when the PDU answered none
 * of them: a single-phase or unmetered model has no phase table, which is not an error.
 * A row indexed by sensor type (Raritan inlet poles) reads inlet 1 only and is divided by
 * `digits(pduId.inletId.sensorType)`; negative readings ("−1 if unsupported") are null.
 */
export function readPhases(
  values: Values,
  rows: readonly PhaseRow[],
  digits: (key: string) => number = () => 0,
): PhaseSample[] | null {
  const phases = new Map<number, PhaseSample>();
  for (const row of rows) {
    const prefix = `${row.oid}.`;
    for (const [oid, v] of values) {
      if (!oid.startsWith(prefix)) continue;
      const index = oid.slice(prefix.length);
      if (row.within && !index.startsWith(`${row.within}.`)) continue;
      const arcs = index.split('.').map(Number);
      let phase = arcs.at(-1)!;
      let divisor = 1;
      if (row.sensorType !== undefined) {
        if (arcs.length !== 4 || arcs[3] !== row.sensorType || arcs[1] !== 1) continue;
        phase = arcs[2]!;
        divisor = 10 ** digits(`${arcs[0]}.${arcs[1]}.${row.sensorType}`);
      }
      if (!Number.isInteger(phase) || phase < 1 || phase > LIMITS.maxPhasesPerPdu) continue;
      const p = phases.get(phase) ?? { phase, currentA: null, voltageV: null, powerW: null };
      // Rounded to mA / mV / mW: finer than any PDU meters, and 12 × 0.1 stays 1.2.
      p[row.field] =
        typeof v === 'number' && Number.isFinite(v) && v >= 0
          ? Math.round(((v * row.scale) / divisor) * 1000) / 1000
          : null;
      phases.set(phase, p);
    }
  }
  return phases.size === 0 ? null : [...phases.values()].sort((a, b) => a.phase - b.phase);
}

/** A nameplate rating such as "32A" or "16 A" in amps; null when it does not read as one. */
export function ratedAmps(text: number | string | undefined): number | null {
  if (typeof text === 'number') return text > 0 ? text : null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*A?\s*$/i.exec(text ?? '');
  return m ? Number(m[1]) : null;
}

/* Simulated side: what a MIB column reads for a table row. */

export const outletRows = (r: PduReadings): number[][] => r.outlets.map((o) => [o.outlet]);
/** The outlet a row is about: its index arc at `pos` (1-based outlet number). */
export const outletAt = (r: PduReadings, row: number[], pos = 0) => r.outlets[(row[pos] ?? 1) - 1]!;
export const phaseRows = (r: PduReadings): number[][] => r.phases.map((p) => [p.phase]);
export const phaseAt = (r: PduReadings, row: number[], pos = 0) => r.phases[(row[pos] ?? 1) - 1]!;
/** Unsigned32 and Integer32 counters as the MIBs wrap them. */
export const u32 = (v: number): number => Math.max(0, Math.floor(v)) % 4294967296;
export const i32 = (v: number): number => Math.max(0, Math.floor(v)) % 2147483648;
