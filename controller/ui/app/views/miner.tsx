import { useMemo, useState } from 'preact/hooks';
import { alertMessage } from '../alert-message.js';
import { Loading, Problem, Section, Tile } from '../components/bits.js';
import { TimeChart } from '../components/chart.js';
import { MinerProfitTile } from '../components/profit.js';
import { minerUrl, QrCode } from '../components/qr.js';
import { Time } from '../components/time.js';
import { describeEvent } from '../events.js';
import { ago, hashrate, power, rpm, temp } from '../format.js';
import { t } from '../i18n.js';
import { label } from '../labels.js';
import type { AlertRow } from '../problems.js';
import { ACTIONS_BY_ROLE, type Me, OUTLET_CYCLE_ROLES } from '../roles.js';
import { post } from '../session.js';
import { type HistoryPoint, historyOf, type MinerDetail, type MinerEvent, minerName } from '../shapes.js';
import { usePoll } from '../use-poll.js';
import { History } from './miner-history.js';

const HISTORY_H = 6;

/** One miner: figures, boards, fans, hashrate history, recent events and actions, action buttons. */
export type Outlet = { pduId: string; outlet: number };

export function MinerPanel({
  me,
  minerId,
  outlet = null,
  onClose,
}: {
  me: Me;
  minerId: string;
  outlet?: Outlet | null;
  onClose?: () => void;
}) {
  const id = encodeURIComponent(minerId);
  const miner = usePoll<MinerDetail>(`/miners/${id}`, 10_000);
  const from = useMemo(() => Date.now() - HISTORY_H * 3600_000, [minerId]);
  const history = usePoll<{ points: HistoryPoint[] }>(`/miners/${id}/history?from=${from}&stepS=60`, 60_000);
  const events = usePoll<MinerEvent[]>(`/miners/${id}/events`, 15_000);
  const alerts = usePoll<AlertRow[]>(`/alerts?state=open&miner=${id}&limit=50`, 15_000);
  const m = miner.data;
  // A miner its agent never found has a placeholder row with no readings (fleet/inventory/not-found.ts):
  // boards and fans are shown only from a sample that carries them.
  const s = m?.sample && Array.isArray(m.sample.boards) ? m.sample : null;
  // Bumped when this panel sends a command, so the server history shows it at once.
  const [bump, setBump] = useState(0);
  return (
    <div class="miner-panel" data-testid="miner-panel" data-miner={minerId}>
      <div class="section-head">
        <h2 data-testid="miner-title">
          {m ? minerName(m) : t('miner.title')} {m?.model && <span class="muted">{m.model}</span>}{' '}
          {m?.serial && <code>{m.serial}</code>}
        </h2>
        {onClose && (
          <button type="button" onClick={onClose} aria-label={t('common.close')}>
            ×
          </button>
        )}
      </div>
      <Problem error={miner.error} />
      {!m && !miner.error && <Loading what={t('what.miner')} />}
      {m && (
        <>
          <p class="muted">
            {[m.containerId, m.rack, m.slot].filter(Boolean).join(' / ') || t('miner.notInSlot')} ·{' '}
            {m.serial ?? t('miner.noSerial')} · {s?.ip ?? '–'} · {m.profile ?? '–'} {m.firmwareVersion ?? ''}{' '}
            · {t('miner.lastSample', { ago: ago(m.lastSeenAt) })}
          </p>
          <figure class="miner-qr" data-testid="miner-qr" style={{ margin: '0 0 0.5em', float: 'right' }}>
            <QrCode text={minerUrl(minerId)} size={72} what={minerName(m)} />
            <figcaption class="muted">{t('qr.openOnPhone')}</figcaption>
          </figure>
          <div class="tiles">
            <Tile
              label={t('miner.state')}
              value={label('minerState', m.online ? m.state : 'offline')}
              hint={label('minerStatus', m.status)}
              testid="miner-state"
            />
            <Tile
              label={t('common.hashrate')}
              // The controller's figure, the one the grid and the history show.
              value={hashrate(m.hashrateThs)}
              hint={t('miner.hashrateHint', {
                expected: hashrate(m.expectedThs),
                average: hashrate(s?.hashrateAvgThs),
              })}
            />
            <Tile label={t('miner.chipMax')} value={temp(m.chipTempMaxC)} testid="miner-chip-temp" />
            <Tile
              label={t('common.power')}
              value={power(m.powerW)}
              hint={m.powerProvenance ? label('provenance', m.powerProvenance) : undefined}
            />
            <MinerProfitTile minerId={minerId} />
          </div>
          {s && (
            <>
              <table class="boards">
                <thead>
                  <tr>
                    <th>{t('miner.board')}</th>
                    <th>{t('common.hashrate')}</th>
                    <th>{t('miner.expected')}</th>
                    <th>{t('miner.chips')}</th>
                    <th>{t('miner.chipC')}</th>
                    <th>{t('miner.boardC')}</th>
                  </tr>
                </thead>
                <tbody>
                  {s.boards.map((b) => (
                    <tr key={b.index}>
                      <td>{b.index}</td>
                      <td>{hashrate(b.hashrateThs)}</td>
                      <td>{hashrate(b.expectedHashrateThs)}</td>
                      <td>{b.chips ?? '–'}</td>
                      <td>{temp(b.chipTempC)}</td>
                      <td>{temp(b.boardTempC)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p class="fans">
                {t('miner.fansLine', {
                  fans: s.fansRpm.length === 0 ? '–' : s.fansRpm.map((f) => rpm(f)).join(' · '),
                  inlet: temp(s.inletTempC),
                  outlet: temp(s.outletTempC),
                  pool: s.pool ? `${s.pool.url} (${s.pool.user})` : '–',
                })}
              </p>
            </>
          )}
          <OpenAlerts alerts={alerts.data} />
          <Actions
            me={me}
            minerId={minerId}
            name={minerName(m)}
            outlet={outlet}
            onSent={() => setBump((b) => b + 1)}
          />
        </>
      )}
      <Section title={t('miner.historyTitle', { hours: HISTORY_H })}>
        <Problem error={history.error} />
        <HistoryChart points={history.data ? historyOf(history.data) : null} />
      </Section>
      <History minerId={minerId} bump={bump} />
      <Section title={t('events.recent')}>
        <Problem error={events.error} />
        <EventList events={events.data ? events.data.slice(0, 30) : null} />
      </Section>
    </div>
  );
}

/** The miner's open alerts, each worded in the user's language, the worst first (as the API orders them). */
function OpenAlerts({ alerts }: { alerts: AlertRow[] | null }) {
  if (!alerts || alerts.length === 0) return null;
  return (
    <ul class="events miner-alerts" data-testid="miner-alerts">
      {alerts.map((a) => (
        <li key={a.id}>
          <span class={`sev sev-${a.severity}`}>{label('severity', a.severity)}</span>{' '}
          <strong>{label('alertKind', a.kind)}</strong>:{' '}
          <span data-testid="alert-message">{alertMessage(a)}</span>{' '}
          <span class="muted">{t('miner.alertSince', { ago: ago(a.openedAt) })}</span>
        </li>
      ))}
    </ul>
  );
}

function HistoryChart({ points }: { points: HistoryPoint[] | null }) {
  const data = useMemo(() => {
    if (!points) return null;
    return {
      xs: points.map((p) => p.at / 1000),
      series: [{ label: 'TH/s', values: points.map((p) => p.hashrateThs), colour: '#1971c2' }],
    };
  }, [points]);
  if (!data) return <Loading what={t('what.history')} />;
  if (data.xs.length === 0) return <p class="muted">{t('miner.noHistory')}</p>;
  return <TimeChart xs={data.xs} series={data.series} unit="TH/s" height={180} />;
}

function EventList({ events }: { events: MinerEvent[] | null }) {
  if (!events) return <Loading what={t('what.events')} />;
  if (events.length === 0) return <p class="muted">{t('events.none')}</p>;
  return (
    <ul class="events">
      {events.map((e, i) => (
        <li key={e.id ?? i}>
          <span class="muted">
            <Time at={e.at} />
          </span>{' '}
          {describeEvent(e.kind, e.details)}
        </li>
      ))}
    </ul>
  );
}

/** Buttons for the role's actions; what happened to them is in the server history below. */
function Actions({
  me,
  minerId,
  name,
  outlet,
  onSent,
}: {
  me: Me;
  minerId: string;
  name: string;
  outlet: Outlet | null;
  onSent: () => void;
}) {
  const actions = ACTIONS_BY_ROLE[me.role];
  const [status, setStatus] = useState<string | null>(null);
  if (actions.length === 0) return null;
  const send = async (label: string, path: string, body: unknown) => {
    if (!confirm(t('miner.confirm', { action: label, miner: name }))) return;
    try {
      const cmd = await post<{ id: string; state: string }>(path, body);
      setStatus(`${label}: ${cmd.state}`);
      onSent();
    } catch (err) {
      setStatus(`${label}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const mid = encodeURIComponent(minerId);
  return (
    <div class="actions-box">
      <div class="actions">
        {actions.map((a) => (
          <button
            type="button"
            key={a.label}
            onClick={() => send(t(a.label), `/miners/${mid}/commands`, a.body)}
          >
            {t(a.label)}
          </button>
        ))}
        {outlet && OUTLET_CYCLE_ROLES.includes(me.role) && (
          <button
            type="button"
            onClick={() =>
              send(
                t('miner.cycleOutlet', { pdu: outlet.pduId, outlet: outlet.outlet }),
                `/pdus/${encodeURIComponent(outlet.pduId)}/outlets/${outlet.outlet}/commands`,
                { op: 'outlet.cycle' },
              )
            }
          >
            {t('miner.cycleOutlet', { pdu: outlet.pduId, outlet: outlet.outlet })}
          </button>
        )}
      </div>
      {status && <p class="muted">{status}</p>}
    </div>
  );
}

/** The same panel on a page of its own (`#/miners/:id`), for links from alerts and events. */
export function MinerView({ me, minerId }: { me: Me; minerId: string }) {
  return (
    <div class="page">
      <MinerPanel me={me} minerId={minerId} />
    </div>
  );
}
