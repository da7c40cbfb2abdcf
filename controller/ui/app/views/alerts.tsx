import { useState } from 'preact/hooks';
import { alertMessage } from '../alert-message.js';
import { Problem as ErrorLine, Loading, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { Time } from '../components/time.js';
import { describeEvent } from '../events.js';
import { ago, when } from '../format.js';
import { t } from '../i18n.js';
import { label } from '../labels.js';
import { type AlertRow, alertsQuery, alertWhere } from '../problems.js';
import { href } from '../router.js';
import { post } from '../session.js';
import { type ContainerSummary, type MinerEvent, minerName, type SiteRollup } from '../shapes.js';
import { usePoll } from '../use-poll.js';

/**
 * What needs a human: the controller's alerts (rules, hysteresis and notifications are server
 * side), filtered by state, site and container, each with its container / rack / slot and a link
 * to the miner; then recent events. Acknowledge (staff) and silence for an hour (operators).
 *
 * Long because a view is mostly markup: the filters, the alerts table and the events list render from
 * one state; the row parts are components of their own.
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
      setMessage(t('common.done', { what }));
      setRefresh((n) => n + 1);
    } catch (err) {
      setMessage(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const set = (key: keyof typeof filter) => (e: Event) =>
    setFilter({ ...filter, [key]: (e.currentTarget as HTMLSelectElement).value });
  const rows = alerts.data;
  const siteTz = (siteId: string | null) => sites.data?.find((s) => s.id === siteId)?.timezone;
  return (
    <div class="page">
      <h1>{t('nav.alerts')}</h1>
      <div class="filters">
        <label>
          {t('common.state')}{' '}
          <select value={filter.state} onChange={set('state')} data-testid="alerts-state">
            <option value="open">{label('alertState', 'open')}</option>
            <option value="resolved">{label('alertState', 'resolved')}</option>
            <option value="">{t('common.all')}</option>
          </select>
        </label>{' '}
        <label>
          {t('common.site')}{' '}
          <select value={filter.site} onChange={set('site')}>
            <option value="">{t('common.all')}</option>
            {(sites.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          {t('common.container')}{' '}
          <select value={filter.container} onChange={set('container')}>
            <option value="">{t('common.all')}</option>
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
      <Section title={rows ? t('alerts.titleCount', { count: rows.length }) : t('nav.alerts')}>
        <ErrorLine error={alerts.error} />
        {!rows && !alerts.error && <Loading what={t('what.alerts')} />}
        {rows && (
          <Table
            rows={rows}
            testid="problems"
            empty={filter.state === 'open' ? t('alerts.nothing') : t('alerts.none')}
            columns={[
              {
                label: t('alerts.severity'),
                cell: (a) => <span class={`sev sev-${a.severity}`}>{label('severity', a.severity)}</span>,
              },
              { label: t('alerts.alert'), cell: (a) => label('alertKind', a.kind) },
              {
                label: t('common.miner'),
                cell: (a) =>
                  a.minerId ? (
                    <a
                      href={
                        a.containerId
                          ? href('containers', a.containerId, 'miners', a.minerId)
                          : href('miners', a.minerId)
                      }
                    >
                      {minerName(a)}
                    </a>
                  ) : (
                    subjectName(a.subject)
                  ),
              },
              { label: t('common.where'), cell: (a) => alertWhere(a) || t('miner.notInSlot') },
              { label: t('alerts.detail'), cell: alertDetail },
              {
                label: t('alerts.since'),
                cell: (a) =>
                  a.state === 'open' ? (
                    <span title={when(a.openedAt, siteTz(a.siteId))}>{ago(a.openedAt)}</span>
                  ) : (
                    <>
                      <Time at={a.openedAt} tz={siteTz(a.siteId)} /> –{' '}
                      <Time at={a.resolvedAt} tz={siteTz(a.siteId)} />
                    </>
                  ),
              },
              {
                label: '',
                cell: (a) =>
                  a.state !== 'open' ? null : (
                    <span class="actions">
                      {a.ackedAt ? (
                        <span class="muted">{t('alerts.ackedBy', { who: a.ackedBy })}</span>
                      ) : (
                        <button
                          type="button"
                          onClick={() =>
                            act(t('alerts.ackWhat', { kind: label('alertKind', a.kind) }), () =>
                              post(`/alerts/${a.id}/ack`, {}),
                            )
                          }
                        >
                          {t('alerts.ack')}
                        </button>
                      )}{' '}
                      {a.silencedUntil ? (
                        <span class="muted">
                          {t('alerts.silencedUntil', { when: when(a.silencedUntil, siteTz(a.siteId)) })}
                        </span>
                      ) : (
                        <button
                          type="button"
                          onClick={() =>
                            act(t('alerts.silenceWhat', { kind: label('alertKind', a.kind) }), () =>
                              post(`/alerts/${a.id}/silence`, {
                                minutes: 60,
                                reason: 'silenced from the alerts view',
                              }),
                            )
                          }
                        >
                          {t('alerts.silence1h')}
                        </button>
                      )}
                    </span>
                  ),
              },
            ]}
          />
        )}
      </Section>
      <Section title={t('events.recent')}>
        <ErrorLine error={events.error} />
        {events.data && (
          <Table
            rows={events.data}
            empty={t('events.none')}
            columns={[
              { label: t('common.when'), cell: (e) => <Time at={e.at} /> },
              {
                label: t('common.miner'),
                cell: (e) => (e.minerId ? <a href={href('miners', e.minerId)}>{minerName(e)}</a> : '–'),
              },
              { label: t('events.what'), cell: (e) => describeEvent(e.kind, e.details) },
            ]}
          />
        )}
      </Section>
    </div>
  );
}

/** An alert's subject without its internal id: `pdu:pdu-3/outlet:7` reads as is, `miner:<uuid>` does not. */
function subjectName(subject: string): string {
  return subject.replace(/^(miner|agent|container):/, '');
}

/** The alert's message in the user's language; the agent's own error text, when it gave one, on hover. */
function alertDetail(a: AlertRow) {
  const error = a.details?.['error'];
  return (
    <span title={typeof error === 'string' ? error : undefined} data-testid="alert-message">
      {alertMessage(a)}
    </span>
  );
}
