import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { hashfleetDashboard } from './base.js';
import { numberPanels, series, table, units } from './panels.js';
import { tagFilter, variable } from './variables.js';

/**
 * Hashrate attributed to each staker (pro rata to stake, per staking node). This is the operator's
 * view; a staker sees only their own figures in the controller's staker portal, never here.
 */

const where = `$timeFilter AND ${tagFilter('staker', 'node')}`;

const stakersNow =
  'SELECT last("hashrate_ths") AS "hashrate_ths", last("share") AS "share" ' +
  `FROM "staker_hashrate" WHERE ${where} GROUP BY "staker", "node"`;

export function stakers(): Dashboard {
  const builder = hashfleetDashboard('Stakers', 'hashfleet-stakers', 'now-7d', '5m')
    .withVariable(variable('staker'))
    .withVariable(variable('node'))
    .withRow(new RowBuilder('Attributed hashrate'))
    .withPanel(
      series(
        'Attributed hashrate by staker',
        `SELECT sum("hashrate_ths") FROM (SELECT mean("hashrate_ths") AS "hashrate_ths" FROM "staker_hashrate" WHERE ${where} ` +
          'GROUP BY time($__interval), "staker", "node") WHERE $timeFilter GROUP BY time($__interval), "staker" fill(none)',
        units.hashrate,
        '$tag_staker',
      ),
    )
    .withPanel(
      series(
        'Share of the pool by node',
        `SELECT mean("share") FROM "staker_hashrate" WHERE ${where} GROUP BY time($__interval), "staker", "node" fill(none)`,
        units.ratio,
        '$tag_node $tag_staker',
      ),
    )
    .withPanel(table('Stakers now', stakersNow, '1h'));
  return numberPanels(builder.build());
}
