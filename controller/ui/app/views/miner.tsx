import { useMemo, useState } from 'preact/hooks';
import { Loading, Problem, Section, Tile } from '../components/bits.js';
import { TimeChart } from '../components/chart.js';
import { ago, hashrate, power, rpm, temp, when } from '../format.js';
import { ACTIONS_BY_ROLE, type Me } from '../roles.js';
import { post } from '../session.js';
import { type HistoryPoint, historyOf, listOf, type MinerDetail, type MinerEvent } from '../shapes.js';
import { usePoll } from '../use-poll.js';

const HISTORY_H = 6;

/** One miner: figures, boards, fans, hashrate history, recent events and actions, action buttons. */
export function MinerPanel({ me, minerId, onClose }: { me: Me; minerId: string; onClose?: () => void }) {
  const id = encodeURIComponent(minerId);
  const miner = usePoll<MinerDetail>(`/miners/${id}`, 10_000);
  const from = useMemo(() => Date.now() - HISTORY_H * 3600_000, [minerId]);
  const history = usePoll<unknown>(`/miners/${id}/history?from=${from}&stepS=60`, 60_000);
  const events = usePoll<unknown>(`/miners/${id}/events?limit=20`, 15_000);
  const m = miner.data;
  const s = m?.latest ?? null;
  return (
    <div class="miner-panel" data-testid="miner-panel" data-miner={minerId}>
      <div class="section-head">
        <h2>
          {m?.model ?? 'Miner'} <code>{minerId}</code>
        </h2>
        {onClose && (
          <button type="button" onClick={onClose} aria-label="close">
            ×
          </button>
        )}
      </div>
      <Problem error={miner.error} />
      {!m && !miner.error && <Loading what="miner" />}
      {m && (
        <>
          <p class="muted">
            {m.serial ?? 'no serial'} · {s?.ip ?? m.ip ?? '–'} · {m.profile ?? '–'} {m.firmwareVersion ?? ''}{' '}
            · sample {ago(m.at ?? s?.at ?? null)}
          </p>
          <div class="tiles">
            <Tile label="State" value={m.status ?? s?.state ?? '–'} testid="miner-state" />
            <Tile
              label="Hashrate"
              value={hashrate(s?.hashrateAvgThs ?? s?.hashrate5sThs)}
              hint={`expected ${hashrate(s?.expectedHashrateThs)}`}
            />
            <Tile label="Chip max" value={temp(s?.chipTempMaxC)} testid="miner-chip-temp" />
            <Tile label="Power" value={power(s?.powerW)} hint={s?.powerProvenance ?? undefined} />
          </div>
          {s && (
            <>
              <table class="boards">
                <thead>
                  <tr>
                    <th>Board</th>
                    <th>Hashrate</th>
                    <th>Expected</th>
                    <th>Chips</th>
                    <th>Chip °C</th>
                    <th>Board °C</th>
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
                Fans: {s.fansRpm.length === 0 ? '–' : s.fansRpm.map((f) => rpm(f)).join(' · ')} · inlet{' '}
                {temp(s.inletTempC)} · outlet {temp(s.outletTempC)} · pool{' '}
                {s.pool ? `${s.pool.url} (${s.pool.user})` : '–'}
              </p>
            </>
          )}
          <Actions me={me} minerId={minerId} />
        </>
      )}
      <Section title={`Hashrate, last ${HISTORY_H} h`}>
        <Problem error={history.error} />
        <HistoryChart points={history.data ? historyOf(history.data) : null} />
      </Section>
      <Section title="Recent events and actions">
        <Problem error={events.error} />
        <EventList events={events.data ? listOf<MinerEvent>(events.data) : null} />
      </Section>
    </div>
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
  if (!data) return <Loading what="history" />;
  if (data.xs.length < 2) return <p class="muted">Not enough history yet ({data.xs.length} point).</p>;
  return <TimeChart xs={data.xs} series={data.series} unit="TH/s" height={180} />;
}

function EventList({ events }: { events: MinerEvent[] | null }) {
  if (!events) return <Loading what="events" />;
  if (events.length === 0) return <p class="muted">No events.</p>;
  return (
    <ul class="events">
      {events.map((e, i) => (
        <li key={e.id ?? i}>
          <span class="muted">{when(e.at)}</span> <strong>{e.kind}</strong> {describe(e.details)}
        </li>
      ))}
    </ul>
  );
}

function describe(details: unknown): string {
  if (details === null || details === undefined) return '';
  if (typeof details === 'string') return details;
  return Object.entries(details as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

function Actions({ me, minerId }: { me: Me; minerId: string }) {
  const actions = ACTIONS_BY_ROLE[me.role];
  const [status, setStatus] = useState<string | null>(null);
  if (actions.length === 0) return null;
  const run = async (action: string) => {
    if (!confirm(`${action} miner ${minerId}?`)) return;
    setStatus(`${action}: sending…`);
    try {
      const cmd = await post<{ id?: string; state?: string }>(
        `/miners/${encodeURIComponent(minerId)}/commands`,
        { action },
      );
      setStatus(`${action}: ${cmd.state ?? 'accepted'}${cmd.id ? ` (command ${cmd.id})` : ''}`);
    } catch (err) {
      setStatus(`${action}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return (
    <div class="actions">
      {actions.map((a) => (
        <button type="button" key={a} onClick={() => run(a)}>
          {a}
        </button>
      ))}
      {status && <span class="muted">{status}</span>}
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
