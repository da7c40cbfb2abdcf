import type { PduSample } from '@hashfleet/contracts';
import { apc, readApc } from '@hashfleet/firmware-profiles/pdus/apc-rpdu2';
import { raritan, raritanSensor, readRaritan } from '@hashfleet/firmware-profiles/pdus/raritan-pdu2';
import { ratedAmps, readPhases } from '@hashfleet/firmware-profiles/pdus/values';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PduReader } from '../src/pdu/poller.js';
import { VENDORS } from '../src/pdu/vendors.js';
import { simAgentConfig } from './helpers.js';

describe('phase readings from SNMP values (pure)', () => {
  const cases: Array<{
    name: string;
    values: [string, number | string][];
    vendor: 'apc' | 'raritan';
    want: unknown;
  }> = [
    {
      name: 'APC: tenths of A, V, hundredths of kW and the overload threshold per phase, load state by name',
      vendor: 'apc',
      values: [
        [`${apc.phaseCurrentTenthA}.1`, 281],
        [`${apc.phaseVoltageV}.1`, 228],
        [`${apc.phasePowerHundredthKw}.1`, 630],
        [`${apc.phaseOverloadA}.1`, 32],
        [`${apc.phaseLoadState}.1`, 3],
        [`${apc.phaseCurrentTenthA}.2`, 12],
        [`${apc.phaseVoltageV}.2`, -1],
        [`${apc.phaseLoadState}.2`, 9],
      ],
      want: [
        {
          phase: 1,
          currentA: 28.1,
          voltageV: 228,
          powerW: 6300,
          ratedCurrentA: 32,
          loadState: 'near_overload',
        },
        { phase: 2, currentA: 1.2, voltageV: null, powerW: null, loadState: 'unknown' },
      ],
    },
    {
      name: 'APC: no phase table is null, not an empty list',
      vendor: 'apc',
      values: [[`${apc.outletPowerW}.1`, 3000]],
      want: null,
    },
    {
      name: 'Raritan: inlet 1 poles by sensor type, scaled by the inlet sensor digits, rated from "63A"; inlet 2 ignored',
      vendor: 'raritan',
      values: [
        [`${raritan.inletDigits}.1.1.${raritanSensor.rmsCurrent}`, 3],
        [`${raritan.inletDigits}.1.1.${raritanSensor.rmsVoltage}`, 0],
        [`${raritan.inletPoleValue}.1.1.1.${raritanSensor.rmsCurrent}`, 15_250],
        [`${raritan.inletPoleValue}.1.1.1.${raritanSensor.rmsVoltage}`, 231],
        [`${raritan.inletPoleValue}.1.1.3.${raritanSensor.rmsCurrent}`, 500],
        [`${raritan.inletPoleValue}.1.2.1.${raritanSensor.rmsCurrent}`, 99_999],
        [`${raritan.inletRatedCurrent}.1.1`, '63A'],
      ],
      want: [
        { phase: 1, currentA: 15.25, voltageV: 231, powerW: null, ratedCurrentA: 63 },
        { phase: 3, currentA: 0.5, voltageV: null, powerW: null, ratedCurrentA: 63 },
      ],
    },
    {
      name: 'Raritan: a pole number past LIMITS.maxPhasesPerPdu is dropped, leaving no phases (null)',
      vendor: 'raritan',
      values: [[`${raritan.inletPoleValue}.1.1.7.${raritanSensor.rmsCurrent}`, 1000]],
      want: null,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const read = c.vendor === 'apc' ? readApc : readRaritan;
      expect(read(new Map(c.values)).phases).toEqual(c.want);
    });
  }

  it('ratedAmps reads nameplate strings and refuses what is not a current', () => {
    expect([
      ratedAmps('32A'),
      ratedAmps('16 A'),
      ratedAmps(63),
      ratedAmps('100-120V'),
      ratedAmps(undefined),
    ]).toEqual([32, 16, 63, null, null]);
  });

  it('every vendor walks the subtrees its phase rows read', () => {
    for (const v of Object.values(VENDORS)) for (const row of v.phases) expect(v.walk).toContain(row.oid);
    expect(readPhases(new Map(), VENDORS['apc-rpdu2'].phases)).toBeNull();
  });
});

describe('PduReader reads phases from the simulated PDUs over SNMP', () => {
  let sim: Simulation;
  const samples = new Map<string, PduSample>();
  const missing: string[] = [];

  beforeAll(async () => {
    // pdu-1 APC (24 miners), pdu-2 Raritan (6 miners, 63 A inlet), pdu-3 an APC model without phase metering.
    const input = smallScenario({ miners: 30, profiles: ['antminer-stock'], seed: 4 });
    const pdus = input.pdus!;
    pdus[1] = { ...pdus[1]!, phaseRatingA: 63 };
    pdus.push({ ...pdus[0]!, id: 'pdu-3', host: '127.99.0.203', phases: 0 });
    sim = await startSimulation(input);
    await sim.tick(30_000);
    const reader = new PduReader((pduId, what) => missing.push(`${pduId}/${what}`));
    for (const pdu of simAgentConfig(sim, 'mqtt://127.0.0.1:1').pdus) {
      samples.set(pdu.id, await reader.read(pdu, () => sim.clock.now()));
    }
  });
  afterAll(async () => {
    await sim?.stop();
  });

  const onPhase = (s: PduSample, phase: number) =>
    s.outlets.filter((o) => ((o.outlet - 1) % 3) + 1 === phase);

  it('APC rPDU2: three phases, each carrying the current and power of its outlets, rated at the overload threshold', () => {
    const s = samples.get('pdu-1')!;
    expect(s.phases?.map((p) => p.phase)).toEqual([1, 2, 3]);
    for (const p of s.phases!) {
      const outlets = onPhase(s, p.phase);
      const amps = outlets.reduce((t, o) => t + o.currentA!, 0);
      const watts = outlets.reduce((t, o) => t + o.powerW!, 0);
      // Tenths of A on the phase and on each of its 8 outlets; power in hundredths of kW (10 W) vs whole W.
      expect(Math.abs(p.currentA! - amps)).toBeLessThanOrEqual(0.45);
      expect(Math.abs(p.powerW! - watts)).toBeLessThanOrEqual(9);
      expect(p.currentA!).toBeGreaterThan(50);
      expect(p.voltageV).toBe(230);
      expect(p.ratedCurrentA).toBe(125);
      expect(p.loadState).toBe(
        p.currentA! >= 125 ? 'overload' : p.currentA! >= 100 ? 'near_overload' : 'normal',
      );
    }
  });

  it('Raritan PDU2: inlet poles as phases in A (mA scaled by 3 digits), rated from inletRatedCurrent', () => {
    const s = samples.get('pdu-2')!;
    expect(s.phases?.map((p) => p.phase)).toEqual([1, 2, 3]);
    for (const p of s.phases!) {
      const amps = onPhase(s, p.phase).reduce((t, o) => t + (o.currentA ?? 0), 0);
      expect(Math.abs(p.currentA! - amps)).toBeLessThanOrEqual(0.01);
      expect(p.currentA!).toBeGreaterThan(10);
      expect(p.ratedCurrentA).toBe(63);
      expect(p.voltageV).toBe(230);
    }
  });

  it('a PDU without a phase table publishes phases null, counts it, and still reads its outlets', () => {
    const s = samples.get('pdu-3')!;
    expect(s.phases).toBeNull();
    expect(s.outlets).toHaveLength(24);
    expect(missing).toEqual(['pdu-3/phases']);
  });
});
