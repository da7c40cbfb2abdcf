import type { PduSample } from '@hashfleet/contracts';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../src/config.js';
import { PduCycle, type PowerBody } from '../src/schedule/pdu-cycle.js';

/**
 * The PDU half of a cycle alone: the reader is a plain function here (the SNMP reading itself is
 * tested against simulated PDUs in pdu-phases.test.ts). It proves one `power` body per cycle with
 * readings and unreachable PDUs side by side, a PDU down logged once and its recovery once, and
 * nothing sent when no PDU is configured.
 */
process.env['PDU_CYCLE_TEST_COMMUNITY'] = 'public';
const config = loadAgentConfig({
  agentId: 'a',
  siteId: 's',
  containerId: 'c',
  miners: { ranges: ['10.0.0.1'] },
  spool: { dir: '/nonexistent-never-written' },
  mqtt: { url: 'mqtt://127.0.0.1:1' },
  pdus: ['pdu-a', 'pdu-b'].map((id, i) => ({
    id,
    vendor: 'apc-rpdu2',
    host: `10.0.9.${i + 1}`,
    snmp: { version: '2c', community: { env: 'PDU_CYCLE_TEST_COMMUNITY' } },
    outlets: [],
  })),
});

function cycle(down: Set<string>, pdus = config.pdus, hold?: Promise<void>) {
  const sent: PowerBody[] = [];
  const lines: string[] = [];
  const errors: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l).msg) });
  const c = new PduCycle({
    pdus,
    read: async (pdu, at) => {
      if (hold && pdu.id === 'pdu-a') await hold;
      if (down.has(pdu.id)) throw Object.assign(new Error('timeout'), { kind: 'timeout' });
      return { pduId: pdu.id, at: at() } as PduSample;
    },
    send: (b) => sent.push(b),
    metrics: { error: (_what: string, kind: string) => void errors.push(kind) },
    logger,
    now: () => 1_000,
  });
  return { c, sent, lines, errors };
}

describe('PDU cycle', () => {
  it('sends one body per cycle, logs a PDU going down once and its recovery once', async () => {
    const down = new Set(['pdu-b']);
    const { c, sent, lines, errors } = cycle(down);
    await c.run();
    await c.run();
    down.clear();
    await c.run();
    expect(sent).toHaveLength(3);
    expect(sent[0]!.pdus.map((p) => p.pduId)).toEqual(['pdu-a']);
    expect(sent[0]!.unreachable).toEqual([
      { pduId: 'pdu-b', at: 1_000, error: 'pdu pdu-b 10.0.9.2: timeout' },
    ]);
    expect(sent[2]!.pdus.map((p) => p.pduId).sort()).toEqual(['pdu-a', 'pdu-b']);
    expect(errors).toEqual(['timeout', 'timeout']);
    expect(lines).toEqual(['pdu pdu-b 10.0.9.2: timeout', 'pdu pdu-b 10.0.9.2: recovered']);
  });

  it('leaves out of a cycle a PDU still being read from the one before', async () => {
    let release = () => {};
    const hold = new Promise<void>((r) => {
      release = r;
    });
    const { c, sent } = cycle(new Set(), config.pdus, hold);
    const first = c.run();
    await new Promise((r) => setImmediate(r)); // pdu-b answered, pdu-a still being read
    await c.run();
    release();
    await first;
    expect(sent.map((b) => b.pdus.map((p) => p.pduId).sort())).toEqual([['pdu-b'], ['pdu-a', 'pdu-b']]);
  });

  it('sends nothing without PDUs', async () => {
    const { c, sent } = cycle(new Set(), []);
    await c.run();
    expect(sent).toEqual([]);
  });
});
