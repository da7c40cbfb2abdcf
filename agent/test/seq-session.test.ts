import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATA_SEQ_KINDS, type Envelope, SESSION_SEQ_FROM } from '@hashfleet/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../src/config.js';
import { AgentMetrics } from '../src/metrics.js';
import { Envelopes } from '../src/publish/envelope.js';
import { Publisher } from '../src/publish/publisher.js';
import { Spool } from '../src/publish/spool.js';
import { Consumer, memoryLogger, TestBroker } from './helpers.js';

/**
 * The agent's MQTT session over a real broker (aedes on loopback), with reconnects: the broker is
 * killed (the agent retries, preparing a will per attempt), comes back, and the agent's connection
 * is dropped once more so the broker fires its will. It proves the data messages still carry
 * consecutive seqs from 0 (so a gap means a loss), and that birth, status and the will that did
 * fire number on their own counter from SESSION_SEQ_FROM (contracts messages.ts).
 */
const AGENT = 'seq-c1';
const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
});

const until = async (ok: () => boolean) => {
  while (!ok()) await new Promise((r) => setTimeout(r, 10));
};

describe('data seq and session seq', () => {
  it('reconnects and a fired will leave the data seqs consecutive', async () => {
    const broker = new TestBroker();
    await broker.start();
    running.push(() => broker.kill());
    const first = await Consumer.connect(broker.url);
    const dir = mkdtempSync(join(tmpdir(), 'agent-seq-'));
    const config = loadAgentConfig({
      agentId: AGENT,
      siteId: 'sichuan',
      containerId: AGENT,
      miners: { ranges: ['10.0.4.17'] },
      spool: { dir, fsync: 'never' },
      mqtt: { url: broker.url, reconnectMs: 100, delivery: 'brokerAck' },
    });
    const metrics = new AgentMetrics();
    const publisher = new Publisher({
      config,
      spool: new Spool(dir, config.spool, () => {}),
      envelopes: new Envelopes(AGENT, Date.now),
      logger: memoryLogger().logger,
      metrics,
      now: Date.now,
      birth: () => ({ kind: 'birth' }),
      onCommand: () => {},
    });
    publisher.start();
    running.push(() => publisher.stop());
    const events = { kind: 'events', siteId: 'sichuan', containerId: AGENT, events: [] };
    await until(() => publisher.connected);
    publisher.send('events', events);

    // Broker down: every reconnect attempt prepares a will; data sent meanwhile waits in the spool.
    const connectsBefore = publisher.connects;
    await until(() => first.received.some((r) => r.kind === 'events'));
    await first.end();
    await broker.kill();
    publisher.send('events', events);
    await new Promise((r) => setTimeout(r, 500));
    publisher.send('events', events);
    // The agent is held back at CONNECT until the consumer has subscribed again.
    broker.refused.add(AGENT);
    await broker.start();
    const consumer = await Consumer.connect(broker.url);
    running.push(() => consumer.end());
    broker.refused.delete(AGENT);
    await until(() => publisher.connects > connectsBefore);
    publisher.send('events', events);

    // The agent's connection dropped: the broker publishes its will.
    const connects = publisher.connects;
    expect(broker.dropClient(AGENT)).toBe(true);
    await until(() => publisher.connects > connects);
    publisher.send('events', events);
    const received = () => [...first.received, ...consumer.received];
    const dataSeqs = () =>
      [
        ...new Set(
          received()
            .filter((r) => (DATA_SEQ_KINDS as readonly string[]).includes(r.kind))
            .map((r) => (JSON.parse(r.raw) as Envelope).seq),
        ),
      ].sort((a, b) => a - b);
    await until(() => dataSeqs().length >= 5);
    await until(() => consumer.received.some((r) => r.raw.includes('"lwt"')));

    const seen = received().map((r) => ({ kind: r.kind, ...(JSON.parse(r.raw) as Envelope) }));
    const session = seen.filter((m) => m.kind === 'status' || m.kind === 'birth');
    expect(dataSeqs()).toEqual([0, 1, 2, 3, 4]);
    expect(session.length).toBeGreaterThan(0);
    expect(session.every((m) => m.seq >= SESSION_SEQ_FROM)).toBe(true);
    expect(session.some((m) => m.kind === 'status' && (m as { reason?: string }).reason === 'lwt')).toBe(
      true,
    );
  });
});
