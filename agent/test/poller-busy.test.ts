import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getProfile } from '@hashfleet/firmware-profiles/registry';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadAgentConfig } from '../src/config.js';
import { IdentityTable } from '../src/identity.js';
import { AgentMetrics } from '../src/metrics.js';
import { Poller } from '../src/poll/poller.js';

/**
 * In a spread cycle a miner is busy only while its poll waits for a slot or runs, not through its
 * jitter offset: a target marked busy from the cycle's start was busy most of every cycle, and a
 * command's effect check (commands/execute.ts), which reads only a miner no poll holds, could miss
 * it turn after turn (the interop operations test saw a power target stay acknowledged for 150 s).
 */
describe('poller: busy flag in a spread cycle', () => {
  it('a target waiting out its offset is not busy; it is while its poll runs', async () => {
    // A port that accepts and never answers holds the poll open until its request timeout.
    const server = createServer(() => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const config = loadAgentConfig({
        agentId: 'busy-c1',
        siteId: 'lab',
        containerId: 'c1',
        miners: { ranges: ['127.0.0.1'], ports: { rpc: port } },
        polling: { intervalMs: 1000, jitterMs: 400, requestTimeoutMs: 300 },
        spool: { dir: mkdtempSync(join(tmpdir(), 'poller-busy-')), fsync: 'never' },
        mqtt: { url: 'mqtt://127.0.0.1:1', delivery: 'brokerAck' },
      });
      const poller = new Poller({
        config,
        ctx: {
          ports: config.miners.ports,
          credentials: config.credentials,
          knownHosts: new Map(),
          bearer: new Map(),
        } as never,
        identities: new IdentityTable(),
        work: new Map(),
        getProfile: (id) => getProfile(id) ?? undefined,
        metrics: new AgentMetrics(),
        logger: pino({ level: 'silent' }),
        now: Date.now,
        // The largest offset the jitter allows: 399 ms into the cycle.
        random: () => 0.999,
        sink: { sample: () => {}, unreachable: () => {}, event: () => {} },
      });
      const target = poller.upsert({
        ip: '127.0.0.1',
        profile: 'cgminer',
        port,
        model: null,
        firmwareVersion: null,
      })!;
      expect(target.offsetMs).toBe(399);
      let busyDuringOffset: boolean | null = null;
      let busyDuringPoll: boolean | null = null;
      const cycle = poller.cycle({ spread: true });
      await new Promise((r) => setTimeout(r, 100));
      busyDuringOffset = target.busy;
      await new Promise((r) => setTimeout(r, 450));
      busyDuringPoll = target.busy;
      await cycle;
      expect(busyDuringOffset, 'busy 100 ms into the cycle, 299 ms before its poll starts').toBe(false);
      expect(busyDuringPoll, 'busy while its poll waits on the miner').toBe(true);
      expect(target.busy).toBe(false);
    } finally {
      server.close();
    }
  });
});
