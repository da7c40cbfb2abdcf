import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The alert engine's figures on /metrics (one set per registry, so several apps can share a process). */
export function alertMetrics(registry: Registry) {
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  return {
    transitions:
      existing<Counter<'kind' | 'transition'>>('hashfleet_alert_transitions_total') ??
      new Counter({
        name: 'hashfleet_alert_transitions_total',
        help: 'Alerts opened and resolved, by kind',
        labelNames: ['kind', 'transition'],
        registers: [registry],
      }),
    open:
      existing<Gauge<'kind' | 'severity'>>('hashfleet_alerts_open') ??
      new Gauge({
        name: 'hashfleet_alerts_open',
        help: 'Open alerts after the last evaluation, by kind and severity',
        labelNames: ['kind', 'severity'],
        registers: [registry],
      }),
    notifications:
      existing<Counter<'result'>>('hashfleet_alert_notifications_total') ??
      new Counter({
        name: 'hashfleet_alert_notifications_total',
        help: 'Webhook delivery attempts by result (delivered, retry, dead)',
        labelNames: ['result'],
        registers: [registry],
      }),
    tickSeconds:
      existing<Histogram<'stage'>>('hashfleet_alert_tick_seconds') ??
      new Histogram({
        name: 'hashfleet_alert_tick_seconds',
        help: 'Alert evaluation time by stage (read, evaluate, write)',
        labelNames: ['stage'],
        buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
        registers: [registry],
      }),
  };
}
export type AlertMetrics = ReturnType<typeof alertMetrics>;
