import { Problem as ErrorLine, Loading, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { when } from '../format.js';
import { type MinerRow, problemsOf } from '../problems.js';
import { href } from '../router.js';
import type { MinerEvent, MinerPage } from '../shapes.js';
import { usePoll } from '../use-poll.js';

/** What needs a human: miners the API shows as offline, erroring, hot or slow; then recent events. */
export function AlertsView() {
  const miners = usePoll<MinerPage<MinerRow>>('/miners?limit=1000', 15_000);
  const events = usePoll<MinerEvent[]>('/events?limit=30', 15_000);
  const problems = miners.data ? problemsOf(miners.data.miners) : null;
  const truncated = miners.data && miners.data.total > miners.data.miners.length;
  return (
    <div class="page">
      <h1>Alerts</h1>
      <p class="muted">
        The controller has no alert rules or tickets yet; this list applies fixed checks (offline, error, chip
        ≥ 85 °C, &lt; 70 % of expected hashrate) to the miners the API reports.
      </p>
      <Section title={`Hot or dead miners${problems ? ` (${problems.length})` : ''}`}>
        <ErrorLine error={miners.error} />
        {!problems && !miners.error && <Loading what="miners" />}
        {truncated && (
          <p class="muted">
            Checked the first {miners.data!.miners.length} of {miners.data!.total} miners.
          </p>
        )}
        {problems && (
          <Table
            rows={problems}
            testid="problems"
            empty="Nothing needs a look."
            columns={[
              { label: 'Severity', cell: (p) => <span class={`sev sev-${p.severity}`}>{p.severity}</span> },
              { label: 'Check', cell: (p) => p.rule },
              {
                label: 'Miner',
                cell: (p) => (
                  <a
                    href={
                      p.row.containerId
                        ? href('containers', p.row.containerId, 'miners', p.minerId)
                        : href('miners', p.minerId)
                    }
                  >
                    {p.minerId}
                  </a>
                ),
              },
              {
                label: 'Where',
                cell: (p) => [p.row.containerId, p.row.rack, p.row.slot].filter(Boolean).join(' / ') || '–',
              },
              { label: 'Detail', cell: (p) => p.detail },
            ]}
          />
        )}
      </Section>
      <Section title="Recent events">
        <ErrorLine error={events.error} />
        {events.data && (
          <Table
            rows={events.data}
            empty="No events."
            columns={[
              { label: 'When', cell: (e) => when(e.at) },
              { label: 'Kind', cell: (e) => e.kind },
              {
                label: 'Miner',
                cell: (e) => (e.minerId ? <a href={href('miners', e.minerId)}>{e.minerId}</a> : '–'),
              },
              { label: 'Details', cell: (e) => (e.details ? JSON.stringify(e.details) : '') },
            ]}
          />
        )}
      </Section>
    </div>
  );
}
