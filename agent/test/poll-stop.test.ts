import type { CommandResult } from '@hashfleet/contracts';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../src/agent.js';
import type { AgentConfig } from '../src/config.js';
import { loadState } from '../src/state.js';
import { Consumer, memoryLogger, publishCommand, Signer, simAgentConfig, TestBroker } from './helpers.js';

/**
 * poll.stop / poll.resume end to end (signed command -> MQTT -> agent -> result), against the
 * simulator and an in-process broker: a miner being moved is not polled while it still answers,
 * across a DHCP move and an agent restart, until poll.resume.
 */
let sim: Simulation;
let broker: TestBroker;
let consumer: Consumer;
let agent: RunningAgent;
let config: AgentConfig;
const signer = new Signer();
const log = memoryLogger();

const results = () => consumer.of('results');
async function resultOf(commandId: string): Promise<CommandResult> {
  await consumer.waitFor(() => results().some((r) => r.commandId === commandId), 20_000);
  return results().find((r) => r.commandId === commandId)!;
}
const samples = () => consumer.of('telemetry').flatMap((t) => t.samples);
const keyOf = (id: string) => samples().find((s) => s.ip === sim.info(id).ip)!.minerKey;
/** Everything the agent published about a miner: samples, unreachable entries, events. */
const traces = (key: string) => [
  ...samples().filter((s) => s.minerKey === key),
  ...consumer
    .of('telemetry')
    .flatMap((t) => t.unreachable)
    .filter((u) => u.minerKey === key),
  ...consumer
    .of('events')
    .flatMap((e) => e.events)
    .filter((e) => e.minerKey === key),
];
const start = () =>
  startAgent(config, { schedule: 'manual', now: () => sim.clock.now(), logger: log.logger });
/** One poll cycle 30 s later, published; returns how many miners the cycle took up. */
async function cycle(): Promise<number> {
  await sim.tick(30_000);
  const stats = await agent.pollNow();
  await agent.drained();
  return stats.polled + stats.failed + stats.skipped;
}
const send = async (op: 'poll.stop' | 'poll.resume', minerKey: string) => {
  const cmd = signer.command(
    config.agentId,
    { op, target: { kind: 'miner', minerKey } },
    { now: sim.clock.now() },
  );
  await publishCommand(consumer.client, cmd);
  return { cmd, result: await resultOf(cmd.id) };
};

beforeAll(async () => {
  const scenario = smallScenario({ miners: 3, profiles: ['whatsminer-v3'], pdus: false });
  scenario.containers[0]!.ipBlock = '127.97.0.0/22';
  sim = await startSimulation(scenario, { startMs: Date.UTC(2026, 5, 1) });
  broker = new TestBroker();
  await broker.start();
  consumer = await Consumer.connect(broker.url);
  config = simAgentConfig(sim, broker.url, {
    commands: { publicKey: { base64: signer.publicKeyBase64 }, timeoutMs: 10_000 },
  });
  agent = await start();
  await agent.scanNow();
  expect(await cycle()).toBe(3);
  await consumer.waitFor(() => samples().length === 3);
});

afterAll(async () => {
  await agent?.stop();
  await consumer?.end();
  await broker?.kill();
  await sim?.stop();
});

describe('poll.stop and poll.resume', () => {
  it('takes a miner that still answers out of polling, across a DHCP move and a restart, until poll.resume', async () => {
    const key = keyOf('m0001');
    const stop = await send('poll.stop', key);
    expect(stop.result).toMatchObject({
      status: 'succeeded',
      refusal: null,
      transport: null,
      commandSeq: stop.cmd.seq,
    });
    expect(stop.result.message).toBe(`miner ${key}: polling stopped`);
    // The same signed poll.stop again (still unexpired) is a replay.
    const count = results().length;
    await publishCommand(consumer.client, stop.cmd);
    await consumer.waitFor(() => results().length > count);
    expect(results().at(-1)).toMatchObject({
      commandId: stop.cmd.id,
      status: 'refused',
      refusal: 'replayed',
    });

    const before = traces(key).length;

    // Still answering, yet not taken up by the cycle and nothing published about it.
    expect(sim.miner('m0001').poweredOn).toBe(true);
    expect(await cycle()).toBe(2);
    await consumer.waitFor(() => samples().filter((s) => s.minerKey === keyOf('m0002')).length === 2);
    expect(traces(key)).toHaveLength(before);

    // A DHCP move inside the container's range: the scan finds it at a new address, the one poll
    // that identifies it publishes nothing, and it stays out (same minerKey).
    const oldIp = sim.info('m0001').ip;
    await sim.setFault('m0001', { kind: 'changed-ip' });
    expect((await agent.scanNow()).map((r) => r.ip)).toContain(sim.info('m0001').ip);
    expect(sim.info('m0001').ip).not.toBe(oldIp);
    await cycle();
    expect(await cycle()).toBe(2);
    expect(traces(key)).toHaveLength(before);

    // Restart: the state file keeps it out; the birth message leaves it out.
    await agent.stop();
    expect(loadState(config.spool.dir).state.unmanaged).toEqual([key]);
    const births = consumer.of('birth').length;
    agent = await start();
    await consumer.waitFor(() => consumer.of('birth').length > births);
    const birth = consumer.of('birth').at(-1)!;
    expect(birth.miners.map((m) => m.minerKey).sort()).toEqual([keyOf('m0002'), keyOf('m0003')].sort());
    expect(await cycle()).toBe(2);
    expect(traces(key)).toHaveLength(before);

    // poll.resume: polled again, at its new address, under the same key.
    const resume = await send('poll.resume', key);
    expect(resume.result).toMatchObject({ status: 'succeeded', refusal: null });
    expect(resume.result.message).toBe(`miner ${key}: polling resumed`);
    expect(await cycle()).toBe(3);
    await consumer.waitFor(() => samples().some((s) => s.minerKey === key && s.ip === sim.info('m0001').ip));
    expect(loadState(config.spool.dir).state.unmanaged).toEqual([]);
    expect(consumer.invalid).toEqual([]);
  });

  it('poll.stop for a miner this agent never saw is refused as unknown_target', async () => {
    const { result } = await send('poll.stop', 'SN-NOT-HERE');
    expect(result).toMatchObject({ status: 'refused', refusal: 'unknown_target', transport: null });
  });
});
