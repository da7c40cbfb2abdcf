import snmp from 'net-snmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulation, smallScenario, startSimulation } from '../src/index.js';
import { json, rpc } from './client.js';

const APC_OUTLET_CONTROL = '1.3.6.1.4.1.318.1.1.26.9.2.4.1.5';

type Session = {
  set(vbs: { oid: string; type: number; value: unknown }[], cb: (err: Error | null) => void): void;
  close(): void;
};

let sim: Simulation;
let session: Session | null = null;

beforeAll(async () => {
  sim = await startSimulation(smallScenario({ miners: 4, profiles: ['avalon'], seed: 5, bootS: 60 }));
});
afterAll(async () => {
  session?.close();
  await sim?.stop();
});

const errorCode = (p: Promise<unknown>) =>
  p.then(
    () => 'answered',
    (e: NodeJS.ErrnoException) => e.code,
  );

describe('a hung miner and its PDU outlet', () => {
  it('a power-cycle through the SNMP outlet clears a hung daemon: it answers again after booting', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    const id = pdu.outletMiner[1]!;
    const ip = sim.info(id).ip;
    await sim.setFault(id, { kind: 'hung' });
    expect(await errorCode(rpc(ip, 4028, json('summary'), 300))).toBe('ETIMEDOUT');

    session = snmp.createSession(pdu.host, pdu.writeCommunity, {
      port: pdu.port,
      version: snmp.Version2c,
      timeout: 2000,
      retries: 0,
    }) as Session;
    // As the agent's outlet.cycle does it: off, wait, on.
    for (const value of [2, 1]) {
      await new Promise<void>((resolve, reject) =>
        session!.set([{ oid: `${APC_OUTLET_CONTROL}.1`, type: snmp.ObjectType.Integer, value }], (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      await sim.tick(10_000);
    }
    expect(sim.miner(id).faults.map((f) => f.kind)).not.toContain('hung');
    await sim.tick(61_000);
    expect((await rpc(ip, 4028, json('summary'), 2000)).toString()).toContain('"SUMMARY"');
  });

  it('a hung miner stays hung while it keeps power (the fault is not cleared by waiting)', async () => {
    const pdu = sim.pdus.find((p) => p.vendor === 'apc-rpdu2')!;
    const id = pdu.outletMiner[2]!;
    await sim.setFault(id, { kind: 'hung' });
    await sim.tick(600_000);
    expect(await errorCode(rpc(sim.info(id).ip, 4028, json('summary'), 300))).toBe('ETIMEDOUT');
    expect(sim.miner(id).faults.map((f) => f.kind)).toContain('hung');
  });
});
