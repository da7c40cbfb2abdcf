import snmp from 'net-snmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { phaseOfOutlet, type Simulation, smallScenario, startSimulation } from '../src/index.js';
import { json, rpc } from './client.js';

/** Reads the simulated PDUs with net-snmp's client, as the agent will: v2c and v3 authPriv. */
type Varbind = { oid: string; value: unknown; type: number };
type Session = {
  get(oids: string[], cb: (err: Error | null, vbs: Varbind[]) => void): void;
  set(
    vbs: { oid: string; type: number; value: unknown }[],
    cb: (err: Error | null, vbs: Varbind[]) => void,
  ): void;
  subtree(oid: string, feed: (vbs: Varbind[]) => void, done: (err: Error | null) => void): void;
  close(): void;
};

const APC_OUTLET_POWER = '1.3.6.1.4.1.318.1.1.26.9.4.3.1.7';
const APC_OUTLET_ENERGY = '1.3.6.1.4.1.318.1.1.26.9.4.3.1.11';
const APC_OUTLET_STATE = '1.3.6.1.4.1.318.1.1.26.9.2.3.1.5';
const APC_OUTLET_CONTROL = '1.3.6.1.4.1.318.1.1.26.9.2.4.1.5';
const APC_TEMP = '1.3.6.1.4.1.318.1.1.26.10.2.2.1.8';
const RARITAN_OUTLET_VALUE = '1.3.6.1.4.1.13742.6.5.4.3.1.4';
const RARITAN_SWITCH = '1.3.6.1.4.1.13742.6.4.1.2.1.2';
const APC_OUTLET_CURRENT = '1.3.6.1.4.1.318.1.1.26.9.4.3.1.6';
const APC_PHASE_STATUS = '1.3.6.1.4.1.318.1.1.26.6.3.1';
const APC_PHASE_OVERLOAD_A = '1.3.6.1.4.1.318.1.1.26.6.1.1.7';
const RARITAN_POLE_VALUE = '1.3.6.1.4.1.13742.6.5.2.4.1.4';
const RARITAN_INLET_RATED = '1.3.6.1.4.1.13742.6.3.3.3.1.7.1.1';

/** Outlet -> value from a walked column whose last index arc is the outlet (or the sensor type after it). */
const byIndex = (rows: Varbind[], prefix: string) =>
  new Map(rows.map((v) => [v.oid.slice(prefix.length + 1), Number(v.value)]));

let sim: Simulation;
const sessions: Session[] = [];

const v2 = (host: string, port: number, community = 'public'): Session => {
  const s = snmp.createSession(host, community, {
    port,
    version: snmp.Version2c,
    timeout: 2000,
    retries: 0,
  }) as Session;
  sessions.push(s);
  return s;
};
const get = (s: Session, oids: string[]) =>
  new Promise<Varbind[]>((resolve, reject) => s.get(oids, (err, vbs) => (err ? reject(err) : resolve(vbs))));
const set = (s: Session, oid: string, value: number) =>
  new Promise<Varbind[]>((resolve, reject) =>
    s.set([{ oid, type: snmp.ObjectType.Integer, value }], (err, vbs) => (err ? reject(err) : resolve(vbs))),
  );
const walk = (s: Session, oid: string) =>
  new Promise<Varbind[]>((resolve, reject) => {
    const all: Varbind[] = [];
    s.subtree(
      oid,
      (vbs) => {
        all.push(...vbs);
      },
      (err) => (err ? reject(err) : resolve(all)),
    );
  });

beforeAll(async () => {
  // 30 miners: outlets 1..24 of an APC rPDU2, 1..6 of a Raritan PDU2.
  sim = await startSimulation(
    smallScenario({ miners: 30, profiles: ['antminer-stock', 'whatsminer-v2'], seed: 9, bootS: 60 }),
  );
});
afterAll(async () => {
  for (const s of sessions) s.close();
  await sim?.stop();
});

describe('simulated PDUs over SNMP (net-snmp client)', () => {
  it('APC rPDU2: per-outlet power follows the miner, temperature in tenths of C (v2c)', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    const s = v2(pdu.host, pdu.port);
    const [power, state, temp] = await get(s, [
      `${APC_OUTLET_POWER}.1`,
      `${APC_OUTLET_STATE}.1`,
      `${APC_TEMP}.1`,
    ]);
    const miner = sim.miner(pdu.outletMiner[1]!);
    // The outlet meters the wall side: the miner's DC power over a 94 % PSU.
    expect(Number(power!.value)).toBeCloseTo(miner.powerW / 0.94, -1);
    expect(state!.value).toBe(2);
    expect(Number(temp!.value)).toBeGreaterThan(150);
    const rows = await walk(s, APC_OUTLET_POWER);
    expect(rows).toHaveLength(24);
  });

  it('v3 authPriv SHA/AES reads the same objects; a wrong key gets nothing', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    const user = {
      name: pdu.v3.user,
      level: snmp.SecurityLevel.authPriv,
      authProtocol: snmp.AuthProtocols.sha,
      authKey: pdu.v3.authKey,
      privProtocol: snmp.PrivProtocols.aes,
      privKey: pdu.v3.privKey,
    };
    const s = snmp.createV3Session(pdu.host, user, {
      port: pdu.port,
      version: snmp.Version3,
      timeout: 2000,
      retries: 0,
    }) as Session;
    sessions.push(s);
    const [state] = await get(s, [`${APC_OUTLET_STATE}.2`]);
    expect(state!.value).toBe(2);
    const bad = snmp.createV3Session(
      pdu.host,
      { ...user, authKey: 'wrong-key-123' },
      { port: pdu.port, version: snmp.Version3, timeout: 800, retries: 0 },
    ) as Session;
    sessions.push(bad);
    await expect(get(bad, [`${APC_OUTLET_STATE}.2`])).rejects.toBeTruthy();
  });

  it('energy counters integrate power over time, and the APC counter wraps at 2^31 tenths of kWh', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    const s = v2(pdu.host, pdu.port);
    const [e0] = await get(s, [`${APC_OUTLET_ENERGY}.3`]);
    await sim.tick(3_600_000);
    const [e1] = await get(s, [`${APC_OUTLET_ENERGY}.3`]);
    const kwh = (Number(e1!.value) - Number(e0!.value)) / 10;
    expect(kwh).toBeGreaterThan(2.5);
    expect(kwh).toBeLessThan(4);
    sim.setPduEnergy(pdu.id, 3, (2 ** 31 - 5) * 100);
    await sim.tick(3_600_000);
    const [e2] = await get(s, [`${APC_OUTLET_ENERGY}.3`]);
    expect(Number(e2!.value)).toBeLessThan(100);
  });

  it('a read-only community cannot switch an outlet', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    await expect(set(v2(pdu.host, pdu.port, 'public'), `${APC_OUTLET_CONTROL}.4`, 2)).rejects.toBeTruthy();
    expect(sim.miner(pdu.outletMiner[4]!).poweredOn).toBe(true);
  });

  it('APC immediateReboot really power-cycles the miner: API refused, then back with counters reset', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    const id = pdu.outletMiner[5]!;
    const ip = sim.info(id).ip;
    const before = sim.miner(id);
    await set(v2(pdu.host, pdu.port, pdu.writeCommunity), `${APC_OUTLET_CONTROL}.5`, 3);
    await sim.tick(0);
    expect(sim.miner(id).poweredOn).toBe(false);
    await expect(rpc(ip, 4028, json('summary'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await sim.tick(5_000 + 61_000);
    const after = sim.miner(id);
    expect(after.poweredOn).toBe(true);
    expect(after.accepted).toBeLessThan(before.accepted);
    const reply = await rpc(ip, 4028, json('summary'));
    expect(reply.toString()).toContain('"SUMMARY"');
  });

  it('APC rPDU2: each phase carries the current of its outlets (L1, L2, L3 alternate), with its overload threshold and load state', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    const s = v2(pdu.host, pdu.port);
    await sim.tick(0);
    const outletTenthsA = byIndex(await walk(s, APC_OUTLET_CURRENT), APC_OUTLET_CURRENT);
    const status = byIndex(await walk(s, APC_PHASE_STATUS), APC_PHASE_STATUS);
    const overload = byIndex(await walk(s, APC_PHASE_OVERLOAD_A), APC_PHASE_OVERLOAD_A);
    expect([...overload.keys()]).toEqual(['1', '2', '3']);
    for (const phase of [1, 2, 3]) {
      const outlets = [...outletTenthsA].filter(([o]) => phaseOfOutlet(Number(o), 3) === phase);
      expect(outlets).toHaveLength(8);
      const sumA = outlets.reduce((t, [, v]) => t + v / 10, 0);
      const phaseA = status.get(`5.${phase}`)! / 10;
      // Each outlet and the phase are rounded to tenths of A on their own: 8 roundings of 0.05 A at most.
      expect(Math.abs(phaseA - sumA)).toBeLessThanOrEqual(0.45);
      expect(phaseA).toBeGreaterThan(10);
      expect(status.get(`6.${phase}`)).toBe(230);
      expect(overload.get(String(phase))).toBe(125);
      // lowLoad(1), normal(2), nearOverload(3), overload(4) against the 125 A threshold.
      expect(status.get(`4.${phase}`)).toBe(phaseA >= 125 ? 4 : phaseA >= 100 ? 3 : 2);
    }
  });

  it('Raritan PDU2: inlet poles report current (mA), voltage and power per line; switching an outlet off drops only its line', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'raritan-pdu2')!;
    const s = v2(pdu.host, pdu.port, pdu.writeCommunity);
    const [rated] = await get(s, [RARITAN_INLET_RATED]);
    expect(String(rated!.value)).toBe('125A');
    const poles = async () => {
      await sim.tick(0);
      return byIndex(await walk(s, RARITAN_POLE_VALUE), RARITAN_POLE_VALUE);
    };
    const before = await poles();
    const outletMa = byIndex(
      (await walk(s, RARITAN_OUTLET_VALUE)).filter((v) => v.oid.endsWith('.1')),
      RARITAN_OUTLET_VALUE,
    );
    for (const phase of [1, 2, 3]) {
      const sumMa = [...outletMa]
        .filter(([i]) => phaseOfOutlet(Number(i.split('.')[1]), 3) === phase)
        .reduce((t, [, v]) => t + v, 0);
      // Pole and outlets are each rounded to whole mA.
      expect(Math.abs(before.get(`1.1.${phase}.1`)! - sumMa)).toBeLessThanOrEqual(3);
      expect(before.get(`1.1.${phase}.4`)).toBe(230);
      expect(before.get(`1.1.${phase}.5`)).toBeGreaterThan(1000);
    }
    // Outlet 5 is on L2 ((5 - 1) mod 3 + 1).
    const outlet5Ma = outletMa.get('1.5.1')!;
    await set(s, `${RARITAN_SWITCH}.1.5`, 0);
    const after = await poles();
    expect(before.get('1.1.2.1')! - after.get('1.1.2.1')!).toBeCloseTo(outlet5Ma, -1);
    expect(after.get('1.1.1.1')).toBe(before.get('1.1.1.1'));
    expect(after.get('1.1.3.1')).toBe(before.get('1.1.3.1'));
    await set(s, `${RARITAN_SWITCH}.1.5`, 1);
  });

  it('Raritan PDU2: outlet sensors by (pdu, outlet, type), switchingOperation off(0) cuts the miner', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'raritan-pdu2')!;
    const s = v2(pdu.host, pdu.port, pdu.writeCommunity);
    const id = pdu.outletMiner[2]!;
    const [power] = await get(s, [`${RARITAN_OUTLET_VALUE}.1.2.5`]);
    expect(Number(power!.value)).toBeCloseTo(sim.miner(id).powerW / 0.94, -1);
    await set(s, `${RARITAN_SWITCH}.1.2`, 0);
    expect(sim.miner(id).poweredOn).toBe(false);
    await sim.tick(1000);
    const [off] = await get(s, [`${RARITAN_OUTLET_VALUE}.1.2.5`]);
    expect(Number(off!.value)).toBe(0);
    await set(s, `${RARITAN_SWITCH}.1.2`, 1);
    expect(sim.miner(id).poweredOn).toBe(true);
    // Switched back on, it boots with its listeners closed and opens them once booted.
    await expect(rpc(sim.info(id).ip, 4028, json('summary'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await sim.tick(61_000);
    expect((await rpc(sim.info(id).ip, 4028, json('summary'))).toString()).toContain('"SUMMARY"');
  });
});
