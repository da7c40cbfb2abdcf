import { useState } from 'preact/hooks';
import { Empty, Loading, Problem } from '../components/bits.js';
import { ContainerGrid, Legend } from '../components/grid.js';
import { PduPhases } from '../components/phases.js';
import { ProfitTable } from '../components/profit.js';
import { ago } from '../format.js';
import { t } from '../i18n.js';
import type { Me } from '../roles.js';
import { href } from '../router.js';
import { METRICS, type MetricId } from '../scales.js';
import { type ContainerDetail, type ContainerSummary, gridOf } from '../shapes.js';
import { usePoll } from '../use-poll.js';
import { DriftTable } from './desired.js';
import { MinerPanel } from './miner.js';

const METRIC_KEY = 'hashfleet.metric';
/** The grid refreshes this often; agents poll every 10 s in the demo, so 5 s shows each poll. */
const LIVE_MS = 5_000;

export function ContainerView({
  me,
  containerId,
  minerId,
}: {
  me: Me;
  containerId: string | null;
  minerId: string | null;
}) {
  const list = usePoll<ContainerSummary[]>('/containers', 30_000);
  const chosen = containerId ?? list.data?.[0]?.id ?? null;
  return (
    <div class="container-view">
      <aside class="container-list">
        <h2>{t('nav.container')}</h2>
        <Problem error={list.error} />
        {!list.data && !list.error && <Loading what={t('what.containers')} />}
        <ul>
          {(list.data ?? []).map((c) => (
            <li key={c.id}>
              <a href={href('containers', c.id)} class={c.id === chosen ? 'active' : ''}>
                {c.name ?? c.id}
                <small>{c.siteId}</small>
              </a>
            </li>
          ))}
        </ul>
      </aside>
      {chosen ? (
        <ContainerPanel me={me} containerId={chosen} minerId={minerId} />
      ) : (
        <Empty>{t('container.none')}</Empty>
      )}
    </div>
  );
}

function ContainerPanel({
  me,
  containerId,
  minerId,
}: {
  me: Me;
  containerId: string;
  minerId: string | null;
}) {
  const [metricId, setMetricId] = useState<MetricId>(
    () => (localStorage.getItem(METRIC_KEY) as MetricId) ?? 'chipTemp',
  );
  const detail = usePoll<ContainerDetail>(`/containers/${encodeURIComponent(containerId)}`, LIVE_MS);
  const pick = (id: MetricId) => {
    localStorage.setItem(METRIC_KEY, id);
    setMetricId(id);
  };
  const racks = detail.data ? gridOf(detail.data) : [];
  const outlet =
    detail.data?.racks.flatMap((r) => r.slots).find((s) => minerId !== null && s.minerId === minerId)
      ?.outlet ?? null;
  const slots = racks.flatMap((r) => r.slots);
  const occupied = slots.filter((s) => s.minerId !== null);
  return (
    <div class="container-panel">
      <div class="toolbar">
        <h1 data-testid="container-title">{detail.data?.name ?? containerId}</h1>
        <label>
          {t('container.colourBy')}{' '}
          <select
            value={metricId}
            onChange={(e) => pick((e.target as HTMLSelectElement).value as MetricId)}
            name="metric"
          >
            {METRICS.map((m) => (
              <option key={m.id} value={m.id}>
                {t(m.label)}
              </option>
            ))}
          </select>
        </label>
        <span class="muted" data-testid="grid-updated">
          {t('container.summary', { miners: occupied.length, slots: slots.length, ago: ago(detail.at) })}
        </span>
      </div>
      <Problem error={detail.error} />
      <Legend metricId={metricId} />
      <PduPhases pdus={detail.data?.pdus ?? []} />
      <div class="grid-and-detail">
        {detail.data ? (
          <ContainerGrid
            racks={racks}
            metricId={metricId}
            selected={minerId}
            onPick={(s) => {
              if (s.minerId) location.hash = href('containers', containerId, 'miners', s.minerId);
            }}
          />
        ) : (
          !detail.error && <Loading what={t('what.container')} />
        )}
        {minerId && (
          <MinerPanel
            me={me}
            minerId={minerId}
            outlet={outlet}
            onClose={() => (location.hash = href('containers', containerId))}
          />
        )}
      </div>
      <ProfitTable containerId={containerId} />
      <DriftTable containerId={containerId} />
    </div>
  );
}
