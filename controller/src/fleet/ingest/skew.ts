/**
 * An agent's clock against the controller's (docs/architecture.md §3.2: keep receipt time, flag
 * skew), judged from when its live messages were sent (`sentAt`, the agent's clock) and when they
 * reached ingest (ours). A message that waited in the broker or in ingest's queue makes the agent
 * look behind by its wait, and never ahead; so the least-delayed message of the last 5 to 10
 * minutes, the largest `sentAt - arrivedAt`, is the estimate. In the 100,000-miner rehearsal every
 * agent's first messages waited a minute or more while the fleet was first seen, and each was
 * logged as a clock 49 s behind, once per agent and replica.
 */
export type SkewEstimate = {
  /** The estimate in ms (positive: the agent's clock is ahead), and how long its evidence spans. */
  ms: number;
  spanMs: number;
};

type Window = { best: number; first: number; last: number };

/** Per agent, two windows of `windowMs`: the current one and the one before it. */
export class SkewTracker {
  private readonly agents = new Map<string, { now: Window; before: Window | null; start: number }>();

  constructor(private readonly windowMs = 300_000) {}

  /** Notes a live message; returns the agent's estimate with it. */
  note(agentId: string, sentAt: number, arrivedAt: number): SkewEstimate {
    const skew = sentAt - arrivedAt;
    let a = this.agents.get(agentId);
    if (!a || arrivedAt - a.start >= 2 * this.windowMs) {
      a = { now: { best: skew, first: arrivedAt, last: arrivedAt }, before: null, start: arrivedAt };
      this.agents.set(agentId, a);
    } else if (arrivedAt - a.start >= this.windowMs) {
      a.before = a.now;
      a.now = { best: skew, first: arrivedAt, last: arrivedAt };
      a.start = arrivedAt;
    } else {
      a.now.best = Math.max(a.now.best, skew);
      a.now.first = Math.min(a.now.first, arrivedAt);
      a.now.last = Math.max(a.now.last, arrivedAt);
    }
    return this.estimate(agentId)!;
  }

  /** The agent's estimate, or null before its first live message. */
  estimate(agentId: string): SkewEstimate | null {
    const a = this.agents.get(agentId);
    if (!a) return null;
    const w = a.before ? [a.before, a.now] : [a.now];
    return {
      ms: Math.max(...w.map((x) => x.best)),
      spanMs: Math.max(...w.map((x) => x.last)) - Math.min(...w.map((x) => x.first)),
    };
  }
}
