/**
 * Logs a malformed message at most once per agent per minute (with the reason and how many were
 * suppressed), so one broken agent cannot flood the log. Counting is done by the caller's metric.
 */
export class MalformedLog {
  readonly #last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly log: (fields: Record<string, unknown>, msg: string) => void,
    private readonly windowMs = 60_000,
    private readonly what = 'malformed message rejected',
  ) {}

  report(agentId: string, topic: string, reason: string, now: number): boolean {
    const entry = this.#last.get(agentId);
    if (entry && now - entry.at < this.windowMs) {
      entry.suppressed += 1;
      return false;
    }
    this.log(
      { agentId, topic, reason, suppressedSinceLast: entry?.suppressed ?? 0 },
      `agent ${agentId}: ${topic}: ${this.what}: ${reason}`,
    );
    this.#last.set(agentId, { at: now, suppressed: 0 });
    if (this.#last.size > 100_000) this.#last.clear();
    return true;
  }
}
