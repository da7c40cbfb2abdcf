import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * One spooled MQTT message: written before it is published, removed once delivered (the
 * controller's end-to-end ack, or the broker's PUBACK with `mqtt.delivery: brokerAck`).
 */
export type SpoolEntry = { id: number; topic: string; payload: string; bytes: number };

export type SpoolLimits = { maxBytes: number; maxMessages: number; fsync: 'always' | 'never' };

export type SpoolDrop = { id: number; topic: string; bytes: number; reason: string };

const SUFFIX = '.msg';
const nameOf = (id: number) => `${String(id).padStart(16, '0')}${SUFFIX}`;

/**
 * The durable queue between the poller and the broker: one file per message under `dir`, named by
 * a counter that keeps growing across restarts, so directory order is publish order. Only the index
 * (id, topic, size) lives in memory, bounded by `maxMessages`; payloads are read back on demand.
 * When a bound is hit the oldest messages are dropped, and each drop is reported to `onDrop`.
 */
export class Spool {
  readonly #dir: string;
  readonly #limits: SpoolLimits;
  readonly #onDrop: (drop: SpoolDrop) => void;
  /** Ascending by id. */
  #index: { id: number; topic: string; bytes: number; origin?: string }[] = [];
  #bytes = 0;
  #nextId = 1;
  dropped = 0;
  /** Messages found on disk at open: left over from a previous run or outage. */
  readonly recovered: number;

  constructor(dir: string, limits: SpoolLimits, onDrop: (drop: SpoolDrop) => void) {
    this.#dir = join(dir, 'outbox');
    this.#limits = limits;
    this.#onDrop = onDrop;
    mkdirSync(this.#dir, { recursive: true });
    for (const name of readdirSync(this.#dir).sort()) {
      const path = join(this.#dir, name);
      if (name.endsWith('.tmp')) {
        // A write that did not reach its rename: the batch was never acknowledged as spooled.
        unlinkSync(path);
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      const id = Number(name.slice(0, -SUFFIX.length));
      if (!Number.isSafeInteger(id)) continue;
      const bytes = statSync(path).size;
      const head = this.#readHead(path);
      if (head === null) {
        unlinkSync(path);
        continue;
      }
      this.#index.push({ id, bytes, ...head });
      this.#bytes += bytes;
      this.#nextId = Math.max(this.#nextId, id + 1);
    }
    this.recovered = this.#index.length;
  }

  get messages(): number {
    return this.#index.length;
  }

  /** The id the next appended message will get. */
  get nextId(): number {
    return this.#nextId;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The first line: the topic, and after a tab the origin the message was written with. */
  #readHead(path: string): { topic: string; origin?: string } | null {
    try {
      const text = readFileSync(path, 'utf8');
      const nl = text.indexOf('\n');
      if (nl <= 0) return null;
      const [topic, origin] = text.slice(0, nl).split('\t');
      return origin ? { topic: topic!, origin } : { topic: topic! };
    } catch {
      return null;
    }
  }

  /**
   * Writes (and fsyncs) a message; returns its id once it is on disk. `origin` names what the
   * message was made from (an open batch, publish/open-batch.ts), so that after a crash between
   * writing the message and clearing its source, `hasOrigin` tells the source was already spooled.
   */
  append(topic: string, payload: string, origin?: string): number {
    const data = `${origin ? `${topic}\t${origin}` : topic}\n${payload}`;
    const bytes = Buffer.byteLength(data);
    this.#makeRoom(bytes);
    const id = this.#nextId++;
    const final = join(this.#dir, nameOf(id));
    const tmp = `${final}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, data);
      if (this.#limits.fsync === 'always') fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, final);
    this.#index.push(origin ? { id, topic, bytes, origin } : { id, topic, bytes });
    this.#bytes += bytes;
    return id;
  }

  #makeRoom(incoming: number): void {
    while (
      this.#index.length > 0 &&
      (this.#index.length + 1 > this.#limits.maxMessages || this.#bytes + incoming > this.#limits.maxBytes)
    ) {
      const oldest = this.#index[0]!;
      const reason =
        this.#index.length + 1 > this.#limits.maxMessages
          ? `spool full (${this.#limits.maxMessages} messages)`
          : `spool full (${this.#limits.maxBytes} bytes)`;
      this.remove(oldest.id);
      this.dropped++;
      this.#onDrop({ ...oldest, reason });
    }
  }

  /** The oldest messages, skipping ids in `exclude` (in flight), up to `limit`. */
  oldest(limit: number, exclude: ReadonlySet<number>): SpoolEntry[] {
    const out: SpoolEntry[] = [];
    for (const e of this.#index) {
      if (out.length >= limit) break;
      if (exclude.has(e.id)) continue;
      out.push(this.#read(e));
    }
    return out;
  }

  /** One message by id; null when it is gone (acknowledged, or dropped by a full spool). */
  get(id: number): SpoolEntry | null {
    const i = this.#find(id);
    return i < 0 ? null : this.#read(this.#index[i]!);
  }

  /** The first message with an id at or above `id`, or null. */
  firstFrom(id: number): SpoolEntry | null {
    let lo = 0;
    let hi = this.#index.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#index[mid]!.id < id) lo = mid + 1;
      else hi = mid;
    }
    const e = this.#index[lo];
    return e ? this.#read(e) : null;
  }

  #read(e: { id: number; topic: string; bytes: number }): SpoolEntry {
    const text = readFileSync(join(this.#dir, nameOf(e.id)), 'utf8');
    return { id: e.id, topic: e.topic, payload: text.slice(text.indexOf('\n') + 1), bytes: e.bytes };
  }

  /** Whether a message written with this origin is still spooled. */
  hasOrigin(origin: string): boolean {
    return this.#index.some((e) => e.origin === origin);
  }

  has(id: number): boolean {
    return this.#find(id) >= 0;
  }

  #find(id: number): number {
    let lo = 0;
    let hi = this.#index.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.#index[mid]!.id;
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Removes a message (once delivered); removing one that is already gone is a no-op. */
  remove(id: number): void {
    const i = this.#find(id);
    if (i < 0) return;
    const [entry] = this.#index.splice(i, 1);
    this.#bytes -= entry!.bytes;
    try {
      unlinkSync(join(this.#dir, nameOf(id)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
