import { Loading, Problem, Tile } from '../components/bits.js';
import { Table } from '../components/table.js';
import { ago, count, efficiency, hashrate, power, usdPerKwh } from '../format.js';
import { href } from '../router.js';
import { listOf, type SiteRollup } from '../shapes.js';
import { usePoll } from '../use-poll.js';

/** Both sites side by side, then the fleet total: the numbers an operator checks first. */
export function OverviewView() {
  const sites = usePoll<unknown>('/sites', 10_000);
  const rows = sites.data ? listOf<SiteRollup>(sites.data) : null;
  const total = rows ? fleetTotal(rows) : null;
  return (
    <div class="page">
      <h1>Fleet overview</h1>
      <Problem error={sites.error} />
      {!rows && !sites.error && <Loading what="sites" />}
      {total && (
        <div class="tiles" data-testid="fleet-tiles">
          <Tile label="Fleet hashrate" value={hashrate(total.hashrateThs)} testid="fleet-hashrate" />
          <Tile label="Fleet power" value={power(total.powerW)} />
          <Tile label="Efficiency" value={efficiency(total.powerW, total.hashrateThs)} />
          <Tile
            label="Hashing / online / total"
            value={`${count(total.hashing)} / ${count(total.online)} / ${count(total.miners)}`}
          />
          <Tile label="Updated" value={ago(sites.at)} />
        </div>
      )}
      {rows && (
        <div class="site-cards">
          {rows.map((s) => (
            <div class="site-card" key={s.id} data-testid={`site-${s.id}`}>
              <h2>{s.name ?? s.id}</h2>
              <div class="tiles">
                <Tile label="Hashrate" value={hashrate(s.hashrateThs)} />
                <Tile label="Power" value={power(s.powerW)} />
                <Tile label="Efficiency" value={efficiency(s.powerW, s.hashrateThs)} />
                <Tile
                  label="Online"
                  value={`${count(s.minersOnline)} / ${count(s.minersTotal)}`}
                  hint={`${count(s.minersHashing)} hashing`}
                />
                <Tile label="Tariff now" value={usdPerKwh(s.tariffNowUsdPerKwh)} />
                <Tile label="Hot or dead" value={count(s.alerts)} hint="miners needing a look" />
              </div>
              {s.containers && (
                <Table
                  rows={s.containers}
                  empty="No containers."
                  columns={[
                    {
                      label: 'Container',
                      cell: (c) => <a href={href('containers', c.id)}>{c.name ?? c.id}</a>,
                    },
                    { label: 'Hashrate', cell: (c) => hashrate(c.hashrateThs), num: true },
                    { label: 'Power', cell: (c) => power(c.powerW), num: true },
                    {
                      label: 'Online',
                      cell: (c) => `${count(c.minersOnline)} / ${count(c.minersTotal)}`,
                      num: true,
                    },
                  ]}
                />
              )}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

function fleetTotal(rows: SiteRollup[]) {
  const sum = (f: (s: SiteRollup) => number | null | undefined) => rows.reduce((a, s) => a + (f(s) ?? 0), 0);
  return {
    hashrateThs: sum((s) => s.hashrateThs),
    powerW: sum((s) => s.powerW),
    hashing: sum((s) => s.minersHashing),
    online: sum((s) => s.minersOnline),
    miners: sum((s) => s.minersTotal),
  };
}
