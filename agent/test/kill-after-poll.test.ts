import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DATA_SEQ_KINDS, type Envelope } from '@hashfleet/contracts';
import type { Simulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, realClockFleet, type TestBroker } from './helpers.js';

/**
 * Nothing polled is lost to a kill (issue 17 item 4). A real agent process polls 200 simulated
 * miners one at a time, with batches that would wait a minute in memory (maxDelayMs 60 s, 1,000
 * samples); it is SIGKILLed as soon as it reports 10 polls done, mid-cycle. A second process on
 * the same spool directory must deliver at least every sample the first reported done, once each,
 * with consecutive data seqs per boot (fsync on, real files, broker on loopback).
 */
const MINERS = 200;
let sim: Simulation;
let broker: TestBroker;
let consumer: Consumer;
let fleet: Awaited<ReturnType<typeof realClockFleet>>;

beforeAll(async () => {
  fleet = await realClockFleet(MINERS);
  ({ sim, broker, consumer } = fleet);
});

afterAll(async () => {
  await fleet?.stop();
});

function child(input: Record<string, unknown>, schedule: 'timers' | 'manual') {
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'agent-child.ts'), JSON.stringify(input), schedule],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: proc.stdout! });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const waitLine = (ok: (line: string) => boolean) =>
    new Promise<string>((resolve, reject) => {
      const on = (line: string) => {
        if (!ok(line)) return;
        lines.off('line', on);
        resolve(line);
      };
      lines.on('line', on);
      proc.once('exit', () => reject(new Error('agent process exited')));
    });
  return { proc, exited, waitLine };
}

describe('agent killed right after a poll', () => {
  it('loses no sample it reported polled, and leaves no gap in its data seqs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-kill-'));
    const input = {
      agentId: 'kill-c1',
      siteId: 'lab',
      containerId: 'c1',
      miners: { ranges: sim.miners.map((m) => m.ip), ports: { rpc: sim.miners[0]!.ports.rpc } },
      polling: { concurrency: 1, requestTimeoutMs: 3000, intervalMs: 60_000 },
      discovery: { concurrency: 64, timeoutMs: 3000 },
      batch: { maxSamples: 1000, maxDelayMs: 60_000 },
      spool: { dir, fsync: 'always' },
      mqtt: { url: broker.url, reconnectMs: 100, delivery: 'brokerAck' },
    };
    const first = child(input, 'timers');
    const line = await first.waitLine((l) => l.startsWith('polled ') && Number(l.slice(7)) >= 10);
    first.proc.kill('SIGKILL');
    await first.exited;
    const reported = Number(line.slice(7));
    expect(reported).toBeLessThan(MINERS); // killed mid-cycle, with polls still to come

    const second = child(input, 'manual');
    await second.waitLine((l) => l === 'drained');
    second.proc.stdin!.end();
    await second.exited;
    expect(readdirSync(join(dir, 'outbox'))).toEqual([]);

    const samples = consumer.of('telemetry').flatMap((t) => t.samples.map((s) => `${s.minerKey}@${s.at}`));
    expect(new Set(samples).size).toBe(samples.length);
    expect(samples.length).toBeGreaterThanOrEqual(reported);

    const seqs = new Map<string, number[]>();
    for (const r of consumer.received) {
      if (!(DATA_SEQ_KINDS as readonly string[]).includes(r.kind)) continue;
      const m = JSON.parse(r.raw) as Envelope;
      seqs.set(m.bootId, [...(seqs.get(m.bootId) ?? []), m.seq]);
    }
    for (const list of seqs.values()) {
      const sorted = [...new Set(list)].sort((a, b) => a - b);
      expect(sorted).toEqual(sorted.map((_, i) => i));
    }
  });
});
