import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { type AgentEvent, LIMITS, type MinerSample, type Unreachable } from '@hashfleet/contracts';

/** One batch's content: what the sealed messages carry. */
export type BatchContent = {
  samples: MinerSample[];
  unreachable: Unreachable[];
  events: AgentEvent[];
  /**
   * Characters of the batch's lines in the file (each item's JSON plus 7), so at least the items'
   * JSON with a comma each; set when the batch is sealed, not for one recovered after a kill.
   */
  chars?: number;
};

export type OpenBatchOptions = {
  /** Items (samples or unreachable) that seal a batch. */
  maxItems: number;
  /** Longest the first item of a batch waits for its seal. */
  maxDelayMs: number;
  /** The same for the first batch of the process (a starting agent shows its first miners at once). */
  firstDelayMs?: number;
  /** Bytes of items that seal a batch, so its telemetry message stays under the payload limit. */
  maxBytes?: number;
  fsync: 'always' | 'never';
  /**
   * Spools a batch as messages (events first, then telemetry), each written with the origin
   * `${origin}:events` / `${origin}:telemetry`, skipping one already spooled under its origin.
   */
  seal: (content: BatchContent, origin: string) => void;
};

const FILE = 'batch.open';
/** Room left in a telemetry message for the envelope, site, container and agent metrics. */
const MESSAGE_OVERHEAD = 8192;

type Line = { origin: string } | { s: MinerSample } | { u: Unreachable } | { e: AgentEvent };

/**
 * The batch being filled, on disk: every sample, unreachable report and event is appended to
 * `<spool dir>/batch.open` the moment the poller hands it over (a write(2) before the call
 * returns, so a killed process loses nothing it polled), and fsynced in groups (one fsync in
 * flight at a time, covering every line written before it started). A batch is sealed into the
 * spool when it holds `maxItems` items or `maxBytes`, `maxDelayMs` after its first item, or on
 * `flush()`; sealing fsyncs the file, spools the messages, then empties the file. The first line
 * of each batch names its origin: after a crash between spooling and emptying, `recover()` finds
 * the origin in the spool and does not spool the batch twice.
 */
export class OpenBatch {
  readonly #o: OpenBatchOptions;
  readonly #path: string;
  readonly #fd: number;
  #content: BatchContent = { samples: [], unreachable: [], events: [] };
  #origin: string | null = null;
  #bytes = 0;
  #timer: NodeJS.Timeout | null = null;
  /** Lines written since the last fsync started. */
  #dirty = false;
  #syncing = false;
  #sealedOnce = false;

  constructor(dir: string, options: OpenBatchOptions) {
    this.#o = options;
    mkdirSync(dir, { recursive: true });
    this.#path = join(dir, FILE);
    this.#fd = openSync(this.#path, 'a+');
  }

  get items(): number {
    return this.#content.samples.length + this.#content.unreachable.length;
  }

  /**
   * Seals what a previous process left in the file (killed with a batch open). A torn last line
   * (killed mid-write) is skipped. Call once, before anything is added.
   */
  recover(): BatchContent {
    const left: BatchContent = { samples: [], unreachable: [], events: [] };
    if (fstatSync(this.#fd).size === 0) return left;
    let origin: string | null = null;
    for (const text of readFileSync(this.#path, 'utf8').split('\n')) {
      if (!text) continue;
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        continue;
      }
      if ('origin' in line) origin = line.origin;
      else if ('s' in line) left.samples.push(line.s);
      else if ('u' in line) left.unreachable.push(line.u);
      else if ('e' in line) left.events.push(line.e);
    }
    const any = left.samples.length + left.unreachable.length + left.events.length > 0;
    if (any) this.#o.seal(left, origin ?? randomUUID());
    this.#clear();
    return left;
  }

  sample(s: MinerSample): void {
    this.#write({ s });
    this.#content.samples.push(s);
    this.#added();
  }

  unreachable(u: Unreachable): void {
    this.#write({ u });
    this.#content.unreachable.push(u);
    this.#added();
  }

  event(e: AgentEvent): void {
    this.#write({ e });
    this.#content.events.push(e);
    if (this.#content.events.length >= LIMITS.maxEventsPerMessage) this.flush();
    else this.#arm();
  }

  #write(line: Line): void {
    if (this.#origin === null) {
      this.#origin = randomUUID();
      writeSync(this.#fd, `${JSON.stringify({ origin: this.#origin })}\n`);
    }
    const text = `${JSON.stringify(line)}\n`;
    writeSync(this.#fd, text);
    this.#bytes += text.length;
    this.#dirty = true;
    this.#groupSync();
  }

  /** One fsync in flight; lines written meanwhile get the next one. */
  #groupSync(): void {
    if (this.#o.fsync !== 'always' || this.#syncing || !this.#dirty) return;
    this.#syncing = true;
    this.#dirty = false;
    fsync(this.#fd, () => {
      this.#syncing = false;
      this.#groupSync();
    });
  }

  #added(): void {
    const maxBytes = this.#o.maxBytes ?? LIMITS.maxPayloadBytes - MESSAGE_OVERHEAD;
    const c = this.#content;
    if (c.samples.length >= this.#o.maxItems || c.unreachable.length >= this.#o.maxItems) this.flush();
    else if (this.#bytes >= maxBytes) this.flush();
    else this.#arm();
  }

  #arm(): void {
    if (this.#timer) return;
    const delay = this.#sealedOnce ? this.#o.maxDelayMs : (this.#o.firstDelayMs ?? this.#o.maxDelayMs);
    this.#timer = setTimeout(() => this.flush(), delay);
  }

  /** fsyncs what is written, now (before a state save that counts on these samples). */
  sync(): void {
    if (this.#o.fsync === 'always' && this.#origin !== null) fsyncSync(this.#fd);
  }

  /** Seals the open batch into the spool (end of a cycle, a bound, the timer, or shutdown). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const origin = this.#origin;
    if (origin === null) return;
    const content = { ...this.#content, chars: this.#bytes };
    this.sync();
    this.#sealedOnce = true;
    this.#o.seal(content, origin);
    this.#clear();
  }

  #clear(): void {
    this.#content = { samples: [], unreachable: [], events: [] };
    this.#origin = null;
    this.#bytes = 0;
    ftruncateSync(this.#fd, 0);
  }

  /** Seals what is open and closes the file. */
  stop(): void {
    this.flush();
    closeSync(this.#fd);
  }
}
