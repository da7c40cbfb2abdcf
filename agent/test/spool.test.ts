import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool, type SpoolDrop } from '../src/publish/spool.js';

const limits = { maxBytes: 1_000_000, maxMessages: 1000, fsync: 'never' as const };

describe('on-disk spool', () => {
  it('keeps messages across a reopen, oldest first, and ids keep growing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const a = new Spool(dir, limits, () => {});
    a.append('t/1', '{"n":1}');
    a.append('t/2', '{"n":2}');
    a.remove(a.oldest(1, new Set())[0]!.id);
    a.append('t/3', '{"n":3}');
    const b = new Spool(dir, limits, () => {});
    expect(b.recovered).toBe(2);
    expect(b.oldest(10, new Set()).map((e) => [e.topic, e.payload])).toEqual([
      ['t/2', '{"n":2}'],
      ['t/3', '{"n":3}'],
    ]);
    const id = b.append('t/4', '{}');
    expect(id).toBeGreaterThan(3);
  });

  it('drops the oldest when the count or byte bound is hit, and reports each drop', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const drops: SpoolDrop[] = [];
    const s = new Spool(dir, { ...limits, maxMessages: 3 }, (d) => drops.push(d));
    for (let i = 0; i < 5; i++) s.append('t', `{"i":${i}}`);
    expect(s.messages).toBe(3);
    expect(s.dropped).toBe(2);
    expect(drops.map((d) => d.reason)).toEqual(['spool full (3 messages)', 'spool full (3 messages)']);
    expect(s.oldest(10, new Set()).map((e) => e.payload)).toEqual(['{"i":2}', '{"i":3}', '{"i":4}']);

    const small = new Spool(mkdtempSync(join(tmpdir(), 'spool-')), { ...limits, maxBytes: 1024 }, () => {});
    for (let i = 0; i < 10; i++) small.append('t', 'x'.repeat(300));
    expect(small.bytes).toBeLessThanOrEqual(1024);
    expect(small.dropped).toBe(7);
  });

  it('skips in-flight ids, ignores a half-written file, and removing twice is harmless', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'));
    const s = new Spool(dir, limits, () => {});
    const a = s.append('t', 'a');
    s.append('t', 'b');
    expect(s.oldest(1, new Set([a]))[0]!.payload).toBe('b');
    s.remove(a);
    s.remove(a);
    writeFileSync(join(dir, 'outbox', '0000000000000099.msg.tmp'), 'partial');
    const reopened = new Spool(dir, limits, () => {});
    expect(reopened.messages).toBe(1);
    expect(readdirSync(join(dir, 'outbox')).some((f) => f.endsWith('.tmp'))).toBe(false);
  });
});
