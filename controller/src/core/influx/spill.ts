import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

/** A segment is closed once it holds this much line protocol (uncompressed): the replay reads one whole. */
const SEGMENT_TEXT_BYTES = 8 * 1024 * 1024;
/** Level 1: line protocol repeats its tags, so the fastest level already shrinks it most (docs/operations.md). */
const GZIP_LEVEL = 1;

/**
 * Each append is one gzip member whose header carries, in an extra field (gzip's FEXTRA, id "HS"),
 * the length of the rest of the member; a segment is therefore a valid multi-member gzip
 * file (`zcat` reads it) whose members the reader can step through without inflating to find them.
 */
const HEADER = 20; // 10 fixed + XLEN (2) + subfield id (2) + subfield length (2) + member length (4)

function member(text: string): Buffer {
  const gz = gzipSync(text, { level: GZIP_LEVEL });
  const head = Buffer.alloc(HEADER);
  gz.copy(head, 0, 0, 10); // magic, method, flags, mtime, xfl, os
  head[3] = 0x04; // FLG.FEXTRA
  head.writeUInt16LE(8, 10);
  head.write('HS', 12, 'latin1');
  head.writeUInt16LE(4, 14);
  head.writeUInt32LE(gz.length - 10, 16);
  return Buffer.concat([head, gz.subarray(10)]);
}

/**
 * The text of every complete member, in order. A member cut short by a kill mid-append (its append
 * never returned, so none of its lines was acknowledged) and anything after it are ignored; the
 * member's CRC, checked by the inflate, rejects one whose bytes are whole but wrong.
 */
function readMembers(buf: Buffer): string {
  const texts: string[] = [];
  let pos = 0;
  while (pos + HEADER <= buf.length) {
    const ok =
      buf[pos] === 0x1f &&
      buf[pos + 1] === 0x8b &&
      buf[pos + 3] === 0x04 &&
      buf.toString('latin1', pos + 12, pos + 14) === 'HS';
    if (!ok) break;
    const end = pos + HEADER + buf.readUInt32LE(pos + 16);
    if (end > buf.length) break;
    try {
      texts.push(gunzipSync(buf.subarray(pos, end)).toString('utf8'));
    } catch {
      break;
    }
    pos = end;
  }
  return texts.join('');
}

/** Complete lines only: an old plain segment's unterminated last line is the torn tail of an append. */
function linesOf(text: string): string[] {
  const end = text.lastIndexOf('\n');
  return text
    .slice(0, end + 1)
    .split('\n')
    .filter((l) => l.length > 0);
}

/**
 * A durable on-disk queue of line-protocol lines, in gzip-compressed segment files replayed oldest
 * first (`.lp.gz`; plain `.lp` segments left by an earlier version replay the same way). The replay
 * position (a line count) is saved after each chunk the server accepted, so a crash mid-segment
 * neither loses lines nor sends them twice; a segment being replayed takes no more appends, so its
 * line numbers never move. Appends are not fsync'd: they survive the process being killed, not the
 * machine losing power.
 */
export class Spill {
  #current: string | null = null;
  #currentBytes = 0;
  #currentText = 0;
  #bytes: number;
  /** The time stamp (15 digits, ms) that leads the newest segment's name. */
  #stamp: string;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    const segments = this.segments();
    this.#bytes = segments.reduce((a, f) => a + statSync(join(this.dir, f)).size, 0);
    this.#stamp = segments.at(-1)?.slice(0, 15) ?? '';
  }

  segments(): string[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.lp.gz') || f.endsWith('.lp'))
      .sort();
  }

  /** Bytes on disk (compressed), kept as a running total; this process is the directory's only writer. */
  bytes(): number {
    return this.#bytes;
  }

  append(lines: string[]): void {
    if (lines.length === 0) return;
    if (!this.#current || this.#currentText > SEGMENT_TEXT_BYTES) {
      const now = Date.now().toString().padStart(15, '0');
      // Named after every segment already here, so that names sort in write order even for two
      // segments in one millisecond or after the clock stepped back.
      this.#stamp = now > this.#stamp ? now : String(Number(this.#stamp) + 1).padStart(15, '0');
      this.#current = join(
        this.dir,
        `${this.#stamp}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.lp.gz`,
      );
      this.#currentBytes = 0;
      this.#currentText = 0;
    }
    const text = `${lines.join('\n')}\n`;
    const data = member(text);
    try {
      appendFileSync(this.#current, data);
    } catch (err) {
      // A short write (disk full): cut the segment back to its last whole member and start a new one.
      try {
        truncateSync(this.#current, this.#currentBytes);
      } catch {}
      this.#current = null;
      throw err;
    }
    this.#currentBytes += data.length;
    this.#currentText += text.length;
    this.#bytes += data.length;
  }

  /** The oldest segment's unsent lines (closing it for appends), or null when empty. */
  next(): { file: string; lines: string[]; offset: number } | null {
    const [first] = this.segments();
    if (!first) return null;
    const file = join(this.dir, first);
    if (file === this.#current) this.#current = null;
    const buf = readFileSync(file);
    const lines = linesOf(first.endsWith('.gz') ? readMembers(buf) : buf.toString('utf8'));
    const pos = `${file}.pos`;
    const offset = existsSync(pos) ? Number(readFileSync(pos, 'utf8')) || 0 : 0;
    return { file, lines, offset };
  }

  /** Records that lines up to `offset` of `file` were accepted; removes the segment when done. */
  advance(file: string, offset: number, total: number): void {
    if (offset >= total) {
      const size = existsSync(file) ? statSync(file).size : 0;
      rmSync(file, { force: true });
      rmSync(`${file}.pos`, { force: true });
      rmSync(`${file}.pos.tmp`, { force: true });
      this.#bytes = Math.max(0, this.#bytes - size);
    } else {
      // Written aside and renamed over: a kill mid-write leaves the old position, never an empty one.
      writeFileSync(`${file}.pos.tmp`, String(offset));
      renameSync(`${file}.pos.tmp`, `${file}.pos`);
    }
  }
}
