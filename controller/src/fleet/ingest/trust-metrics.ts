import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../../core/storage/db.js';
import { missingSeqs } from './seq.js';

/**
 * Issue 17's ingest counters, registered on the app's registry (once per registry, so a second
 * ingest on one app reuses them).
 */
export function trustMetrics(registry: Registry, db: Db) {
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  const rejected =
    existing<Counter<'reason' | 'agent'>>('hashfleet_ingest_rejected_total') ??
    new Counter({
      name: 'hashfleet_ingest_rejected_total',
      help: 'Valid agent messages refused: reason foreign_place (the agent is bound elsewhere or the container to another agent), unbound (the agent is bound nowhere and ingest.unboundAgents is refuse); foreign_miner counts samples left out of an applied message for naming a miner of a container bound to another agent',
      labelNames: ['reason', 'agent'],
      registers: [registry],
    });
  const unbound =
    existing<Counter<'agent'>>('hashfleet_ingest_unbound_total') ??
    new Counter({
      name: 'hashfleet_ingest_unbound_total',
      help: 'Messages accepted from an agent with no registry binding for an unbound container (bind it: token create --site --container)',
      labelNames: ['agent'],
      registers: [registry],
    });
  const gaps =
    existing<Counter<'agent'>>('hashfleet_ingest_seq_gaps_total') ??
    new Counter({
      name: 'hashfleet_ingest_seq_gaps_total',
      help: 'Data seqs skipped when a higher one arrived (counted by the replica that applied it; sum over replicas); a late arrival is in hashfleet_ingest_seq_late_total',
      labelNames: ['agent'],
      registers: [registry],
    });
  const late =
    existing<Counter<'agent'>>('hashfleet_ingest_seq_late_total') ??
    new Counter({
      name: 'hashfleet_ingest_seq_late_total',
      help: 'Data messages that arrived after a higher seq (earlier counted as skipped)',
      labelNames: ['agent'],
      registers: [registry],
    });
  if (!existing('hashfleet_ingest_seq_missing'))
    new Gauge({
      name: 'hashfleet_ingest_seq_missing',
      help: 'Data seqs never received, per agent over all its boots, read from the database (the same on every replica: take max, not sum)',
      labelNames: ['agent'],
      registers: [registry],
      async collect() {
        this.reset();
        try {
          for (const r of await missingSeqs(db)) this.set({ agent: r.agentId }, r.missing);
        } catch {
          // Storage down: the gauge is absent for this scrape; /ready says why.
        }
      },
    });
  const implausible =
    existing<Counter<'field'>>('hashfleet_ingest_implausible_total') ??
    new Counter({
      name: 'hashfleet_ingest_implausible_total',
      help: "Sample figures outside their model's envelope (kept raw, marked, left out of roll-ups and accounting); field without its index",
      labelNames: ['field'],
      registers: [registry],
    });
  return { rejected, unbound, gaps, late, implausible };
}
