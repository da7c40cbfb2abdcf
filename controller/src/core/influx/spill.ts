import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const SEGMENT_BYTES = 8 * 1024 * 1024;

/**
 * A durable on-disk queue of line-protocol lines, in segment files replayed oldest first. The
 * replay position is saved after each chunk the server accepted, so a crash mid-segment neither
 * loses lines nor sends them twice.
 */
export class Spill {
  #current: string | null = null;
  #currentBytes = 0;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  segments(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.lp'))
      .sort();
  }

  bytes(): number {
    return this.segments().reduce((a, f) => a + statSync(join(this.dir, f)).size, 0);
  }

  append(lines: string[]): void {
    if (lines.length === 0) return;
    if (!this.#current || this.#currentBytes > SEGMENT_BYTES) {
      this.#current = join(
        this.dir,
        `${Date.now().toString().padStart(15, '0')}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.lp`,
      );
      this.#currentBytes = 0;
    }
    const text = `${lines.join('\n')}\n`;
    appendFileSync(this.#current, text);
    this.#currentBytes += Buffer.byteLength(text);
  }

  /** The oldest segment's unsent lines (closing it for appends), or null when empty. */
  next(): { file: string; lines: string[]; offset: number } | null {
    const [first] = this.segments();
    if (!first) return null;
    const file = join(this.dir, first);
    if (file === this.#current) this.#current = null;
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    const pos = `${file}.pos`;
    const offset = existsSync(pos) ? Number(readFileSync(pos, 'utf8')) || 0 : 0;
    return { file, lines, offset };
  }

  /** Records that lines up to `offset` of `file` were accepted; removes the segment when done. */
  advance(file: string, offset: number, total: number): void {
    if (offset >= total) {
      rmSync(file, { force: true });
      rmSync(`${file}.pos`, { force: true });
    } else {
      writeFileSync(`${file}.pos`, String(offset));
    }
  }
}
