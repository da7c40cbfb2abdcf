import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PduVendorSchema } from '@hashfleet/contracts';
import { describe, expect, it } from 'vitest';
import { PDU_VENDORS, pduVendor } from '../src/pdus/registry.js';
import { readSentry4, sentry4 } from '../src/pdus/servertech-sentry4.js';
import type { PduVendorDefinition } from '../src/pdus/types.js';

/** Files of src/pdus/ that are not a vendor. */
const SHARED = new Set(['types.ts', 'values.ts', 'registry.ts']);

describe('PDU vendor registry', () => {
  it('every vendor file in src/pdus/ has its registry line', async () => {
    const dir = join(import.meta.dirname, '..', 'src', 'pdus');
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !SHARED.has(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const mod = (await import(join(dir, file))) as Record<string, unknown>;
      const vendors = Object.values(mod).filter(
        (v): v is PduVendorDefinition => typeof v === 'object' && v !== null && 'walk' in v && 'read' in v,
      );
      expect(vendors.length, `src/pdus/${file} exports no PDU vendor`).toBe(1);
      expect(
        PDU_VENDORS,
        `src/pdus/${file}: vendor ${vendors[0]!.id} has no line in src/pdus/registry.ts`,
      ).toContain(vendors[0]);
      expect(file, 'a vendor file is named by its id').toBe(`${vendors[0]!.id}.ts`);
    }
  });

  it('ids are unique contract ids; phase rows are walked; the simulated control column exists', () => {
    expect(new Set(PDU_VENDORS.map((v) => v.id)).size).toBe(PDU_VENDORS.length);
    for (const v of PDU_VENDORS) {
      expect(PduVendorSchema.safeParse(v.id).success, v.id).toBe(true);
      for (const row of v.phases) expect(v.walk, `${v.id}: phase row ${row.oid}`).toContain(row.oid);
      const table = v.simulated.tables.find((t) => t.name === v.simulated.control.table);
      expect(
        table?.columns.map((c) => c.name),
        v.id,
      ).toContain(v.simulated.control.column);
      for (const op of ['on', 'off', 'cycle'] as const)
        expect(v.simulated.control.decode(v.control[op]), `${v.id} ${op}`).toBe(op);
    }
    expect(() => pduVendor('eaton-epdu')).toThrow(/eaton-epdu.*not registered.*servertech-sentry4/);
  });

  it('the contract takes any well-formed vendor id, registered or not, and bounds the rest', () => {
    expect(PduVendorSchema.safeParse('eaton-epdu').success).toBe(true);
    for (const bad of ['Eaton ePDU', '', '-apc', 'apc--x', 'a'.repeat(41), 'apc_rpdu2'])
      expect(PduVendorSchema.safeParse(bad).success, bad).toBe(false);
  });
});

describe('Sentry4-MIB reader (pure)', () => {
  const oid = (column: string, index: string) => `${column}.${index}`;
  const values = new Map<string, number | string>([
    [oid(sentry4.outletName, '1.1.1'), 'm0001'],
    [oid(sentry4.outletState, '1.1.1'), 1],
    [oid(sentry4.outletCurrentHundredthA, '1.1.1'), 1432],
    [oid(sentry4.outletActivePowerW, '1.1.1'), 3225],
    [oid(sentry4.outletEnergyWh, '1.1.1'), 51_234],
    [oid(sentry4.outletState, '1.1.2'), 2],
    [oid(sentry4.outletActivePowerW, '1.1.2'), -1],
    // A link unit (2) numbers its outlets from 1 again: not this cord.
    [oid(sentry4.outletActivePowerW, '2.1.1'), 999],
    [oid(sentry4.cordActivePowerW, '1.1'), 3230],
    [oid(sentry4.cordEnergyTenthKwh, '1.1'), 5123],
    [oid(sentry4.lineCurrentHundredthA, '1.1.1'), 1432],
    [oid(sentry4.lineCapacityA, '1.1.1'), 30],
    [oid(sentry4.phaseVoltageTenthV, '1.1.1'), 2301],
    [oid(sentry4.lineCurrentHundredthA, '1.2.1'), 777],
    [oid(sentry4.tempSensorTenthDeg, '1.1'), 779],
    [oid(sentry4.tempSensorScale, '0'), 1],
    [oid(sentry4.humidSensorPct, '1.1'), 41],
  ]);
  const raw = readSentry4(values);

  it('reads cord 1.1 outlets in the MIB units, -1 as null, other units and cords not at all', () => {
    expect([...raw.outlets.keys()]).toEqual([1, 2]);
    expect(raw.outlets.get(1)).toEqual({
      name: 'm0001',
      stateRaw: 1,
      powerW: 3225,
      currentA: 14.32,
      energyRaw: 51_234,
    });
    expect(raw.outlets.get(2)).toMatchObject({ stateRaw: 2, powerW: null });
    expect(pduVendor('servertech-sentry4').stateOf(2)).toBe('off');
    expect(raw.whPerUnit).toBe(1);
    expect(raw.totalEnergyRaw! * raw.totalWhPerUnit).toBe(512_300);
    expect(raw.totalPowerW).toBe(3230);
  });

  it('reads line 1 of cord 1.1 as phase 1 and converts a Fahrenheit probe to °C', () => {
    expect(raw.phases).toEqual([
      { phase: 1, currentA: 14.32, ratedCurrentA: 30, voltageV: 230.1, powerW: null },
    ]);
    expect(raw.sensors).toEqual([
      { sensorId: 'temp-1.1', kind: 'temperature', value: 25.5, location: 'unknown' },
      { sensorId: 'humidity-1.1', kind: 'humidity', value: 41, location: 'unknown' },
    ]);
  });
});
