import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { exampleEvents, exampleSample, type MinerSample } from '@hashfleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, TestBroker } from './helpers.js';

/**
 * Issue 17: could `OpenBatch.recover()` send a batch twice? A batch left open by a killed agent
 * (an event and 40 samples in batch.open) is recovered by a real agent process that is SIGKILLed
 * at each step of that recovery in turn (before each spool message is renamed into place, before
 * the work journal line, before batch.open is emptied, and right after it all), then started once
 * more to drain. Every time, each sample and the
 * event reach the consumer in exactly one message (deduplicated by (bootId, seq) as the
 * controller does), none is lost, and the data seqs of each boot have no gap.
 */
const SAMPLES = 40;
let broker: TestBroker;
let consumer: Consumer;
const root = mkdtempSync(join(tmpdir(), 'agent-recover-'));

beforeAll(async () => {
  broker = new TestBroker();
  await broker.start();
  consumer = await Consumer.connect(broker.url);
});
afterAll(async () => {
  await consumer?.end();
  await broker?.kill();
  rmSync(root, { recursive: true, force: true });
});

const samples: MinerSample[] = Array.from({ length: SAMPLES }, (_, i) => ({
  ...exampleSample,
  minerKey: `rec-${i}`,
  serial: `REC-${i}`,
  at: exampleSample.at + i,
}));
const event = { ...exampleEvents.events[0]!, minerKey: 'rec-event' };

/** The spool folder a process killed with its batch open leaves: batch.open and nothing else. */
function leftOpen(): string {
  const dir = join(root, 'template');
  mkdirSync(dir, { recursive: true });
  const lines = [{ origin: 'left-open-batch' }, { e: event }, ...samples.map((s) => ({ s }))];
  writeFileSync(join(dir, 'batch.open'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  return dir;
}

function run(spoolDir: string, agentId: string, step: number) {
  const config = {
    agentId,
    siteId: 'lab',
    containerId: 'c1',
    miners: { ranges: ['127.0.0.1/32'], ports: { rpc: 9 } },
    spool: { dir: spoolDir, fsync: 'always' },
    mqtt: { url: broker.url, reconnectMs: 100 },
  };
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'recover-child.ts'), JSON.stringify(config), String(step)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const out: string[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => out.push(l));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return { proc, out, exited };
}

describe('an agent killed at each step of recovering an open batch', () => {
  it('delivers every recovered sample and event exactly once', { timeout: 600_000 }, async () => {
    const template = leftOpen();
    const killedAt = async (step: number) => {
      const agentId = `rec-${step}`;
      const dir = join(root, agentId);
      cpSync(template, dir, { recursive: true });
      const killed = run(dir, agentId, step);
      await killed.exited;
      const done = killed.out.find((l) => l.startsWith('recovered '));
      return { agentId, dir, steps: done ? Number(done.split(' ')[1]) : null };
    };
    // A kill right after the whole recovery tells how many steps it has; then one before each.
    const after = await killedAt(1000);
    const steps = after.steps ?? 0;
    expect(steps).toBeGreaterThanOrEqual(4);
    const cases = [after, ...(await Promise.all(Array.from({ length: steps }, (_, i) => killedAt(i + 1))))];
    for (const c of cases.slice(1)) expect(c.steps, c.agentId).toBeNull();

    // Each started once more, to recover what is left and drain it.
    await Promise.all(
      cases.map(async ({ dir, agentId }) => {
        const again = run(dir, agentId, 0);
        await consumer.waitFor(() => again.out.includes('drained'), 120_000);
        again.proc.stdin!.end();
        await again.exited;
      }),
    );

    for (const { agentId } of cases) {
      const telemetry = consumer.of('telemetry').filter((m) => m.agentId === agentId);
      const keys = telemetry.flatMap((m) => m.samples.map((s) => `${s.minerKey}@${s.at}`));
      expect(keys.sort(), agentId).toEqual(samples.map((s) => `${s.minerKey}@${s.at}`).sort());
      const events = consumer
        .of('events')
        .filter((m) => m.agentId === agentId)
        .flatMap((m) => m.events.filter((e) => e.minerKey === 'rec-event'));
      expect(events, agentId).toHaveLength(1);
      // Within each boot the data seqs run from 0 without a gap (a gap would be a lost message).
      const byBoot = new Map<string, number[]>();
      for (const m of consumer.unique.map((u) => u.message))
        if (m.agentId === agentId && 'seq' in m && m.kind !== 'birth' && m.kind !== 'status')
          byBoot.set(m.bootId, [...(byBoot.get(m.bootId) ?? []), m.seq]);
      for (const [, seqs] of byBoot) expect(seqs.sort((a, b) => a - b)).toEqual(seqs.map((_, i) => i));
    }
  });
});
