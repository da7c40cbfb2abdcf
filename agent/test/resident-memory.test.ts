import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { exampleSample, type MinerSample } from '@hashfleet/contracts';
import pino from 'pino';
import { afterEach, expect, test } from 'vitest';
import { startAgent } from '../src/agent.js';
import { loadAgentConfig } from '../src/config.js';
import { SafetyGuard, type SafetyMode } from '../src/safety/guard.js';

// What this proves (issue 15, agent RSS < 150 MB): two things a heap snapshot of the agent polling
// 5,000 miners found held for no use. mqtt-packet's table of 65,536 prebuilt packet-id Buffers
// (6.5 MB of live heap), built at the first packet the agent's client wrote; and every sample of a
// poll cycle, held whole by the safety guard to the cycle's end (5.3 MB, all promoted to the old
// generation) when the rules read a handful of its fields.

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let dir = '';
let server: Server | null = null;
afterEach(async () => {
  if (server) await new Promise((r) => server!.close(r));
  server = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = '';
});

test("the agent's MQTT client builds no table of prebuilt packet-id buffers", async () => {
  // mqtt resolves this same module: its table is what the client would fill.
  const numbers = createRequire(import.meta.url)('mqtt-packet/numbers.js') as { cache: object };
  expect(Object.keys(numbers.cache)).toHaveLength(0);
  // A bare socket that takes the client's CONNECT and answers nothing: the client has written a packet.
  let received!: () => void;
  const connected = new Promise<void>((r) => {
    received = r;
  });
  server = createServer((s) => s.once('data', () => received()));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  dir = mkdtempSync(join(tmpdir(), 'agent-resident-'));
  const config = loadAgentConfig({
    agentId: 'resident',
    siteId: 's',
    containerId: 'c',
    miners: { ranges: ['127.0.0.1'] },
    spool: { dir },
    mqtt: {
      url: `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`,
      delivery: 'brokerAck',
    },
  });
  const agent = await startAgent(config, { schedule: 'manual', logger: pino({ level: 'silent' }) });
  await connected;
  await agent.stop();
  expect(Object.keys(numbers.cache)).toHaveLength(0);
});

function guard(mode: SafetyMode): SafetyGuard {
  dir = mkdtempSync(join(tmpdir(), 'agent-resident-'));
  return new SafetyGuard({
    agentId: 'resident',
    mode,
    file: join(dir, 'safety-rules.json'),
    check: () => false,
    canonicalModel: (m) => m,
    outletFor: () => null,
    run: () => Promise.reject(new Error('not expected')),
    report: () => undefined,
    connected: () => false,
    onRefused: () => undefined,
    logger: pino({ level: 'silent' }),
    now: Date.now,
  });
}

/** Whether the guard still holds the sample it observed, once nothing else does. */
async function heldAfterObserve(g: SafetyGuard): Promise<boolean> {
  const ref = (() => {
    const sample: MinerSample = structuredClone(exampleSample);
    g.observe(sample);
    return new WeakRef(sample);
  })();
  // A WeakRef keeps its target to the end of the job that made it.
  await new Promise((r) => setTimeout(r, 0));
  gc();
  return ref.deref() !== undefined;
}

test('the safety guard keeps what its rules read of a sample, not the sample', async () => {
  for (const mode of ['always', 'whenDisconnected', 'off'] as const)
    expect(await heldAfterObserve(guard(mode)), mode).toBe(false);
});
