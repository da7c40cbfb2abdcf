import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandResult } from '@hashfleet/contracts';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../src/agent.js';
import type { AgentConfig } from '../src/config.js';
import {
  Consumer,
  memoryLogger,
  publishCommand,
  Signer,
  simAgentConfig,
  startMinerSsh,
  TestBroker,
} from './helpers.js';

/**
 * Signed commands end to end (controller key -> MQTT -> agent -> miner or PDU -> result), and the
 * identity events of a DHCP move and a control-board swap, against the simulator, an in-process
 * broker, ssh2 servers standing in for the miners' SSH daemons and the simulator's SNMP PDU.
 */
const SSH_PORT = 22_022;
let sim: Simulation;
let broker: TestBroker;
let consumer: Consumer;
let agent: RunningAgent;
let config: AgentConfig;
const signer = new Signer();
const ssh: Awaited<ReturnType<typeof startMinerSsh>>[] = [];
const log = memoryLogger();

const results = () => consumer.of('results');
async function resultOf(commandId: string): Promise<CommandResult> {
  await consumer.waitFor(() => results().some((r) => r.commandId === commandId), 20_000);
  return results().find((r) => r.commandId === commandId)!;
}
const keyOf = (id: string) =>
  consumer
    .of('telemetry')
    .flatMap((t) => t.samples)
    .find((s) => s.ip === sim.info(id).ip)!.minerKey;

beforeAll(async () => {
  const scenario = smallScenario({
    miners: 9,
    profiles: ['antminer-stock', 'whatsminer-v2', 'whatsminer-v3'],
    pduPort: 22161,
  });
  scenario.containers[0]!.ipBlock = '127.99.0.0/22';
  sim = await startSimulation(scenario, { startMs: Date.UTC(2026, 5, 1) });
  broker = new TestBroker();
  await broker.start();
  consumer = await Consumer.connect(broker.url);

  // m0001's SSH daemon is in known_hosts; m0004's is not (a box that took over its address).
  const reboot = (id: string) => async (command: string) => {
    if (command !== 'reboot') return 127;
    await sim.power(id, false);
    await sim.power(id, true);
    return 'drop' as const;
  };
  ssh.push(await startMinerSsh(sim.info('m0001').ip, SSH_PORT, 'miner-ssh-pw', reboot('m0001')));
  ssh.push(await startMinerSsh(sim.info('m0004').ip, SSH_PORT, 'miner-ssh-pw', reboot('m0004')));
  const base = simAgentConfig(sim, broker.url);
  const knownHosts = join(base.spool.dir, 'known_hosts');
  writeFileSync(knownHosts, `${ssh[0]!.knownHostsLine}\n`);
  process.env['TEST_SSH_PASSWORD'] = 'miner-ssh-pw';
  process.env['TEST_RPC_PASSWORD'] = 'admin'; // the simulated Whatsminer v2 keeps its default
  config = simAgentConfig(sim, broker.url, {
    credentials: {
      ssh: { user: 'root', password: { env: 'TEST_SSH_PASSWORD' } },
      rpc: { password: { env: 'TEST_RPC_PASSWORD' } },
      knownHostsFile: knownHosts,
    },
    commands: { publicKey: { base64: signer.publicKeyBase64 }, timeoutMs: 10_000 },
  });
  config.miners.ports.ssh = SSH_PORT;
  agent = await startAgent(config, { schedule: 'manual', now: () => sim.clock.now(), logger: log.logger });
  await agent.scanNow();
  await sim.tick(30_000);
  await agent.pollNow();
  await agent.drained();
  await consumer.waitFor(() => consumer.of('telemetry').flatMap((t) => t.samples).length === 9);
});

afterAll(async () => {
  await agent?.stop();
  for (const s of ssh) await s.close();
  await consumer?.end();
  await broker?.kill();
  await sim?.stop();
});

describe('signed commands', () => {
  it('a reboot over SSH (host key known) reboots the simulated miner and reports success', async () => {
    const before = sim.miner('m0001').uptimeS;
    expect(before).toBeGreaterThan(60);
    const cmd = signer.command(
      config.agentId,
      { op: 'reboot', target: { kind: 'miner', minerKey: keyOf('m0001') } },
      { now: sim.clock.now() },
    );
    await publishCommand(consumer.client, cmd);
    const r = await resultOf(cmd.id);
    expect(r).toMatchObject({ status: 'succeeded', transport: 'ssh', refusal: null, commandSeq: cmd.seq });
    expect(ssh[0]!.commands).toEqual(['reboot']);
    expect(sim.miner('m0001').uptimeS).toBe(0);
  });

  it('SSH to a host whose key is not in known_hosts fails before any command runs', async () => {
    const cmd = signer.command(
      config.agentId,
      { op: 'reboot', target: { kind: 'miner', minerKey: keyOf('m0004') } },
      { now: sim.clock.now() },
    );
    await publishCommand(consumer.client, cmd);
    const r = await resultOf(cmd.id);
    expect(r.status).toBe('failed');
    expect(r.message).toContain(
      `miner ${sim.info('m0004').ip}: reboot over ssh: ssh: host key of ${sim.info('m0004').ip} not trusted`,
    );
    expect(ssh[1]!.commands).toEqual([]);
    expect(sim.miner('m0004').uptimeS).toBeGreaterThan(60);
  });

  it('LED on a Whatsminer v2 goes through the get_token + AES envelope and lights the LED', async () => {
    expect(sim.miner('m0002').led).toBe(false);
    const cmd = signer.command(
      config.agentId,
      { op: 'led', target: { kind: 'miner', minerKey: keyOf('m0002') }, on: true },
      { now: sim.clock.now() },
    );
    await publishCommand(consumer.client, cmd);
    const r = await resultOf(cmd.id);
    expect(r, r.message).toMatchObject({ status: 'succeeded', transport: 'rpc' });
    expect(sim.miner('m0002').led).toBe(true);
  });

  it('an outlet power-cycle over SNMP cuts the miner off, powers it back and reports success', async () => {
    const info = sim.info('m0007');
    const cmd = signer.command(
      config.agentId,
      {
        op: 'outlet.cycle',
        target: { kind: 'outlet', pduId: info.pduId!, outlet: info.outlet! },
        offSeconds: 1,
      },
      { now: sim.clock.now() },
    );
    await publishCommand(consumer.client, cmd);
    let sawOff = false;
    while (!results().some((r) => r.commandId === cmd.id)) {
      if (!sim.miner('m0007').poweredOn) sawOff = true;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sawOff).toBe(true);
    expect(sim.miner('m0007').poweredOn).toBe(true);
    expect(await resultOf(cmd.id)).toMatchObject({ status: 'succeeded', transport: 'snmp' });
  });

  it('a replayed command and an expired one are refused and reported', async () => {
    const cmd = signer.command(
      config.agentId,
      { op: 'outlet.on', target: { kind: 'outlet', pduId: 'pdu-1', outlet: 9 } },
      { now: sim.clock.now() },
    );
    await publishCommand(consumer.client, cmd);
    expect((await resultOf(cmd.id)).status).toBe('succeeded');
    const replayCount = results().length;
    await publishCommand(consumer.client, cmd);
    await consumer.waitFor(() => results().length > replayCount);
    expect(results().at(-1)).toMatchObject({ commandId: cmd.id, status: 'refused', refusal: 'replayed' });

    const expired = signer.command(
      config.agentId,
      { op: 'outlet.on', target: { kind: 'outlet', pduId: 'pdu-1', outlet: 9 } },
      { now: sim.clock.now() - 120_000, ttlMs: 60_000 },
    );
    await publishCommand(consumer.client, expired);
    expect(await resultOf(expired.id)).toMatchObject({
      status: 'refused',
      refusal: 'expired',
      transport: null,
    });

    const forged = {
      ...signer.command(
        config.agentId,
        { op: 'outlet.off', target: { kind: 'outlet', pduId: 'pdu-1', outlet: 9 } },
        { now: sim.clock.now() },
      ),
      seq: 10_000,
    };
    await publishCommand(consumer.client, forged);
    expect(await resultOf(forged.id)).toMatchObject({ status: 'refused', refusal: 'bad_signature' });

    const unknown = signer.command(
      config.agentId,
      { op: 'reboot', target: { kind: 'miner', minerKey: 'SN-NOT-HERE' } },
      { now: sim.clock.now() },
    );
    await publishCommand(consumer.client, unknown);
    expect(await resultOf(unknown.id)).toMatchObject({ status: 'refused', refusal: 'unknown_target' });
    expect(consumer.invalid).toEqual([]);
  });
});

describe('identity events', () => {
  it('a DHCP move is identity_changed(ip) on the same minerKey, not a new miner', async () => {
    const key = keyOf('m0003');
    const oldIp = sim.info('m0003').ip;
    await sim.setFault('m0003', { kind: 'changed-ip' });
    const newIp = sim.info('m0003').ip;
    expect(newIp).not.toBe(oldIp);
    await sim.tick(30_000);
    await agent.pollNow(); // the old address stops answering
    await agent.scanNow(); // the miner is found at its new address
    await sim.tick(30_000);
    await agent.pollNow();
    await agent.drained();
    const events = () => consumer.of('events').flatMap((e) => e.events);
    await consumer.waitFor(() =>
      events().some((e) => e.type === 'miner.identity_changed' && e.kind === 'ip'),
    );
    const changed = events().filter((e) => e.type === 'miner.identity_changed' && e.minerKey === key);
    expect(changed).toEqual([expect.objectContaining({ kind: 'ip', previous: oldIp, current: newIp })]);
    expect(events().filter((e) => e.type === 'miner.appeared' && e.ip === newIp)).toEqual([]);
    const latest = consumer
      .of('telemetry')
      .flatMap((t) => t.samples)
      .filter((s) => s.minerKey === key)
      .at(-1)!;
    expect(latest.ip).toBe(newIp);
  });

  it('a control-board swap (new MAC) is identity_changed(mac) on the same minerKey', async () => {
    const v2Key = keyOf('m0005');
    const v3Key = keyOf('m0006');
    const macs = { m0005: sim.info('m0005').mac, m0006: sim.info('m0006').mac };
    await sim.setFault('m0005', { kind: 'swapped-control-board' });
    await sim.setFault('m0006', { kind: 'swapped-control-board' });
    await sim.tick(61_000 + 30_000); // past the reboot the swap causes
    await agent.pollNow();
    await agent.drained();
    const events = () => consumer.of('events').flatMap((e) => e.events);
    await consumer.waitFor(
      () => events().filter((e) => e.type === 'miner.identity_changed' && e.kind === 'mac').length === 2,
    );
    for (const [id, key] of [
      ['m0005', v2Key],
      ['m0006', v3Key],
    ] as const) {
      const e = events().find(
        (x) => x.type === 'miner.identity_changed' && x.kind === 'mac' && x.minerKey === key,
      );
      expect(e, id).toMatchObject({
        previous: macs[id].toLowerCase(),
        current: sim.info(id).mac.toLowerCase(),
      });
    }
    expect(agent.metrics().identities).toBe(9);
  });
});
