import { createServer, type Server } from 'node:http';
import type { AgentMetrics as AgentMetricsMessage } from '@hashfleet/contracts';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

type SpoolLike = { messages: number; bytes: number; dropped: number };

/**
 * The agent's self-metrics: one prom-client registry (served on /metrics when enabled) and a window
 * of the same figures that rides along with telemetry (`agent` field), reset each time it is taken.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly #pollSeconds = new Histogram({
    name: 'hashfleet_agent_poll_seconds',
    help: 'Duration of one miner poll (all steps), by outcome',
    labelNames: ['outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  readonly #cycleSeconds = new Gauge({
    name: 'hashfleet_agent_poll_cycle_seconds',
    help: 'Duration of the last poll cycle',
    registers: [this.registry],
  });
  readonly #skipped = new Counter({
    name: 'hashfleet_agent_polls_skipped_total',
    help: 'Miners skipped by a poll cycle, by reason (busy: still being polled from the one before)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly #errors = new Counter({
    name: 'hashfleet_agent_errors_total',
    help: 'Failed requests and bad replies, by target kind and failure kind',
    labelNames: ['target', 'kind'],
    registers: [this.registry],
  });
  readonly #spoolMessages = new Gauge({
    name: 'hashfleet_agent_spool_messages',
    help: 'Messages waiting in the on-disk spool',
    registers: [this.registry],
  });
  readonly #spoolBytes = new Gauge({
    name: 'hashfleet_agent_spool_bytes',
    help: 'Bytes in the on-disk spool',
    registers: [this.registry],
  });
  readonly #drops = new Counter({
    name: 'hashfleet_agent_dropped_total',
    help: 'Messages or commands dropped, by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly #publishSeconds = new Histogram({
    name: 'hashfleet_agent_publish_seconds',
    help: 'From publish to PUBACK',
    labelNames: ['historical'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });
  readonly #unacked = new Gauge({
    name: 'hashfleet_agent_unacked_messages',
    help: 'Messages the broker acknowledged that wait for the controller end-to-end ack (still spooled)',
    registers: [this.registry],
  });
  readonly #unackedAge = new Gauge({
    name: 'hashfleet_agent_unacked_oldest_seconds',
    help: 'Age of the oldest message waiting for the controller ack, since its PUBACK',
    registers: [this.registry],
  });
  readonly #acks = new Counter({
    name: 'hashfleet_agent_acks_total',
    help: 'Spooled messages by what happened after PUBACK: acked by the controller, republished (no ack in time), or an ack message rejected',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly #missing = new Counter({
    name: 'hashfleet_agent_pdu_missing_total',
    help: 'PDU readings a PDU did not answer (e.g. no phase table), by reading',
    labelNames: ['reading'],
    registers: [this.registry],
  });
  readonly #commands = new Counter({
    name: 'hashfleet_agent_commands_total',
    help: 'Commands received, by status',
    labelNames: ['status'],
    registers: [this.registry],
  });

  #window = {
    polls: 0,
    errors: {} as Record<string, number>,
    lastCycleMs: null as number | null,
    latency: null as number | null,
  };
  totals = {
    polls: 0,
    skippedBusy: 0,
    pollErrors: 0,
    published: 0,
    historicalPublished: 0,
    dropped: 0,
    acked: 0,
    republished: 0,
  };

  poll(ms: number, error: string | null): void {
    this.#pollSeconds.observe({ outcome: error ? 'error' : 'ok' }, ms / 1000);
    this.#window.polls++;
    this.totals.polls++;
    if (error) {
      this.totals.pollErrors++;
      this.#window.errors[error] = (this.#window.errors[error] ?? 0) + 1;
      this.#errors.inc({ target: 'miner', kind: error });
    }
  }

  error(target: 'miner' | 'pdu' | 'command' | 'discovery', kind: string): void {
    this.#errors.inc({ target, kind });
  }

  pduMissing(reading: string): void {
    this.#missing.inc({ reading });
  }

  skipped(reason: 'busy'): void {
    this.#skipped.inc({ reason });
    this.totals.skippedBusy++;
  }

  cycle(ms: number): void {
    this.#cycleSeconds.set(ms / 1000);
    this.#window.lastCycleMs = Math.round(ms);
  }

  spooled(spool: SpoolLike): void {
    this.#spoolMessages.set(spool.messages);
    this.#spoolBytes.set(spool.bytes);
  }

  dropped(reason: string): void {
    this.#drops.inc({ reason });
    this.totals.dropped++;
  }

  published(ms: number, historical: boolean): void {
    this.#publishSeconds.observe({ historical: String(historical) }, ms / 1000);
    this.#window.latency = Math.round(ms);
    this.totals.published++;
    if (historical) this.totals.historicalPublished++;
  }

  unacked(count: number, oldestMs: number): void {
    this.#unacked.set(count);
    this.#unackedAge.set(oldestMs / 1000);
  }

  acked(n: number): void {
    this.#acks.inc({ outcome: 'acked' }, n);
    this.totals.acked += n;
  }

  republished(n: number): void {
    this.#acks.inc({ outcome: 'republished' }, n);
    this.totals.republished += n;
  }

  ackRejected(): void {
    this.#acks.inc({ outcome: 'rejected' });
  }

  command(status: string): void {
    this.#commands.inc({ status });
  }

  /** The telemetry `agent` block for the window since the last call. */
  take(spool: SpoolLike): AgentMetricsMessage {
    const w = this.#window;
    this.#window = { polls: 0, errors: {}, lastCycleMs: w.lastCycleMs, latency: w.latency };
    return {
      pollCycleMs: w.lastCycleMs,
      polls: w.polls,
      pollErrors: w.errors,
      spoolMessages: spool.messages,
      spoolBytes: spool.bytes,
      spoolDropped: spool.dropped,
      publishLatencyMs: w.latency,
    };
  }
}

/** Serves GET /metrics on a local port; returns the server so the agent can close it. */
export function serveMetrics(metrics: AgentMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(`${err.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
