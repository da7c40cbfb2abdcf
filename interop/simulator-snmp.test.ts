import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Debian's Net-SNMP tools (snmpget, snmpwalk, snmpset from the `snmp` package) read and switch
 * the simulated PDUs: proves the agent's OIDs, types and v3 authPriv interoperate with a client
 * that is not net-snmp for Node.
 */
const run = promisify(execFile);
const TOOLS = ['/usr/bin/snmpget', '/usr/bin/snmpwalk', '/usr/bin/snmpset'];
const missing = TOOLS.filter((t) => !existsSync(t));
// In CI a missing binary is a failure, never a skip.
const runOrSkip = missing.length > 0 && !process.env.CI ? describe.skip : describe;

const APC_OUTLET_POWER = '.1.3.6.1.4.1.318.1.1.26.9.4.3.1.7';
const APC_OUTLET_STATE = '.1.3.6.1.4.1.318.1.1.26.9.2.3.1.5';
const APC_OUTLET_CONTROL = '.1.3.6.1.4.1.318.1.1.26.9.2.4.1.5';
const RARITAN_OUTLET_VALUE = '.1.3.6.1.4.1.13742.6.5.4.3.1.4';

let sim: Simulation;
const tool = async (bin: string, args: string[]) =>
  (await run(bin, ['-On', '-Oq', '-t', '2', '-r', '1', ...args])).stdout.trim();

runOrSkip('simulated PDUs read by Debian snmpget/snmpwalk', () => {
  beforeAll(async () => {
    if (missing.length) throw new Error(`interop: missing ${missing.join(', ')}`);
    sim = await startSimulation(
      smallScenario({ miners: 30, profiles: ['antminer-stock', 'whatsminer-v2'], seed: 4 }),
    );
  });
  afterAll(() => sim?.stop());

  const apc = () => sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
  const raritan = () => sim.pdus.find((p) => p.vendor === 'raritan-pdu2')!;

  it('snmpwalk v2c lists 24 APC outlet powers, each the wall draw of its miner', async () => {
    const p = apc();
    const out = await tool('/usr/bin/snmpwalk', [
      '-v2c',
      '-c',
      p.community,
      `${p.host}:${p.port}`,
      APC_OUTLET_POWER,
    ]);
    const lines = out.split('\n');
    expect(lines).toHaveLength(24);
    const [oid, value] = lines[0]!.split(' ');
    expect(oid).toBe(`${APC_OUTLET_POWER}.1`);
    expect(Number(value)).toBeCloseTo(sim.miner(p.outletMiner[1]!).powerW / 0.94, -1);
  });

  it('snmpget v3 authPriv SHA/AES reads an outlet state', async () => {
    const p = apc();
    const out = await tool('/usr/bin/snmpget', [
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
      `${p.host}:${p.port}`,
      `${APC_OUTLET_STATE}.1`,
    ]);
    expect(out).toBe(`${APC_OUTLET_STATE}.1 2`);
  });

  it('snmpwalk reads Raritan outlet sensors indexed by pdu, outlet and sensor type', async () => {
    const p = raritan();
    const out = await tool('/usr/bin/snmpwalk', [
      '-v2c',
      '-c',
      p.community,
      `${p.host}:${p.port}`,
      RARITAN_OUTLET_VALUE,
    ]);
    const byOid = new Map(out.split('\n').map((l) => l.split(' ') as [string, string]));
    // 24 outlets x 4 sensor types (current, voltage, activePower(5) W, activeEnergy(8) Wh).
    expect(byOid.size).toBe(96);
    expect(Number(byOid.get(`${RARITAN_OUTLET_VALUE}.1.1.5`))).toBeGreaterThan(1000);
    expect(byOid.has(`${RARITAN_OUTLET_VALUE}.1.1.8`)).toBe(true);
  });

  it('snmpset with the write community turns an APC outlet off and the miner stops answering', async () => {
    const p = apc();
    const id = p.outletMiner[7]!;
    await tool('/usr/bin/snmpset', [
      '-v2c',
      '-c',
      p.writeCommunity,
      `${p.host}:${p.port}`,
      `${APC_OUTLET_CONTROL}.7`,
      'i',
      '2',
    ]);
    expect(sim.miner(id).poweredOn).toBe(false);
    await sim.tick(500);
    const state = await tool('/usr/bin/snmpget', [
      '-v2c',
      '-c',
      p.community,
      `${p.host}:${p.port}`,
      `${APC_OUTLET_STATE}.7`,
    ]);
    expect(state).toBe(`${APC_OUTLET_STATE}.7 1`);
  });
});
