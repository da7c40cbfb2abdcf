import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { hashfleetDashboard } from './base.js';
import { influx } from './influx-query.js';
import { numberPanels, series, stat, table, units } from './panels.js';
import { tagFilter, variable } from './variables.js';

/**
 * Power and cost: what the PDUs meter against what the miners report, energy per day by source,
 * and what it cost at each site's tariff. Energy and cost come from the `energy` measurement: one
 * point per container-hour, the same figures (best source per hour, local-time tariff) that a
 * period close prices, so this dashboard and the accounting agree.
 */

const where = `$timeFilter AND ${tagFilter('site', 'container')}`;

/**
 * Outlet power summed per container (per-outlet means per interval first, so each outlet counts
 * once). Outlets, not PDU totals: they are what feeds the miners, and a Raritan PDU without an
 * inlet sensor reports no total (the interop day showed it).
 */
const meteredPower =
  `SELECT sum("power_w") AS "metered" FROM (SELECT mean("power_w") AS "power_w" FROM "outlet" WHERE ${where} ` +
  'GROUP BY time($__interval), "container", "pdu", "outlet") WHERE $timeFilter GROUP BY time($__interval), "container" fill(none)';

const reportedPower = `SELECT mean("power_w") AS "reported" FROM "container" WHERE ${where} GROUP BY time($__interval), "container" fill(none)`;

/** Per UTC day (the dashboard runs in UTC): days line up with the accounting periods. */
const perDay = (select: string, by: string) =>
  `SELECT ${select} FROM "energy" WHERE ${where} GROUP BY time(1d), ${by} fill(none)`;

const byContainer =
  'SELECT sum("energy_wh") AS "energy_wh", sum("energy_wh_metered") AS "metered_wh", ' +
  'sum("energy_wh_reported") AS "reported_wh", sum("energy_wh_estimated") AS "estimated_wh", ' +
  'sum("cost") AS "cost", mean("rate_per_kwh") AS "mean_rate_per_kwh" ' +
  `FROM "energy" WHERE ${where} GROUP BY "site", "container", "currency"`;

export function powerCost(): Dashboard {
  const builder = hashfleetDashboard('Power and cost', 'hashfleet-power', 'now-7d', '5m')
    .withVariable(variable('site'))
    .withVariable(variable('container'))
    .withRow(new RowBuilder('Last 24 hours'))
    .withPanel(
      stat(
        'Energy',
        `SELECT sum("energy_wh") FROM "energy" WHERE ${where} GROUP BY "currency"`,
        units.energy,
        '24h',
      ),
    )
    .withPanel(
      stat('Cost', `SELECT sum("cost") FROM "energy" WHERE ${where} GROUP BY "currency"`, units.money, '24h'),
    )
    .withPanel(
      stat(
        'Metered share of energy',
        `SELECT sum("energy_wh_metered") / sum("energy_wh") FROM "energy" WHERE ${where}`,
        units.ratio,
        '24h',
      ),
    )
    .withRow(new RowBuilder('Power'))
    .withPanel(
      series(
        'Metered (PDUs) vs reported (miners) power',
        meteredPower,
        units.power,
        '$tag_container $col',
        24,
      )
        .withTarget(influx(reportedPower, '$tag_container $col'))
        .description(
          'PDUs meter what the PSUs draw; miners report what they think they use. A gap that grows is a PSU, a meter or a firmware to look at.',
        ),
    )
    .withRow(new RowBuilder('Energy and cost per day'))
    .withPanel(
      series(
        'Energy per day by source',
        perDay(
          'sum("energy_wh_metered") AS "metered", sum("energy_wh_reported") AS "reported", sum("energy_wh_estimated") AS "estimated"',
          '"site"',
        ),
        units.energy,
        '$tag_site $col',
      ),
    )
    .withPanel(
      series(
        'Cost per day by site and tariff currency',
        perDay('sum("cost") AS "cost"', '"site", "currency"'),
        units.money,
        '$tag_site $tag_currency',
      ),
    )
    .withPanel(
      series(
        'Tariff rate per kWh',
        `SELECT mean("rate_per_kwh") FROM "energy" WHERE ${where} GROUP BY time(1h), "site", "currency" fill(none)`,
        units.money,
        '$tag_site $tag_currency/kWh',
        24,
      ),
    )
    .withPanel(table('Energy and cost by container (dashboard range)', byContainer, null));
  return numberPanels(builder.build());
}
