import { ACK_LIMITS, type Acks, PROTOCOL_VERSION, seqRanges, topics } from '@hashfleet/contracts';

export type AckPublish = (topic: string, payload: string) => Promise<void>;

/** Pending acks of one agent: bootId -> seqs. */
type Pending = Map<string, Set<number>>;

/**
 * Builds the acks messages for one agent's pending seqs, each within ACK_LIMITS (pure).
 */
export function ackMessages(agentId: string, pending: Pending, sentAt: number): Acks[] {
  const out: Acks[] = [];
  let current: Acks['boots'] = [];
  for (const [bootId, seqs] of pending) {
    const ranges = seqRanges(seqs);
    for (let i = 0; i < ranges.length; i += ACK_LIMITS.maxRangesPerBoot) {
      if (current.length >= ACK_LIMITS.maxBoots) {
        out.push({ v: PROTOCOL_VERSION, kind: 'acks', agentId, sentAt, boots: current });
        current = [];
      }
      current.push({ bootId, ranges: ranges.slice(i, i + ACK_LIMITS.maxRangesPerBoot) });
    }
  }
  if (current.length) out.push({ v: PROTOCOL_VERSION, kind: 'acks', agentId, sentAt, boots: current });
  return out;
}

/**
 * The controller's end-to-end acknowledgements: ingest reports each message it committed (or
 * recognised as a duplicate), and the queue publishes them per agent on the event loop's next turn,
 * so the acks of one committed batch go out together, one message per agent (more only past
 * ACK_LIMITS), as soon as it is durable; or at once when an agent has `maxPending` waiting. Until
 * 2026-12 they waited for a 1 s timer, which put up to a second into every publish-to-durable time
 * (docs/operations.md, the scale rehearsal). A publish that fails (link down) puts its seqs back
 * without scheduling a flush, so they go out on the `intervalMs` timer, never in a loop; an ack
 * that never arrives only costs the agent a republish, which dedupe absorbs.
 */
export class AckQueue {
  readonly #pending = new Map<string, Pending>();
  readonly #counts = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #soon: NodeJS.Immediate | null = null;

  constructor(
    private readonly publish: AckPublish,
    private readonly now: () => number,
    private readonly opts: { intervalMs: number; maxPending: number } = { intervalMs: 1000, maxPending: 500 },
    private readonly onError: (agentId: string, err: Error) => void = () => {},
  ) {
    this.#timer = setInterval(() => this.flush(), opts.intervalMs);
    this.#timer.unref();
  }

  add(agentId: string, bootId: string, seq: number): void {
    if (this.#put(agentId, bootId, seq) >= this.opts.maxPending) this.#flushAgent(agentId);
    else
      this.#soon ??= setImmediate(() => {
        this.#soon = null;
        this.flush();
      });
  }

  /** Queues without flushing: a failed publish puts its seqs back this way, never in a loop. */
  #put(agentId: string, bootId: string, seq: number): number {
    const pending = this.#pending.get(agentId) ?? new Map<string, Set<number>>();
    this.#pending.set(agentId, pending);
    const seqs = pending.get(bootId) ?? new Set<number>();
    pending.set(bootId, seqs);
    seqs.add(seq);
    const n = (this.#counts.get(agentId) ?? 0) + 1;
    this.#counts.set(agentId, n);
    return n;
  }

  /** Agents with acks waiting. */
  get agents(): number {
    return this.#pending.size;
  }

  flush(): void {
    for (const agentId of [...this.#pending.keys()]) this.#flushAgent(agentId);
  }

  #flushAgent(agentId: string): void {
    const pending = this.#pending.get(agentId);
    if (!pending) return;
    this.#pending.delete(agentId);
    this.#counts.delete(agentId);
    for (const msg of ackMessages(agentId, pending, this.now())) {
      this.publish(topics.acks(agentId), JSON.stringify(msg)).catch((err: Error) => {
        for (const boot of msg.boots)
          for (const [from, to] of boot.ranges)
            for (let s = from; s <= to; s++) this.#put(agentId, boot.bootId, s);
        this.onError(agentId, err);
      });
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    if (this.#soon) clearImmediate(this.#soon);
    this.#soon = null;
  }
}
