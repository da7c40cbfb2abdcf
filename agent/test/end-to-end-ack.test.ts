import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Acks, exampleEvents, type MessageByKind, topics } from '@hashfleet/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../src/config.js';
import { AgentMetrics } from '../src/metrics.js';
import { AckTracker } from '../src/publish/acks.js';
import { Envelopes } from '../src/publish/envelope.js';
import { Publisher } from '../src/publish/publisher.js';
import { Spool } from '../src/publish/spool.js';
import { Consumer, memoryLogger, TestBroker } from './helpers.js';

const AGENT = 'sc-c01';
const { v: _v, agentId: _a, bootId: _b, seq: _s, sentAt: _t, historical: _h, ...eventsBody } = exampleEvents;

const acks = (boots: Acks['boots']): Acks => ({ v: 1, kind: 'acks', agentId: AGENT, sentAt: 1, boots });

describe('AckTracker (which spooled messages wait for the controller)', () => {
  it.each([
    ['one exact seq', [[5, 5]], [105]],
    ['a range covering two', [[4, 6]], [105, 106]],
    ['a huge range (iterates the tracked, not the range)', [[0, 1e12]], [105, 106, 107]],
    ['a range of seqs never sent', [[100, 200]], []],
  ] as [string, [number, number][], number[]][])('ack with %s frees spool ids %o', (_n, ranges, ids) => {
    const t = new AckTracker();
    t.sent(105, 'boot-aaaa', 5);
    t.sent(106, 'boot-aaaa', 6);
    t.sent(107, 'boot-aaaa', 7);
    t.sent(200, 'boot-bbbb', 5);
    expect(t.ack(acks([{ bootId: 'boot-aaaa', ranges }]))).toEqual(ids);
    expect(t.size).toBe(4 - ids.length);
    expect(t.has(200)).toBe(true);
  });

  it('times out only what the broker PUBACKed, counted from the PUBACK', () => {
    const t = new AckTracker();
    t.sent(1, 'boot-aaaa', 0);
    t.sent(2, 'boot-aaaa', 1);
    t.sent(3, 'boot-aaaa', 2);
    t.pubacked(1, 1000);
    t.pubacked(2, 5000);
    expect(t.unacked(6000)).toEqual({ count: 2, oldestMs: 5000 });
    expect(t.expired(6000, 4000)).toEqual([1]);
    expect(t.expired(6000, 4000)).toEqual([]);
    expect(t.expired(9000, 4000)).toEqual([2]);
    expect(t.unacked(9000)).toEqual({ count: 0, oldestMs: 0 });
    expect(t.has(3)).toBe(true);
  });
});

type Rig = {
  broker: TestBroker;
  consumer: Consumer;
  spool: Spool;
  publisher: Publisher;
  metrics: AgentMetrics;
  lines: string[];
  dir: string;
  send(): { seq: number; bootId: string };
  copies(seq: number, bootId: string): MessageByKind['events'][];
};

const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of running.splice(0).reverse()) await stop();
});

function publisherFor(
  broker: TestBroker,
  dir: string,
  delivery: 'controllerAck' | 'brokerAck',
): { spool: Spool; publisher: Publisher; metrics: AgentMetrics; lines: string[] } {
  const config = loadAgentConfig({
    agentId: AGENT,
    siteId: 'sichuan',
    containerId: AGENT,
    miners: { ranges: ['10.0.4.17'] },
    spool: { dir, fsync: 'never' },
    mqtt: { url: broker.url, reconnectMs: 100, delivery, ackTimeoutMs: 1000 },
  });
  const { logger, lines } = memoryLogger();
  const metrics = new AgentMetrics();
  const spool = new Spool(dir, config.spool, () => metrics.dropped('spool-full'));
  const publisher = new Publisher({
    config,
    spool,
    envelopes: new Envelopes(AGENT, Date.now),
    logger,
    metrics,
    now: Date.now,
    birth: () => ({ kind: 'birth' }),
    onCommand: () => {},
  });
  publisher.start();
  running.push(() => publisher.stop());
  return { spool, publisher, metrics, lines };
}

async function rig(delivery: 'controllerAck' | 'brokerAck', consumerUp = true): Promise<Rig> {
  const broker = new TestBroker();
  await broker.start();
  running.push(() => broker.kill());
  const consumer = await Consumer.connect(broker.url);
  running.push(() => consumer.end());
  if (!consumerUp) await consumer.client.unsubscribeAsync('hashfleet/v1/agents/+/+');
  const dir = mkdtempSync(join(tmpdir(), 'agent-ack-'));
  const p = publisherFor(broker, dir, delivery);
  await new Promise<void>((resolve) => {
    const wait = () => (p.publisher.connected ? resolve() : setTimeout(wait, 10));
    wait();
  });
  const r: Rig = {
    broker,
    consumer,
    dir,
    ...p,
    send: () => r.publisher.send('events', eventsBody),
    copies: (seq, bootId) =>
      consumer.received
        .filter((m) => m.kind === 'events')
        .map((m) => JSON.parse(m.raw) as MessageByKind['events'])
        .filter((m) => m.seq === seq && m.bootId === bootId),
  };
  return r;
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; !predicate(); i++) {
    if (i > 1000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('end-to-end acks (mqtt.delivery: controllerAck) against a real aedes broker', () => {
  it('a message the broker PUBACKs but the controller never acks stays spooled and is republished, marked historical, after ackTimeoutMs; the ack then frees it', async () => {
    const r = await rig('controllerAck');
    r.consumer.ack = false;
    const { seq, bootId } = r.send();
    await until(() => r.copies(seq, bootId).length === 1, 'first delivery');
    await until(() => r.metrics.totals.published === 1, 'the PUBACK');
    expect(r.spool.messages).toBe(1);
    await until(() => r.copies(seq, bootId).length >= 2, 'the republish');
    const [first, again] = r.copies(seq, bootId);
    expect(first!.historical).toBe(false);
    expect(again!.historical).toBe(true);
    expect(r.metrics.totals.republished).toBeGreaterThanOrEqual(1);
    expect(r.lines.join('')).toContain('no controller ack in time, publishing again');
    expect(r.spool.messages).toBe(1);
    expect(await r.metrics.registry.getSingleMetricAsString('hashfleet_agent_unacked_messages')).toMatch(
      /hashfleet_agent_unacked_messages \d/,
    );
    r.consumer.ack = true;
    await until(() => r.spool.messages === 0, 'the ack to empty the spool');
    expect(r.metrics.totals.acked).toBe(1);
  });

  it('a message the controller acks leaves the spool and is never republished', async () => {
    const r = await rig('controllerAck');
    const sent = [r.send(), r.send(), r.send()];
    await until(() => r.spool.messages === 0 && r.metrics.totals.acked === 3, 'acks');
    // Three ack timeouts pass; nothing may be published again.
    await new Promise((resolve) => setTimeout(resolve, 3200));
    for (const { seq, bootId } of sent) expect(r.copies(seq, bootId)).toHaveLength(1);
    expect(r.metrics.totals.republished).toBe(0);
  });

  it('a message the broker PUBACKed and dropped (no subscriber yet) reaches the controller later: with controllerAck it is republished, with brokerAck it is lost', async () => {
    for (const delivery of ['controllerAck', 'brokerAck'] as const) {
      const r = await rig(delivery, false);
      const lost = r.send();
      await until(() => r.metrics.totals.published === 1, 'the PUBACK');
      await r.consumer.subscribed();
      const later = r.send();
      await until(() => r.copies(later.seq, later.bootId).length === 1, 'a later message');
      if (delivery === 'controllerAck') {
        await until(() => r.copies(lost.seq, lost.bootId).length === 1, 'the republish');
        expect(r.copies(lost.seq, lost.bootId)[0]!.historical).toBe(true);
        await until(() => r.spool.messages === 0, 'every ack');
      } else {
        await new Promise((resolve) => setTimeout(resolve, 2500));
        expect(r.copies(lost.seq, lost.bootId)).toHaveLength(0);
        expect(r.spool.messages).toBe(0);
      }
    }
  });

  it('an agent restarted with unacked messages in its spool publishes them again, historical, in order', async () => {
    const r = await rig('controllerAck');
    r.consumer.ack = false;
    const sent = [r.send(), r.send()];
    await until(() => sent.every((m) => r.copies(m.seq, m.bootId).length === 1), 'first deliveries');
    await r.publisher.stop();
    r.consumer.ack = true;
    const restarted = publisherFor(r.broker, r.dir, 'controllerAck');
    expect(restarted.spool.recovered).toBe(2);
    await until(() => restarted.spool.messages === 0, 'the replay to be acked');
    const replays = sent.map((m) => r.copies(m.seq, m.bootId)[1]!);
    expect(replays.map((m) => m.historical)).toEqual([true, true]);
    const order = r.consumer.received.map((m) => m.raw);
    expect(order.indexOf(JSON.stringify(replays[0]))).toBeLessThan(order.indexOf(JSON.stringify(replays[1])));
  });

  it('an ack that is not valid (wrong agent, bad range) is rejected with a log line and frees nothing', async () => {
    const r = await rig('controllerAck');
    r.consumer.ack = false;
    const { seq, bootId } = r.send();
    await until(() => r.copies(seq, bootId).length === 1, 'first delivery');
    const bad = [
      { ...acks([{ bootId, ranges: [[seq, seq]] }]), agentId: 'sc-c02' },
      acks([{ bootId, ranges: [[seq + 1, seq]] }]),
    ];
    for (const b of bad)
      await r.consumer.client.publishAsync(topics.acks(AGENT), JSON.stringify(b), { qos: 1 });
    await until(
      () => r.lines.filter((l) => l.includes('acks') && l.includes('ignored')).length === 2,
      'rejections',
    );
    expect(r.lines.join('')).toContain('does not match topic agent');
    expect(r.lines.join('')).toContain('from <= to');
    expect(r.spool.messages).toBe(1);
    expect(await r.metrics.registry.getSingleMetricAsString('hashfleet_agent_acks_total')).toContain(
      'outcome="rejected"} 2',
    );
  });
});
