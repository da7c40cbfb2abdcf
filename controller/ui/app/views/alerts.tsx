import { useState } from 'preact/hooks';
import { Problem as ErrorLine, Loading, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { ago, when } from '../format.js';
import { type AlertRow, alertsQuery, alertWhere, KIND_LABELS } from '../problems.js';
import { href } from '../router.js';
import { post } from '../session.js';
import type { ContainerSummary, MinerEvent, SiteRollup } from '../shapes.js';
import { usePoll } from '../use-poll.js';

/**
 * What needs a human: the controller's alerts (rules, hysteresis and notifications are server
 * side), filtered by state, site and container, each with its container / rack / slot and a link
 * to the miner; then recent events. Acknowledge (staff) and silence for an hour (operators).
 */
export function AlertsView() {
  const [filter, setFilter] = useState({ state: 'open', site: '', container: '' });
  const [refresh, setRefresh] = useState(0);
  const alerts = usePoll<AlertRow[]>(`${alertsQuery(filter)}&_=${refresh}`, 15_000);
  const sites = usePoll<SiteRollup[]>('/sites', 60_000);
  const containers = usePoll<ContainerSummary[]>('/containers', 60_000);
  const events = usePoll<MinerEvent[]>('/events?limit=30', 15_000);
  const [message, setMessage] = useState<string | null>(null);
  const act = async (what: string, f: () => Promise<unknown>) => {
    setMessage(`${what}…`);
    try {
      await f();
      setMessage(`${what}: done`);
      setRefresh((n) => n + 1);
    } catch (err) {
      setMessage(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const set = (key: keyof typeof filter) => (e: Event) =>
    setFilter({ ...filter, [key]: (e.currentTarget as HTMLSelectElement).value });
  const rows = alerts.data;
  return (
    <div class="page">
      <h1>Alerts</h1>
      <div class="filters">
        <label>
          State{' '}
          <select value={filter.state} onChange={set('state')} data-testid="alerts-state">
            <option value="open">open</option>
            <option value="resolved">resolved</option>
            <option value="">all</option>
          </select>
        </label>{' '}
        <label>
          Site{' '}
          <select value={filter.site} onChange={set('site')}>
            <option value="">all</option>
            {(sites.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          Container{' '}
          <select value={filter.container} onChange={set('container')}>
            <option value="">all</option>
            {(containers.data ?? [])
              .filter((c) => !filter.site || c.siteId === filter.site)
              .map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
          </select>
        </label>
      </div>
      {message && <p class="muted">{message}</p>}
      <Section title={`Alerts${rows ? ` (${rows.length})` : ''}`}>
        <ErrorLine error={alerts.error} />
        {!rows && !alerts.error && <Loading what="alerts" />}
        {rows && (
          <Table
            rows={rows}
            testid="problems"
            empty={filter.state === 'open' ? 'Nothing needs a look.' : 'No alerts.'}
            columns={[
              { label: 'Severity', cell: (a) => <span class={`sev sev-${a.severity}`}>{a.severity}</span> },
              { label: 'Alert', cell: (a) => KIND_LABELS[a.kind] ?? a.kind },
              {
                label: 'Miner',
                cell: (a) =>
                  a.minerId ? (
                    <a
                      href={
                        a.containerId
                          ? href('containers', a.containerId, 'miners', a.minerId)
                          : href('miners', a.minerId)
                      }
                    >
                      {a.minerId}
                    </a>
                  ) : (
                    a.subject
                  ),
              },
              { label: 'Where', cell: alertWhere },
              { label: 'Detail', cell: (a) => a.message },
              {
                label: 'Since',
                cell: (a) =>
                  a.state === 'open' ? ago(a.openedAt) : `${when(a.openedAt)} – ${when(a.resolvedAt)}`,
              },
              {
                label: '',
                cell: (a) =>
                  a.state !== 'open' ? null : (
                    <span class="actions">
                      {a.ackedAt ? (
                        <span class="muted">ack {a.ackedBy}</span>
                      ) : (
                        <button
                          type="button"
                          onClick={() => act(`acknowledge ${a.kind}`, () => post(`/alerts/${a.id}/ack`, {}))}
                        >
                          Ack
                        </button>
                      )}{' '}
                      {a.silencedUntil ? (
                        <span class="muted">silenced until {when(a.silencedUntil)}</span>
                      ) : (
                        <button
                          type="button"
                          onClick={() =>
                            act(`silence ${a.kind}`, () =>
                              post(`/alerts/${a.id}/silence`, {
                                minutes: 60,
                                reason: 'silenced from the alerts view',
                              }),
                            )
                          }
                        >
                          Silence 1 h
                        </button>
                      )}
                    </span>
                  ),
              },
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
