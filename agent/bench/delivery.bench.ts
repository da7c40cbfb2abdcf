/**
 * What end-to-end acks cost the agent's publishing: N telemetry-sized messages spooled (fsync) and
 * drained through an in-process aedes broker to a subscriber, once with `delivery: brokerAck`
 * (the baseline: deleted at PUBACK) and once with `controllerAck` (deleted when the subscriber's
 * ack arrives, as the controller sends them, here batched every 100 ms). Prints messages/s of each
 * and the ratio; same process, same broker, interleaved runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleTelemetry, PROTOCOL_VERSION, seqRanges, topics } from '@hashfleet/contracts';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import pino from 'pino';
import { loadAgentConfig } from '../src/config.js';
import { AgentMetrics } from '../src/metrics.js';
import { Envelopes } from '../src/publish/envelope.js';
import { Publisher } from '../src/publish/publisher.js';
import { Spool } from '../src/publish/spool.js';

const N = 3000;
const RUNS = 2;
const AGENT = 'bench-c1';

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;

// The controller's side: receives, and acks per boot every 100 ms.
const consumer = await mqtt.connectAsync(url, { clientId: 'bench-consumer' });
const pending = new Map<string, number[]>();
consumer.on('message', (_topic, payload) => {
  const m = JSON.parse(payload.toString()) as { bootId: string; seq: number };
  pending.set(m.bootId, [...(pending.get(m.bootId) ?? []), m.seq]);
});
await consumer.subscribeAsync(topics.telemetry(AGENT), { qos: 1 });
const acker = setInterval(() => {
  for (const [bootId, seqs] of pending) {
    pending.delete(bootId);
    const acks = {
      v: PROTOCOL_VERSION,
      kind: 'acks',
      agentId: AGENT,
      sentAt: Date.now(),
      boots: [{ bootId, ranges: seqRanges(seqs) }],
    };
    consumer.publish(topics.acks(AGENT), JSON.stringify(acks), { qos: 1 });
  }
}, 100);

const { v: _v, agentId: _a, bootId: _b, seq: _s, sentAt: _t, historical: _h, ...body } = exampleTelemetry;

async function run(delivery: 'brokerAck' | 'controllerAck'): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-delivery-'));
  const config = loadAgentConfig({
    agentId: AGENT,
    siteId: 'bench',
    containerId: 'bench',
    miners: { ranges: ['10.0.0.1'] },
    spool: { dir },
    mqtt: { url, delivery },
  });
  const metrics = new AgentMetrics();
  const spool = new Spool(dir, config.spool, () => {});
  const publisher = new Publisher({
    config,
    spool,
    envelopes: new Envelopes(AGENT, Date.now),
    logger: pino({ level: 'error' }),
    metrics,
    now: Date.now,
    birth: () => ({ kind: 'birth' }),
    onCommand: () => {},
  });
  publisher.start();
  while (!publisher.connected) await new Promise((r) => setTimeout(r, 5));
  const start = performance.now();
  for (let i = 0; i < N; i++) publisher.send('telemetry', body);
  while (spool.messages > 0) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - start) / 1000;
  await publisher.stop();
  rmSync(dir, { recursive: true, force: true });
  return N / seconds;
}

const rates: Record<string, number[]> = { brokerAck: [], controllerAck: [] };
for (let i = 0; i < RUNS; i++)
  for (const d of ['brokerAck', 'controllerAck'] as const) rates[d]!.push(await run(d));
const best = (d: string) => Math.max(...rates[d]!);
console.log(`delivery: ${N} telemetry messages spooled (fsync) and drained, best of ${RUNS}`);
console.log(`  baseline brokerAck (deleted at PUBACK): ${best('brokerAck').toFixed(0)} msg/s`);
console.log(`  controllerAck (deleted on the end-to-end ack): ${best('controllerAck').toFixed(0)} msg/s`);
console.log(`  ratio controllerAck / brokerAck: ${(best('controllerAck') / best('brokerAck')).toFixed(2)}`);
clearInterval(acker);
await consumer.endAsync();
server.close();
broker.close();
