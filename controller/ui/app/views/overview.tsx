import { Loading, Problem, Tile } from '../components/bits.js';
import { SiteProfitTile, useSiteProfit } from '../components/profit.js';
import { Table } from '../components/table.js';
import { SiteClock } from '../components/time.js';
import { ago, count, efficiency, hashrate, pct, power, temp, usdPerKwh } from '../format.js';
import { t } from '../i18n.js';
import { label } from '../labels.js';
import { type AlertRow, openSubjects } from '../problems.js';
import { href } from '../router.js';
import type { ContainerSummary, SiteRollup } from '../shapes.js';
import { usePoll } from '../use-poll.js';
import { DriftTiles } from './desired.js';

/** Both sites side by side, then the fleet total: the numbers an operator checks first. */
export function OverviewView() {
  const sites = usePoll<SiteRollup[]>('/sites', 10_000);
  const containers = usePoll<ContainerSummary[]>('/containers', 10_000);
  const alerts = usePoll<AlertRow[]>('/alerts?state=open&limit=5000', 15_000);
  const profit = useSiteProfit();
  const open = alerts.data ? openSubjects(alerts.data) : null;
  const openBySite = (siteId: string) => (open ? (open.bySite.get(siteId) ?? 0) : null);
  const rows = sites.data;
  const total = rows ? fleetTotal(rows) : null;
  return (
    <div class="page">
      <h1>{t('overview.title')}</h1>
      <Problem error={sites.error ?? containers.error ?? alerts.error} />
      {!rows && !sites.error && <Loading what={t('what.sites')} />}
      {total && (
        <div class="tiles" data-testid="fleet-tiles">
          <Tile
            label={t('overview.fleetHashrate')}
            value={hashrate(total.hashrateThs)}
            hint={t('common.expected', { value: hashrate(total.expectedThs) })}
            testid="fleet-hashrate"
          />
          <Tile label={t('overview.fleetPower')} value={power(total.powerW)} />
          <Tile label={t('common.efficiency')} value={efficiency(total.powerW, total.hashrateThs)} />
          <Tile
            label={t('overview.hashingOnlineTotal')}
            value={`${count(total.hashing)} / ${count(total.online)} / ${count(total.total)}`}
          />
          <Tile
            label={t('overview.withOpenAlerts')}
            value={open ? count(open.total) : '–'}
            hint={t('overview.seeAlerts')}
          />
          <Tile label={t('common.updated')} value={ago(sites.at)} />
        </div>
      )}
      <DriftTiles />
      {rows && (
        <div class="site-cards">
          {rows.map((s) => (
            <div class="site-card" key={s.id} data-testid={`site-${s.id}`}>
              <h2>{s.name}</h2>
              <SiteClock tz={s.timezone} />
              <div class="tiles">
                <Tile
                  label={t('common.hashrate')}
                  value={hashrate(s.hashrateThs)}
                  hint={t('common.ofExpected', {
                    value: pct(s.expectedThs ? s.hashrateThs / s.expectedThs : null),
                  })}
                />
                <Tile
                  label={t('common.power')}
                  value={power(s.powerW)}
                  hint={provenance(s.powerProvenance)}
                />
                <Tile label={t('common.efficiency')} value={efficiency(s.powerW, s.hashrateThs)} />
                <Tile
                  label={t('common.online')}
                  value={`${count(s.online)} / ${count(s.total)}`}
                  hint={t('overview.hashingCount', { count: s.hashing, n: count(s.hashing) })}
                />
                <Tile
                  label={t('overview.tariffNow')}
                  value={usdPerKwh(s.tariffNowUsdPerKwh)}
                  hint={s.timezone}
                />
                <Tile
                  label={t('overview.openAlerts')}
                  value={count(openBySite(s.id))}
                  hint={t('overview.openAlertsHint')}
                />
                <SiteProfitTile totals={profit.get(s.id)} />
              </div>
              <Table
                rows={(containers.data ?? []).filter((c) => c.siteId === s.id)}
                empty={t('overview.noContainers')}
                columns={[
                  {
                    label: t('common.container'),
                    cell: (c) => <a href={href('containers', c.id)}>{c.name}</a>,
                  },
                  { label: t('common.hashrate'), cell: (c) => hashrate(c.hashrateThs), num: true },
                  { label: t('common.power'), cell: (c) => power(c.powerW), num: true },
                  { label: 'J/TH', cell: (c) => efficiency(c.powerW, c.hashrateThs), num: true },
                  {
                    label: t('common.online'),
                    cell: (c) => `${count(c.online)} / ${count(c.total)}`,
                    num: true,
                  },
                ]}
              />
              {s.hottest.length > 0 && (
                <p class="muted">
                  {t('overview.hottest')}{' '}
                  {s.hottest.slice(0, 3).map((h, i) => (
                    <span key={h.minerId}>
                      {i > 0 && ', '}
                      <a href={href('miners', h.minerId)}>
                        {h.rack}/{h.slot}
                      </a>{' '}
                      {temp(h.chipTempMaxC)}
                    </span>
                  ))}
                </p>
              )}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

function provenance(p: Record<string, number>): string {
  const parts = Object.entries(p).filter(([, w]) => w > 0);
  return parts.length
    ? parts.map(([k, w]) => `${label('provenance', k)} ${power(w)}`).join(', ')
    : t('overview.noPower');
}

function fleetTotal(rows: SiteRollup[]) {
  const sum = (f: (s: SiteRollup) => number) => rows.reduce((a, s) => a + f(s), 0);
  return {
    hashrateThs: sum((s) => s.hashrateThs),
    expectedThs: sum((s) => s.expectedThs),
    powerW: sum((s) => s.powerW),
    hashing: sum((s) => s.hashing),
    online: sum((s) => s.online),
    total: sum((s) => s.total),
  };
}
