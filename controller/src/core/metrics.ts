import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The controller's Prometheus metrics; one registry per app so several apps can share a process. */
export function createMetrics() {
  const registry = new Registry();
  // Process figures (CPU, memory, event-loop lag): what an operator checks first when ingest lags.
  collectDefaultMetrics({ register: registry });
  const c = <L extends string>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  return {
    registry,
    ingestMessages: c('hashfleet_ingest_messages_total', 'Agent messages ingested, by kind and result', [
      'kind',
      'result',
    ]),
    ingestSamples: c('hashfleet_ingest_samples_total', 'Miner samples applied to fleet state'),
    ingestMalformed: c('hashfleet_ingest_malformed_total', 'Agent messages rejected by validation', ['kind']),
    ingestDuplicates: c(
      'hashfleet_ingest_duplicates_total',
      'Agent messages seen before (QoS 1 redelivery)',
      ['kind'],
    ),
    ingestErrors: c(
      'hashfleet_ingest_errors_total',
      'Agent messages that failed to apply (retried by the broker)',
      ['kind'],
    ),
    ingestLatency: new Histogram({
      name: 'hashfleet_ingest_apply_seconds',
      help: 'Time to apply one agent message durably',
      labelNames: ['kind'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    ingestQueue: new Gauge({
      name: 'hashfleet_ingest_inflight',
      help: 'Messages received and not yet acknowledged',
      registers: [registry],
    }),
    commands: c('hashfleet_commands_total', 'Commands by op and state', ['op', 'state']),
    influxLines: new Gauge({
      name: 'hashfleet_influx_lines',
      help: 'InfluxDB writer counters (written, spilled, replayed, dropped, queued)',
      labelNames: ['counter'],
      registers: [registry],
    }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
