import { type AgentEvent, LIMITS, type MinerSample, type Unreachable } from '@hashfleet/contracts';

export type TelemetryBatch = { samples: MinerSample[]; unreachable: Unreachable[] };

/**
 * Collects poll results into telemetry batches bounded in count (`maxItems`) and in time
 * (`maxDelayMs` after the first item), and events into their own batches. Holds at most one batch
 * of each in memory; a full batch goes to `flushTelemetry` / `flushEvents` (the spool) at once.
 */
export class Batcher {
  #batch: TelemetryBatch = { samples: [], unreachable: [] };
  #events: AgentEvent[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly opts: { maxItems: number; maxDelayMs: number },
    private readonly flushTelemetry: (b: TelemetryBatch) => void,
    private readonly flushEvents: (events: AgentEvent[]) => void,
  ) {}

  sample(s: MinerSample): void {
    this.#batch.samples.push(s);
    this.#added();
  }

  unreachable(u: Unreachable): void {
    this.#batch.unreachable.push(u);
    this.#added();
  }

  event(e: AgentEvent): void {
    this.#events.push(e);
    if (this.#events.length >= LIMITS.maxEventsPerMessage) this.#flushEventsNow();
    else this.#arm();
  }

  #added(): void {
    const b = this.#batch;
    if (b.samples.length >= this.opts.maxItems || b.unreachable.length >= this.opts.maxItems) this.flush();
    else this.#arm();
  }

  #arm(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.flush(), this.opts.maxDelayMs);
  }

  #flushEventsNow(): void {
    if (this.#events.length === 0) return;
    const events = this.#events;
    this.#events = [];
    this.flushEvents(events);
  }

  /** Hands over whatever is pending (end of a cycle, a timer, or shutdown). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    // Events first: an identity change is known before the samples that carry the new identity.
    this.#flushEventsNow();
    const b = this.#batch;
    if (b.samples.length === 0 && b.unreachable.length === 0) return;
    this.#batch = { samples: [], unreachable: [] };
    this.flushTelemetry(b);
  }

  stop(): void {
    this.flush();
  }
}

/** Splits a batch in halves until each half serialises under the payload limit. */
export function splitToFit<T extends TelemetryBatch>(
  batch: T,
  size: (b: T) => number,
  limit: number = LIMITS.maxPayloadBytes - 4096,
): T[] {
  if (size(batch) <= limit || batch.samples.length + batch.unreachable.length <= 1) return [batch];
  const hs = Math.ceil(batch.samples.length / 2);
  const hu = Math.ceil(batch.unreachable.length / 2);
  const a = { ...batch, samples: batch.samples.slice(0, hs), unreachable: batch.unreachable.slice(0, hu) };
  const b = { ...batch, samples: batch.samples.slice(hs), unreachable: batch.unreachable.slice(hu) };
  return [...splitToFit(a, size, limit), ...splitToFit(b, size, limit)];
}
