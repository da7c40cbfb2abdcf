import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MinerSample } from '@hashfleet/contracts';
import { describe, expect, it } from 'vitest';
import { type BatchContent, OpenBatch } from '../src/publish/open-batch.js';
import { Spool } from '../src/publish/spool.js';

/**
 * The open batch on disk: bounded in count and time like the in-memory batcher it replaces, events
 * sealed before samples, what a killed process left open recovered by the next, and a batch
 * already spooled before the kill not spooled again (its origin is in the spool).
 */
const sample = (minerKey: string) => ({ minerKey, at: 1 }) as MinerSample;
const lost = { type: 'miner.lost', at: 1, minerKey: 'k', ip: 'i', error: 'e' } as const;

describe('open batch', () => {
  it('seals a full batch at once, a partial one after maxDelayMs, with its events', async () => {
    const out: string[] = [];
    const b = new OpenBatch(mkdtempSync(join(tmpdir(), 'batch-')), {
      maxItems: 2,
      maxDelayMs: 30,
      fsync: 'never',
      seal: (c) => out.push(`${c.events.length}e ${c.samples.length}s ${c.unreachable.length}u`),
    });
    b.event(lost);
    b.sample(sample('a'));
    b.sample(sample('b'));
    expect(out).toEqual(['1e 2s 0u']);
    b.unreachable({ minerKey: 'k', ip: 'i', at: 1, error: 'e', since: 1 });
    expect(out).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 80));
    expect(out).toEqual(['1e 2s 0u', '0e 0s 1u']);
    b.stop();
  });

  // What this proves (issue 15, agent CPU): a sealed batch tells an upper bound of its items' JSON
  // (with a comma each), which agent.ts's seal uses instead of serialising the telemetry body once
  // more just to measure it (splitToFit's atMost); a recovered batch tells none (fails before: no chars).
  it('tells a sealed batch an upper bound of its items serialised', () => {
    const sealed: BatchContent[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'batch-'));
    const b = new OpenBatch(dir, {
      maxItems: 3,
      maxDelayMs: 60_000,
      fsync: 'never',
      seal: (c) => sealed.push(c),
    });
    b.event(lost);
    b.sample({ minerKey: 'ключ-é', at: 1, note: 'a "quoted"\nline' } as unknown as MinerSample);
    b.unreachable({ minerKey: 'k', ip: 'i', at: 1, error: 'e', since: 1 });
    b.sample(sample('b'));
    b.flush();
    const [c] = sealed;
    const items = JSON.stringify([...c!.samples, ...c!.unreachable]).length - 2;
    expect(c!.chars).toBeGreaterThanOrEqual(items + 1);
    b.sample(sample('c'));
    b.stop();
    const again = new OpenBatch(dir, { maxItems: 3, maxDelayMs: 60_000, fsync: 'never', seal: () => {} });
    expect(again.recover().chars).toBeUndefined();
    again.stop();
  });

  it('seals the first batch of a process after firstDelayMs, the next ones after maxDelayMs', async () => {
    const out: number[] = [];
    const b = new OpenBatch(mkdtempSync(join(tmpdir(), 'batch-')), {
      maxItems: 100,
      maxDelayMs: 60_000,
      firstDelayMs: 0,
      fsync: 'never',
      seal: (c) => out.push(c.samples.length),
    });
    b.sample(sample('a'));
    await new Promise((r) => setTimeout(r, 20));
    expect(out).toEqual([1]);
    b.sample(sample('b'));
    await new Promise((r) => setTimeout(r, 20));
    expect(out).toEqual([1]);
    b.stop();
    expect(out).toEqual([1, 1]);
  });

  it('recovers what a killed process left open, and never spools a batch twice', () => {
    const dir = mkdtempSync(join(tmpdir(), 'batch-'));
    const open = () => new Spool(dir, { maxBytes: 1e6, maxMessages: 100, fsync: 'never' }, () => {});
    let spool = open();
    const sealed: BatchContent[] = [];
    const sealInto = (crash: boolean) => (c: BatchContent, origin: string) => {
      sealed.push(c);
      if (!spool.hasOrigin(origin)) spool.append('t', JSON.stringify(c.samples), origin);
      if (crash) throw new Error('killed between spooling and emptying the open batch');
    };
    // A process that dies with a batch open: nothing sealed, two samples written.
    const killed = new OpenBatch(dir, {
      maxItems: 10,
      maxDelayMs: 60_000,
      fsync: 'always',
      seal: sealInto(false),
    });
    killed.sample(sample('a'));
    killed.event(lost);
    killed.sample(sample('b'));
    const next = new OpenBatch(dir, {
      maxItems: 10,
      maxDelayMs: 60_000,
      fsync: 'always',
      seal: sealInto(true),
    });
    expect(() => next.recover()).toThrow(/killed between/);
    expect(sealed[0]!.samples.map((s) => s.minerKey)).toEqual(['a', 'b']);
    expect(sealed[0]!.events).toEqual([lost]);
    // The process after finds the same batch still open, and its origin in the spool it reopens.
    spool = open();
    const third = new OpenBatch(dir, {
      maxItems: 10,
      maxDelayMs: 60_000,
      fsync: 'always',
      seal: sealInto(false),
    });
    expect(third.recover().samples).toHaveLength(2);
    expect(spool.messages).toBe(1);
    // Nothing is left open after that.
    const fourth = new OpenBatch(dir, {
      maxItems: 10,
      maxDelayMs: 60_000,
      fsync: 'always',
      seal: sealInto(false),
    });
    expect(fourth.recover().samples).toEqual([]);
  });
});
