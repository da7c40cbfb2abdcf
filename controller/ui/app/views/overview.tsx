import { Loading, Problem, Tile } from '../components/bits.js';
import { Table } from '../components/table.js';
import { ago, count, efficiency, hashrate, pct, power, temp, usdPerKwh } from '../format.js';
import { type AlertRow, openSubjects } from '../problems.js';
import { href } from '../router.js';
import type { ContainerSummary, SiteRollup } from '../shapes.js';
import { usePoll } from '../use-poll.js';

/** Both sites side by side, then the fleet total: the numbers an operator checks first. */
export function OverviewView() {
  const sites = usePoll<SiteRollup[]>('/sites', 10_000);
  const containers = usePoll<ContainerSummary[]>('/containers', 10_000);
  const alerts = usePoll<AlertRow[]>('/alerts?state=open&limit=5000', 15_000);
  const open = alerts.data ? openSubjects(alerts.data) : null;
  const openBySite = (siteId: string) => (open ? (open.bySite.get(siteId) ?? 0) : null);
  const rows = sites.data;
  const total = rows ? fleetTotal(rows) : null;
  return (
    <div class="page">
      <h1>Fleet overview</h1>
      <Problem error={sites.error ?? containers.error ?? alerts.error} />
      {!rows && !sites.error && <Loading what="sites" />}
      {total && (
        <div class="tiles" data-testid="fleet-tiles">
          <Tile
            label="Fleet hashrate"
            value={hashrate(total.hashrateThs)}
            hint={`expected ${hashrate(total.expectedThs)}`}
            testid="fleet-hashrate"
          />
          <Tile label="Fleet power" value={power(total.powerW)} />
          <Tile label="Efficiency" value={efficiency(total.powerW, total.hashrateThs)} />
          <Tile
            label="Hashing / online / total"
            value={`${count(total.hashing)} / ${count(total.online)} / ${count(total.total)}`}
          />
          <Tile label="With open alerts" value={open ? count(open.total) : '–'} hint="see Alerts" />
          <Tile label="Updated" value={ago(sites.at)} />
        </div>
      )}
      {rows && (
        <div class="site-cards">
          {rows.map((s) => (
            <div class="site-card" key={s.id} data-testid={`site-${s.id}`}>
              <h2>{s.name}</h2>
              <div class="tiles">
                <Tile
                  label="Hashrate"
                  value={hashrate(s.hashrateThs)}
                  hint={`${pct(s.expectedThs ? s.hashrateThs / s.expectedThs : null)} of expected`}
                />
                <Tile label="Power" value={power(s.powerW)} hint={provenance(s.powerProvenance)} />
                <Tile label="Efficiency" value={efficiency(s.powerW, s.hashrateThs)} />
                <Tile
                  label="Online"
                  value={`${count(s.online)} / ${count(s.total)}`}
                  hint={`${count(s.hashing)} hashing`}
                />
                <Tile label="Tariff now" value={usdPerKwh(s.tariffNowUsdPerKwh)} hint={s.timezone} />
                <Tile label="Open alerts" value={count(openBySite(s.id))} hint="miners, PDUs, agents" />
              </div>
              <Table
                rows={(containers.data ?? []).filter((c) => c.siteId === s.id)}
                empty="No containers."
                columns={[
                  { label: 'Container', cell: (c) => <a href={href('containers', c.id)}>{c.name}</a> },
                  { label: 'Hashrate', cell: (c) => hashrate(c.hashrateThs), num: true },
                  { label: 'Power', cell: (c) => power(c.powerW), num: true },
                  { label: 'J/TH', cell: (c) => efficiency(c.powerW, c.hashrateThs), num: true },
                  { label: 'Online', cell: (c) => `${count(c.online)} / ${count(c.total)}`, num: true },
                ]}
              />
              {s.hottest.length > 0 && (
                <p class="muted">
                  Hottest:{' '}
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
  return parts.length ? parts.map(([k, w]) => `${k} ${power(w)}`).join(', ') : 'no power figures';
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
