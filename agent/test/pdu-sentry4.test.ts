import type { PduSample } from '@hashfleet/contracts';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../src/config.js';
import { PduReader } from '../src/pdu/poller.js';
import { openSession, setInteger } from '../src/pdu/snmp.js';
import { VENDORS } from '../src/pdu/vendors.js';
import { simAgentConfig } from './helpers.js';

/**
 * The third PDU vendor end to end over real SNMP: a simulated ServerTech Sentry4 (net-snmp agent
 * answering Sentry4-MIB, firmware-profiles/src/pdus/servertech-sentry4.ts) read by the agent's
 * PduReader and switched by the agent's SNMP SET of st4OutletControlAction. It proves the vendor
 * file's OID table, reader and simulated MIB agree, in the units the MIB states (hundredths of A,
 * tenths of V and of kWh, Wh), and that a config naming an unregistered vendor fails at load.
 */
describe('ServerTech Sentry4 through the agent reader and the simulated PDU', () => {
  let sim: Simulation;
  let first: PduSample;
  let second: PduSample;
  const pduConfig = () => simAgentConfig(sim, 'mqtt://127.0.0.1:1').pdus[0]!;

  beforeAll(async () => {
    const input = smallScenario({ miners: 12, profiles: ['antminer-stock', 'auradine'], seed: 14 });
    input.pdus = [{ ...input.pdus![0]!, vendor: 'servertech-sentry4', phaseRatingA: 32 }];
    sim = await startSimulation(input);
    await sim.tick(30_000);
    const reader = new PduReader();
    first = await reader.read(pduConfig(), () => sim.clock.now());
    await sim.tick(3_600_000);
    second = await reader.read(pduConfig(), () => sim.clock.now());
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('reads each outlet: its miner as name, on, W, hundredths of A, and Wh since the last reading', () => {
    const pdu = sim.pdus[0]!;
    const fed = Object.entries(pdu.outletMiner).filter(([, id]) => id);
    expect(fed.length).toBeGreaterThan(5);
    for (const [outlet, id] of fed) {
      const o = second.outlets.find((x) => x.outlet === Number(outlet))!;
      const truth = sim.miner(id!);
      expect(o.name).toBe(id);
      expect(o.state).toBe('on');
      // The outlet meters the PSU's draw (94 % efficient), rounded to whole W by the MIB.
      expect(Math.abs(o.powerW! - truth.powerW / 0.94)).toBeLessThanOrEqual(0.5 + truth.powerW * 0.02);
      expect(Math.abs(o.currentA! - o.powerW! / (230 * 0.98))).toBeLessThanOrEqual(0.01);
      // One simulated hour at that power, counted in whole Wh.
      expect(Math.abs(o.energySinceWh! - o.powerW!)).toBeLessThanOrEqual(o.powerW! * 0.03 + 1);
    }
    expect(first.outlets.every((o) => o.energySinceWh === null)).toBe(true);
  });

  it('reads the cord total (W, and tenths of kWh as Wh) and the lines as phases with their rating', () => {
    const outletW = second.outlets.reduce((s, o) => s + (o.powerW ?? 0), 0);
    expect(Math.abs(second.totalPowerW! - outletW)).toBeLessThanOrEqual(second.outlets.length);
    expect(second.totalEnergySinceWh! % 100).toBe(0);
    expect(Math.abs(second.totalEnergySinceWh! - outletW)).toBeLessThanOrEqual(outletW * 0.03 + 100);
    expect(second.phases?.map((p) => p.phase)).toEqual([1, 2, 3]);
    for (const p of second.phases!) {
      const amps = second.outlets
        .filter((o) => ((o.outlet - 1) % 3) + 1 === p.phase)
        .reduce((s, o) => s + (o.currentA ?? 0), 0);
      expect(Math.abs(p.currentA! - amps)).toBeLessThanOrEqual(0.05);
      expect(p.voltageV).toBe(230);
      expect(p.ratedCurrentA).toBe(32);
    }
    expect(second.sensors.map((s) => s.kind).sort()).toEqual(['humidity', 'temperature']);
    expect(second.sensors.find((s) => s.kind === 'humidity')!.value).toBe(35);
  });

  it('switches an outlet off and on with st4OutletControlAction, and the miner on it loses power', async () => {
    const pdu = pduConfig();
    const vendor = VENDORS[pdu.vendor];
    const [outlet, id] = Object.entries(sim.pdus[0]!.outletMiner).find(([, m]) => m)!;
    const session = await openSession(pdu, 'write');
    try {
      await setInteger(session, vendor.control.oid(Number(outlet)), vendor.control.off);
      await sim.tick(0);
      expect(sim.miner(id!).poweredOn).toBe(false);
      const off = await new PduReader().read(pdu, () => sim.clock.now());
      expect(off.outlets.find((o) => o.outlet === Number(outlet))).toMatchObject({ state: 'off', powerW: 0 });
      await setInteger(session, vendor.control.oid(Number(outlet)), vendor.control.on);
      await sim.tick(0);
      expect(sim.miner(id!).poweredOn).toBe(true);
    } finally {
      session.close();
    }
  });

  it('a config naming a vendor this agent does not speak fails at load, naming it and the known ones', () => {
    const load = () =>
      loadAgentConfig({
        agentId: 'a',
        siteId: 's',
        containerId: 'c',
        miners: { ranges: ['10.0.0.1'] },
        spool: { dir: '/nonexistent-never-written' },
        mqtt: { url: 'mqtt://127.0.0.1:1' },
        pdus: [{ id: 'p', vendor: 'eaton-epdu', host: 'h', snmp: { version: '3', user: 'u' } }],
      });
    expect(load).toThrow(/eaton-epdu.*apc-rpdu2, raritan-pdu2, servertech-sentry4/);
  });
});
