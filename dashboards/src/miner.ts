import {
  AnnotationQueryBuilder,
  type Dashboard,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { hashfleetDashboard } from './base.js';
import { influxDatasource } from './datasource.js';
import { influx } from './influx-query.js';
import { numberPanels, series, stat, table, units } from './panels.js';
import { tagFilter, variable } from './variables.js';

/** One miner, templated by `$miner`: what it does, how hot it runs, and each hash board. */

const where = `$timeFilter AND ${tagFilter('site', 'container', 'miner')}`;

const minerSeries = (fields: Record<string, string>) =>
  `SELECT ${Object.entries(fields)
    .map(([field, as]) => `mean("${field}") AS "${as}"`)
    .join(', ')} FROM "miner" WHERE ${where} GROUP BY time($__interval) fill(none)`;

const boardSeries = (field: string) =>
  `SELECT mean("${field}") FROM "board" WHERE ${where} GROUP BY time($__interval), "board" fill(none)`;

const minerNow = (field: string) => `SELECT last("${field}") FROM "miner" WHERE ${where}`;

/** Raw share counters restart with the miner: their non-negative increase is what happened. */
const counterSeries = (fields: Record<string, string>) =>
  `SELECT ${Object.entries(fields)
    .map(([field, as]) => `non_negative_difference(max("${field}")) AS "${as}"`)
    .join(', ')} FROM "miner_shares" WHERE ${where} GROUP BY time($__interval) fill(none)`;

const events = `SELECT "text" FROM "miner_event" WHERE ${where} GROUP BY "kind"`;

/** The agent's events (appeared, lost, recovered, pool or firmware changed) on every graph. */
const eventAnnotations = new AnnotationQueryBuilder()
  .name('Miner events')
  .datasource(influxDatasource)
  .enable(true)
  .iconColor('orange')
  .target(influx(events).table().refId('Anno'))
  .textFormat('{{text}}')
  .tagKeys('kind');

export function miner(): Dashboard {
  const builder = hashfleetDashboard('Miner', 'hashfleet-miner', 'now-24h')
    .withVariable(variable('site'))
    .withVariable(variable('container'))
    .withVariable(variable('miner'))
    .annotation(eventAnnotations)
    .withRow(new RowBuilder('Now'))
    .withPanel(stat('Hashrate', minerNow('hashrate_ths'), units.hashrate))
    .withPanel(stat('Expected', minerNow('expected_ths'), units.hashrate))
    .withPanel(stat('Power', minerNow('power_w'), units.power))
    .withPanel(stat('Hottest chip', minerNow('chip_temp_max_c'), units.celsius))
    .withPanel(stat('Fan', minerNow('fan_rpm_max'), units.rpm))
    .withPanel(stat('Online', minerNow('online'), units.count))
    .withRow(new RowBuilder('Over time'))
    .withPanel(
      series(
        'Hashrate',
        minerSeries({ hashrate_ths: 'hashrate', hashrate_avg_ths: 'average', expected_ths: 'expected' }),
        units.hashrate,
        '$col',
      ),
    )
    .withPanel(series('Power', minerSeries({ power_w: 'power' }), units.power, '$col'))
    .withPanel(
      series(
        'Temperatures',
        minerSeries({
          chip_temp_max_c: 'chip max',
          board_temp_max_c: 'board max',
          inlet_temp_c: 'inlet',
          outlet_temp_c: 'outlet',
        }),
        units.celsius,
        '$col',
      ),
    )
    .withPanel(series('Fan', minerSeries({ fan_rpm_max: 'fastest fan' }), units.rpm, '$col'))
    .withPanel(
      series(
        'Accepted work (difficulty-1 shares per interval)',
        `SELECT sum("diff1_shares") AS "diff1_shares" FROM "miner" WHERE ${where} GROUP BY time($__interval) fill(0)`,
        units.count,
        '$col',
      ),
    )
    .withPanel(series('Online', minerSeries({ online: 'online' }), units.count, '$col'))
    .withRow(new RowBuilder('Shares'))
    .withPanel(
      series(
        'Shares per interval (firmware counters)',
        counterSeries({ accepted: 'accepted', rejected: 'rejected' }),
        units.count,
        '$col',
        8,
      ),
    )
    .withPanel(
      series(
        'Rejected difficulty share',
        `SELECT non_negative_difference(max("difficulty_rejected")) / (non_negative_difference(max("difficulty_accepted")) + non_negative_difference(max("difficulty_rejected"))) AS "rejected" FROM "miner_shares" WHERE ${where} GROUP BY time($__interval) fill(none)`,
        units.ratio,
        '$col',
        8,
      ),
    )
    .withPanel(
      series(
        'Hardware errors per interval',
        counterSeries({ hardware_errors: 'hardware errors' }),
        units.count,
        '$col',
        8,
      ),
    )
    .withRow(new RowBuilder('Events'))
    .withPanel(table('Events', events, null).height(8))
    .withRow(new RowBuilder('Hash boards'))
    .withPanel(series('Board hashrate', boardSeries('hashrate_ths'), units.hashrate, 'board $tag_board', 8))
    .withPanel(
      series('Board chip temperature', boardSeries('chip_temp_c'), units.celsius, 'board $tag_board', 8),
    )
    .withPanel(series('Chips seen per board', boardSeries('chips'), units.count, 'board $tag_board', 8));
  return numberPanels(builder.build());
}
