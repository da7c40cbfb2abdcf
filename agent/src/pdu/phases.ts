import { LIMITS, type PhaseSample } from '@hashfleet/contracts';
import type { PhaseRow } from './vendors.js';

/** SNMP values by OID (no leading dot): numbers, or strings for OCTET STRINGs. */
type Values = Map<string, number | string>;

/**
 * Per-phase readings from a vendor's phase rows (vendors.ts), sorted by phase. Null when the PDU
 * answered none of them: a single-phase or unmetered model has no phase table, which is not an error.
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
      const arcs = oid.slice(prefix.length).split('.').map(Number);
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
