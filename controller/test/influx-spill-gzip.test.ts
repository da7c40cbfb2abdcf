import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Spill } from '../src/core/influx/spill.js';
import { tempDir } from './helpers.js';

/**
 * The compressed spill (issue 17): segments are gzip members on disk, replayed in order exactly
 * once; a member torn by a kill mid-append gives back every acknowledged line once and none of
 * the torn append's; plain segments left by the earlier, uncompressed version still replay.
 */

const line = (i: number) =>
  `miner,miner=00000000-0000-4000-8000-${String(i % 5000).padStart(12, '0')},site=s1,container=c${i % 40} ` +
  `hashrate_ths=${(100 + (i % 97) / 7).toFixed(4)},power_w=${3000 + (i % 311)},online=1 ${1_764_547_200_000 + i * 10}`;
const batch = (from: number, n: number) => Array.from({ length: n }, (_, k) => line(from + k));

/** Replays everything `chunk` lines at a time, as a new process after each accepted chunk. */
function drain(dir: string, chunk: number): string[] {
  const out: string[] = [];
  for (let seg = new Spill(dir).next(); seg; seg = new Spill(dir).next()) {
    let offset = seg.offset;
    while (offset < seg.lines.length) {
      const part = seg.lines.slice(offset, offset + chunk);
      out.push(...part);
      offset += part.length;
      new Spill(dir).advance(seg.file, offset, seg.lines.length);
    }
    new Spill(dir).advance(seg.file, offset, seg.lines.length);
  }
  return out;
}

/** One member as the spill writes it: the whole file of a fresh spill after one append. */
function memberOf(lines: string[]): Buffer {
  const { dir, cleanup } = tempDir();
  try {
    new Spill(dir).append(lines);
    const [file] = readdirSync(dir);
    return readFileSync(join(dir, file!));
  } finally {
    cleanup();
  }
}

describe('influx spill, gzip-compressed', () => {
  it('round-trips 100,000 lines over several segments in order, each once, across restarts', () => {
    const { dir, cleanup } = tempDir();
    try {
      const spill = new Spill(dir);
      const want: string[] = [];
      for (let i = 0; i < 100_000; i += 5000) {
        spill.append(batch(i, 5000));
        want.push(...batch(i, 5000));
      }
      const files = spill.segments();
      expect(files.length).toBeGreaterThan(1); // more than 8 MiB of text: the segment rolled over
      for (const f of files) expect(f).toMatch(/\.lp\.gz$/);
      // Each segment is one valid gzip stream (concatenated members), smaller than its text.
      const text = files.map((f) => gunzipSync(readFileSync(join(dir, f))).toString('utf8')).join('');
      expect(text).toBe(`${want.join('\n')}\n`);
      const onDisk = files.reduce((a, f) => a + statSync(join(dir, f)).size, 0);
      expect(spill.bytes()).toBe(onDisk);
      expect(new Spill(dir).bytes()).toBe(onDisk);
      expect(onDisk).toBeLessThan(Buffer.byteLength(text) / 4);

      expect(drain(dir, 7_777)).toEqual(want);
      expect(new Spill(dir).next()).toBeNull();
      expect(new Spill(dir).bytes()).toBe(0);
    } finally {
      cleanup();
    }
  });

  it('after a kill at any byte of the last member: every acknowledged line once, none of the torn append', () => {
    const torn = memberOf(batch(900, 40));
    const acked = [...batch(0, 30), ...batch(30, 30)];
    // Every length the torn append can have reached on disk, from nothing to one byte short.
    for (let cut = 0; cut < torn.length; cut++) {
      const { dir, cleanup } = tempDir();
      try {
        const spill = new Spill(dir);
        spill.append(batch(0, 30));
        spill.append(batch(30, 30));
        // The first 25 lines were replayed and accepted before the kill.
        const seg = spill.next()!;
        spill.advance(seg.file, 25, seg.lines.length);
        appendFileSync(seg.file, torn.subarray(0, cut));
        // A new process: resumes after line 25, appends go to a new segment.
        const after = new Spill(dir);
        after.append(batch(100, 10));
        const replayed = drain(dir, 10);
        expect(replayed, `cut at byte ${cut}`).toEqual([...acked.slice(25), ...batch(100, 10)]);
      } finally {
        cleanup();
      }
    }
  });

  it('stops at a member whose bytes are whole but corrupt instead of replaying garbage', () => {
    const { dir, cleanup } = tempDir();
    try {
      const spill = new Spill(dir);
      spill.append(batch(0, 20));
      const seg = spill.next()!;
      const bad = Buffer.from(memberOf(batch(20, 20)));
      bad[bad.length - 9] = (bad[bad.length - 9]! + 1) % 256; // the last deflate byte: CRC no longer matches
      appendFileSync(seg.file, bad);
      expect(new Spill(dir).next()!.lines).toEqual(batch(0, 20));
    } finally {
      cleanup();
    }
  });

  it('replays plain segments of the earlier version (a data dir upgraded in place) before new ones', () => {
    const { dir, cleanup } = tempDir();
    try {
      // As the uncompressed version left them: two segments, the first half replayed (its .pos),
      // the second ending in a line torn by a kill mid-append.
      const old1 = join(dir, `${String(1_764_000_000_000).padStart(15, '0')}-4242-abc123.lp`);
      const old2 = join(dir, `${String(1_764_000_000_500).padStart(15, '0')}-4242-def456.lp`);
      writeFileSync(old1, `${batch(0, 10).join('\n')}\n${batch(10, 10).join('\n')}\n`);
      writeFileSync(`${old1}.pos`, '5');
      writeFileSync(old2, `${batch(20, 10).join('\n')}\n${line(30).slice(0, 33)}`);
      const spill = new Spill(dir);
      expect(spill.bytes()).toBe(statSync(old1).size + statSync(old2).size);
      spill.append(batch(40, 10));
      expect(spill.segments().map((f) => f.slice(f.indexOf('.')))).toEqual(['.lp', '.lp', '.lp.gz']);
      expect(drain(dir, 4)).toEqual([...batch(5, 15), ...batch(20, 10), ...batch(40, 10)]);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      cleanup();
    }
  });
});
