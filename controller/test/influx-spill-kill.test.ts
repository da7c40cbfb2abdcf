import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spill } from '../src/core/influx/spill.js';
import { tempDir } from './helpers.js';

/**
 * The compressed spill under a real SIGKILL (issue 17): a process appends batches as fast as it
 * can and prints each batch's number once its append returned (stdout to a pipe is synchronous on
 * Linux); it is killed three times, restarting on the same directory. Proves: what is left on
 * disk is gzip segments, smaller than their lines; every printed
 * (acknowledged) batch is replayed, each line once, in order; the only unprinted batch that may
 * come back is the one in flight at a kill, and then whole, never in part.
 */
const SPILL = join(import.meta.dirname, '..', 'src', 'core', 'influx', 'spill.ts');
const PER_BATCH = 2000;
const line = (b: number, k: number) =>
  `miner,run=kill,batch=${b} hashrate_ths=${(b * 7 + k) % 113}.${k % 97} ${b * PER_BATCH + k}`;

/** Runs an appender from batch `from` until it has acknowledged `acks` batches, then SIGKILLs it. */
function appendUntilKilled(dir: string, from: number, acks: number): Promise<number[]> {
  const code = `
    import { Spill } from ${JSON.stringify(SPILL)};
    const PER_BATCH = ${PER_BATCH};
    const line = ${line.toString()};
    const s = new Spill(${JSON.stringify(dir)});
    for (let b = ${from}; ; b++) {
      s.append(Array.from({ length: ${PER_BATCH} }, (_, k) => line(b, k)));
      process.stdout.write(b + '\\n');
    }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked: number[] = [];
  let rest = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop()!;
      for (const p of parts) acked.push(Number(p));
      if (acked.length >= acks && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL'
        ? resolve(acked)
        : reject(new Error(`appender exited without the kill (${_code})`)),
    );
  });
}

describe('influx spill, killed mid-append', () => {
  it('replays every acknowledged batch once, in order, and no batch in part, after three SIGKILLs', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const acked: number[] = [];
      let from = 0;
      for (const at of [25, 40, 15]) {
        const got = await appendUntilKilled(dir, from, at);
        acked.push(...got);
        from = got.at(-1)! + 2; // past the batch that may have been in flight at the kill
      }
      // What the kills left is compressed: gzip segments, far smaller than the lines they hold.
      const left = new Spill(dir);
      expect(left.segments().every((f) => f.endsWith('.lp.gz'))).toBe(true);
      expect(left.bytes()).toBeLessThan((acked.length * PER_BATCH * line(acked.at(-1)!, 0).length) / 4);
      const out: string[] = [];
      for (let seg = new Spill(dir).next(); seg; seg = new Spill(dir).next()) {
        out.push(...seg.lines.slice(seg.offset));
        new Spill(dir).advance(seg.file, seg.lines.length, seg.lines.length);
      }
      // Cut the replay into batches: each must be whole and appear once, in write order.
      expect(out.length % PER_BATCH).toBe(0);
      const batches: number[] = [];
      for (let i = 0; i < out.length; i += PER_BATCH) {
        const b = Number(/batch=(\d+)/.exec(out[i]!)![1]);
        expect(out.slice(i, i + PER_BATCH)).toEqual(Array.from({ length: PER_BATCH }, (_, k) => line(b, k)));
        batches.push(b);
      }
      expect(batches).toEqual([...batches].sort((x, y) => x - y));
      expect(new Set(batches).size).toBe(batches.length);
      for (const b of acked) expect(batches).toContain(b);
      // Anything beyond the acknowledged: only a batch right after a killed run's last one.
      const lasts = new Set(acked.filter((b, i) => acked[i + 1] !== b + 1).map((b) => b + 1));
      for (const b of batches.filter((x) => !acked.includes(x))) expect(lasts).toContain(b);
    } finally {
      cleanup();
    }
  });
});
