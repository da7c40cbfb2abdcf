import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { PduSample } from '@hashfleet/contracts';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../agent/src/agent.js';
import { apc, raritan } from '../agent/src/pdu/vendors.js';
import {
  Consumer,
  memoryLogger,
  publishCommand,
  Signer,
  simAgentConfig,
  TestBroker,
} from '../agent/test/helpers.js';

/**
 * The agent's SNMP against Debian's Net-SNMP tools on the simulated PDUs: what the agent publishes
 * (v3 authPriv on the APC, v2c on the Raritan) equals what `snmpget` reads, and an outlet switched
 * by a signed command over SNMPv3 reads back switched in `snmpget`.
 */
const SNMPGET = '/usr/bin/snmpget';
const available = existsSync(SNMPGET);
const runOrSkip = !available && !process.env['CI'] ? describe.skip : describe;

runOrSkip('agent SNMP cross-checked with Net-SNMP tools', () => {
  let sim: Simulation;
  let broker: TestBroker;
  let consumer: Consumer;
  let agent: RunningAgent;
  const signer = new Signer();

  const v3 = () => {
    const p = sim.pdus.find((x) => x.vendor === 'apc-rpdu2')!;
    return [
      '-v3',
      '-l',
      'authPriv',
      '-u',
      p.v3.user,
      '-a',
      'SHA',
      '-A',
      p.v3.authKey,
      '-x',
      'AES',
      '-X',
      p.v3.privKey,
    ];
  };
  // Async: the simulated PDU answers from this process's event loop.
  const get = async (args: string[], host: string, port: number, oid: string) =>
    (await promisify(execFile)(SNMPGET, [...args, '-Oqv', '-t', '3', `${host}:${port}`, oid])).stdout.trim();

  beforeAll(async () => {
    if (!available) throw new Error(`${SNMPGET} missing (apt-get install snmp)`);
    sim = await startSimulation(smallScenario({ miners: 30, profiles: ['antminer-stock'] }));
    broker = new TestBroker();
    await broker.start();
    consumer = await Consumer.connect(broker.url);
    const apcPdu = sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    process.env['TEST_V3_AUTH'] = apcPdu.v3.authKey;
    process.env['TEST_V3_PRIV'] = apcPdu.v3.privKey;
    const config = simAgentConfig(sim, broker.url, {
      commands: { publicKey: { base64: signer.publicKeyBase64 } },
    });
    const apcConfig = config.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    const v3Config = simAgentConfig(sim, broker.url, {
      pdus: [
        {
          id: apcConfig.id,
          vendor: 'apc-rpdu2',
          host: apcConfig.host,
          port: apcConfig.port,
          snmp: {
            version: '3',
            user: apcPdu.v3.user,
            level: 'authPriv',
            authProtocol: 'sha',
            authKey: { env: 'TEST_V3_AUTH' },
            privProtocol: 'aes',
            privKey: { env: 'TEST_V3_PRIV' },
          },
        },
      ],
    }).pdus[0]!;
    config.pdus = config.pdus.map((p) => (p.vendor === 'apc-rpdu2' ? v3Config : p));
    config.miners.ranges = [];
    agent = await startAgent(config, {
      schedule: 'manual',
      now: () => sim.clock.now(),
      logger: memoryLogger().logger,
    });
    await sim.tick(30_000);
    await agent.pollNow();
    await agent.drained();
    await consumer.waitFor(() => consumer.of('power').length === 1);
  });

  afterAll(async () => {
    await agent?.stop();
    await consumer?.end();
    await broker?.kill();
    await sim?.stop();
  });

  const sample = (vendor: string): PduSample =>
    consumer.of('power')[0]!.pdus.find((p) => p.vendor === vendor)!;

  it('APC over SNMPv3 authPriv: outlet power, current, energy and state equal snmpget', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    const s = sample('apc-rpdu2');
    expect(s.outlets).toHaveLength(pdu.outlets);
    for (const outlet of [1, 2, 3]) {
      const o = s.outlets.find((x) => x.outlet === outlet)!;
      expect(o.powerW).toBe(Number(await get(v3(), pdu.host, pdu.port, `${apc.outletPowerW}.${outlet}`)));
      expect(o.currentA).toBe(
        Number(await get(v3(), pdu.host, pdu.port, `${apc.outletCurrentTenthA}.${outlet}`)) / 10,
      );
      expect(o.energyWh).toBe(
        Number(await get(v3(), pdu.host, pdu.port, `${apc.outletEnergyTenthKwh}.${outlet}`)) * 100,
      );
      expect(o.state).toBe(
        (await get(v3(), pdu.host, pdu.port, `${apc.outletState}.${outlet}`)) === '2' ? 'on' : 'off',
      );
    }
    expect(s.totalPowerW).toBe(
      Number(await get(v3(), pdu.host, pdu.port, `${apc.devicePowerHundredthKw}.1`)) * 10,
    );
  });

  it('Raritan over v2c: outlet active power equals snmpget scaled by its decimal digits', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'raritan-pdu2')!;
    const s = sample('raritan-pdu2');
    const v2c = ['-v2c', '-c', pdu.community];
    for (const outlet of [1, 2]) {
      const raw = Number(await get(v2c, pdu.host, pdu.port, `${raritan.outletValue}.1.${outlet}.5`));
      const digits = Number(await get(v2c, pdu.host, pdu.port, `${raritan.outletDigits}.1.${outlet}.5`));
      expect(s.outlets.find((o) => o.outlet === outlet)!.powerW).toBe(raw / 10 ** digits);
    }
  });

  it('phases: APC phase current, voltage and overload threshold (v3) and Raritan inlet pole current (v2c) equal snmpget', async () => {
    const apcPdu = sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    const a = sample('apc-rpdu2');
    expect(a.phases).toHaveLength(3);
    for (const p of a.phases!) {
      const at = (oid: string) => get(v3(), apcPdu.host, apcPdu.port, `${oid}.${p.phase}`);
      expect(p.currentA).toBe(Number(await at(apc.phaseCurrentTenthA)) / 10);
      expect(p.voltageV).toBe(Number(await at(apc.phaseVoltageV)));
      expect(p.ratedCurrentA).toBe(Number(await at(apc.phaseOverloadA)));
    }
    const rar = sim.pdus.find((p) => p.vendor === 'raritan-pdu2')!;
    const r = sample('raritan-pdu2');
    const v2c = ['-v2c', '-c', rar.community];
    const digits = Number(await get(v2c, rar.host, rar.port, `${raritan.inletDigits}.1.1.1`));
    expect(r.phases).toHaveLength(3);
    for (const p of r.phases!) {
      const raw = Number(await get(v2c, rar.host, rar.port, `${raritan.inletPoleValue}.1.1.${p.phase}.1`));
      expect(p.currentA).toBe(raw / 10 ** digits);
    }
  });

  it('outlet.off then outlet.on over SNMPv3 read back switched in snmpget', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    const state = () => get(v3(), pdu.host, pdu.port, `${apc.outletState}.5`);
    expect(await state()).toBe('2');
    for (const [op, expected] of [
      ['outlet.off', '1'],
      ['outlet.on', '2'],
    ] as const) {
      const cmd = signer.command(
        'lab-c1',
        { op, target: { kind: 'outlet', pduId: pdu.id, outlet: 5 } },
        { now: sim.clock.now() },
      );
      await publishCommand(consumer.client, cmd);
      await consumer.waitFor(() => consumer.of('results').some((r) => r.commandId === cmd.id));
      expect(consumer.of('results').find((r) => r.commandId === cmd.id)).toMatchObject({
        status: 'succeeded',
        transport: 'snmp',
      });
      await sim.tick(0);
      expect(await state()).toBe(expected);
    }
    expect(sim.miner(pdu.outletMiner[5]!).poweredOn).toBe(true);
  });
});
