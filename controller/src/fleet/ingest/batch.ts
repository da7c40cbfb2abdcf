/** How ingest groups messages into transactions (issue 15 item 1). */
export type BatchOptions = {
  /** Most messages in one transaction; 1 is the unbatched path (one transaction per message). */
  maxMessages: number;
  /**
   * How long a batch that is not full waits for more messages before it is written. 0: it is
   * written as soon as the writer is free and the messages already received have been queued
   * (group commit: what arrives while a transaction runs goes into the next one).
   */
  maxDelayMs: number;
};

export const DEFAULT_BATCH: BatchOptions = { maxMessages: 64, maxDelayMs: 0 };

/**
 * A queue with one writer: items are written in arrival order, up to `maxMessages` at a time, and
 * one batch only after the one before it finished. `write` settles every item of its batch (it
 * resolves or rejects each one's promise) and must not throw.
 */
export class GroupCommit<T> {
  readonly #queue: T[] = [];
  #writing = false;
  private opts: BatchOptions = DEFAULT_BATCH;

  /**
   * `alone`: an item that is written in a batch of its own (a birth reconciles every miner of its
   * agent: hundreds of statements whose row locks, held to the end of a batch of many births, kept
   * the other replica waiting for minutes in the scale rehearsal).
   */
  constructor(
    opts: BatchOptions,
    private readonly write: (batch: T[]) => Promise<void>,
    private readonly alone: (item: T) => boolean = () => false,
  ) {
    this.configure(opts);
  }

  /** Takes effect from the next batch. */
  configure(opts: Partial<BatchOptions>): void {
    const next = { ...this.opts, ...opts };
    if (!Number.isInteger(next.maxMessages) || next.maxMessages < 1)
      throw new Error(`ingest batching: maxMessages must be a whole number >= 1, got ${next.maxMessages}`);
    if (!(next.maxDelayMs >= 0))
      throw new Error(`ingest batching: maxDelayMs must be >= 0, got ${next.maxDelayMs}`);
    this.opts = next;
  }

  /** Items queued and not yet taken by the writer. */
  get queued(): number {
    return this.#queue.length;
  }

  push(item: T): void {
    this.#queue.push(item);
    if (!this.#writing) {
      this.#writing = true;
      void this.#drain();
    }
  }

  /** How many queued items the next batch takes: up to maxMessages, an `alone` item by itself. */
  #next(): number {
    const q = this.#queue;
    if (this.alone(q[0]!)) return 1;
    let n = 1;
    while (n < this.opts.maxMessages && n < q.length && !this.alone(q[n]!)) n++;
    return n;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length) {
        // One turn of the event loop (or the configured window), so the messages the broker link
        // has already received join this batch instead of each opening its own transaction.
        if (this.opts.maxMessages > 1) {
          await new Promise<void>((r) =>
            this.opts.maxDelayMs > 0 && this.#queue.length < this.opts.maxMessages
              ? setTimeout(r, this.opts.maxDelayMs)
              : setImmediate(r),
          );
        }
        await this.write(this.#queue.splice(0, this.#next()));
      }
    } finally {
      this.#writing = false;
    }
  }
}
