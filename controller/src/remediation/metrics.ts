import { Counter, Gauge, type Registry } from 'prom-client';

/** The ladder's figures on /metrics (one set per registry, so several apps can share a process). */
export function remediationMetrics(registry: Registry) {
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  return {
    steps:
      existing<Counter<'rung' | 'outcome'>>('hashfleet_remediation_steps_total') ??
      new Counter({
        name: 'hashfleet_remediation_steps_total',
        help: 'Ladder steps by rung and outcome: recorded (pending, skipped, throttled, ticket) and settled (verified, failed)',
        labelNames: ['rung', 'outcome'],
        registers: [registry],
      }),
    errors:
      existing<Counter>('hashfleet_remediation_errors_total') ??
      new Counter({
        name: 'hashfleet_remediation_errors_total',
        help: "Miners whose ladder could not be run in a tick (logged; the other miners' ladders go on)",
        registers: [registry],
      }),
    held:
      existing<Gauge<'site' | 'kind'>>('hashfleet_remediation_held_miners') ??
      new Gauge({
        name: 'hashfleet_remediation_held_miners',
        help: 'Miners whose ladder holds because their alert kind is open on a site-wide share of miners (remediation/service.ts MASS_SHARE), by site and kind, as of the last run',
        labelNames: ['site', 'kind'],
        registers: [registry],
      }),
    deferred:
      existing<Counter>('hashfleet_remediation_deferred_total') ??
      new Counter({
        name: 'hashfleet_remediation_deferred_total',
        help: 'Miners with open alerts a run left for the next one, having taken steps for as many miners as a run may (remediation/service.ts ACT_PER_RUN)',
        registers: [registry],
      }),
  };
}
export type RemediationMetrics = ReturnType<typeof remediationMetrics>;
