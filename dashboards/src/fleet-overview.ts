import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TextPanel } from '@grafana/grafana-foundation-sdk/text';
import { hashfleetDashboard } from './base.js';
import { linkTo, numberPanels, series, stat, table, units } from './panels.js';
import { tagFilter, variable } from './variables.js';

/**
 * Fleet overview: per-site hashrate against what the models should do, power, J/TH, and how many
 * miners are online and hashing. Site sums are sums of per-container means, so a container that
 * reports twice in an interval is not counted twice.
 */

const where = `$timeFilter AND ${tagFilter('site')}`;

/** Per-container means per interval, summed per site in the outer query. */
function perSite(fields: readonly string[], outer: string): string {
  const inner = fields.map((f) => `mean("${f}") AS "${f}"`).join(', ');
  return (
    `SELECT ${outer} FROM (SELECT ${inner} FROM "container" WHERE ${where} ` +
    `GROUP BY time($__interval), "site", "container") WHERE $timeFilter GROUP BY time($__interval), "site" fill(none)`
  );
}

/** Whole-fleet figure now: the last value of each container, summed. */
function fleetNow(field: string): string {
  return `SELECT sum("${field}") FROM (SELECT last("${field}") AS "${field}" FROM "container" WHERE ${where} GROUP BY "site", "container")`;
}

const containersNow =
  'SELECT last("hashrate_ths") AS "hashrate_ths", last("expected_ths") AS "expected_ths", last("power_w") AS "power_w", ' +
  'last("efficiency_j_per_th") AS "efficiency_j_per_th", last("miners_hashing") AS "miners_hashing", ' +
  'last("miners_online") AS "miners_online", last("miners_total") AS "miners_total", ' +
  `last("hottest_chip_c") AS "hottest_chip_c" FROM "container" WHERE ${where} GROUP BY "site", "container"`;

const relocationNote = `Relocation plans and moves are not time series: they live in the controller's SQL
and are shown in the controller's web UI (**Relocation**) and API (\`/api/v1/relocation/plans\`).
Grafana would need the JSON API datasource plugin and an API token to read them; we keep one view
of them instead of a second one that could drift.`;

export function fleetOverview(): Dashboard {
  const builder = hashfleetDashboard('Fleet overview', 'hashfleet-fleet', 'now-24h')
    .withVariable(variable('site'))
    .withRow(new RowBuilder('Now'))
    .withPanel(stat('Hashrate', fleetNow('hashrate_ths'), units.hashrate))
    .withPanel(stat('Expected hashrate', fleetNow('expected_ths'), units.hashrate))
    .withPanel(stat('Power', fleetNow('power_w'), units.power))
    .withPanel(stat('Efficiency', perSiteNowEfficiency(), units.efficiency))
    .withPanel(stat('Miners hashing', fleetNow('miners_hashing'), units.count))
    .withPanel(stat('Miners total', fleetNow('miners_total'), units.count))
    .withPanel(
      stat('Energy cost per TH/s per day', costPerThsDay(''), units.money, '24h').description(
        'Energy cost over the past 24 h divided by the mean hashrate of the accepted work, per tariff currency.',
      ),
    )
    .withRow(new RowBuilder('By site'))
    .withPanel(
      series(
        'Hashrate vs expected',
        perSite(
          ['hashrate_ths', 'expected_ths'],
          'sum("hashrate_ths") AS "hashrate", sum("expected_ths") AS "expected"',
        ),
        units.hashrate,
        '$tag_site $col',
      ),
    )
    .withPanel(series('Power', perSite(['power_w'], 'sum("power_w") AS "power"'), units.power, '$tag_site'))
    .withPanel(
      series(
        'Efficiency',
        perSite(['power_w', 'hashrate_ths'], 'sum("power_w") / sum("hashrate_ths") AS "j_per_th"'),
        units.efficiency,
        '$tag_site',
      ),
    )
    .withPanel(
      series(
        'Miners online and hashing',
        perSite(
          ['miners_online', 'miners_hashing', 'miners_total'],
          'sum("miners_online") AS "online", sum("miners_hashing") AS "hashing", sum("miners_total") AS "total"',
        ),
        units.count,
        '$tag_site $col',
      ),
    )
    .withPanel(
      series(
        'Energy cost per TH/s per day',
        costPerThsDay('time(1d), "site", '),
        units.money,
        '$tag_site $tag_currency',
        24,
      ),
    )
    .withRow(new RowBuilder('Containers'))
    .withPanel(
      table('Containers now', containersNow)
        .overrideByName('container', [
          linkTo('Container dashboard', 'hashfleet-container', {
            site: '__data.fields.site',
            container: '__value.raw',
          }),
        ])
        .span(18),
    )
    .withPanel(new TextPanel().title('Relocations').content(relocationNote).span(6).height(10));
  return numberPanels(builder.build());
}

/**
 * Energy cost per TH/s per day from the hourly `energy` points: cost over the work's TH/s x hours,
 * times 24. The ratio does not depend on the interval it is summed over, so a day, a week or the
 * current partial hour all give cost per TH/s-day. One figure per tariff currency.
 */
function costPerThsDay(groupBy: string): string {
  return `SELECT 24 * sum("cost") / sum("work_ths_h") AS "cost_per_ths_day" FROM "energy" WHERE ${where} GROUP BY ${groupBy}"currency"${groupBy ? ' fill(none)' : ''}`;
}

/** Fleet J/TH now: total power over total hashrate, each the sum of per-container last values. */
function perSiteNowEfficiency(): string {
  return (
    'SELECT sum("power_w") / sum("hashrate_ths") AS "j_per_th" FROM (SELECT last("power_w") AS "power_w", ' +
    `last("hashrate_ths") AS "hashrate_ths" FROM "container" WHERE ${where} GROUP BY "site", "container")`
  );
}
