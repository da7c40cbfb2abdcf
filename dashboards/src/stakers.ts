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
      // One point per staker, node and hour, written by the close (accounting/service.ts): the
      // attributed hashrate over a one-hour window. Summed over nodes per hour, never averaged over
      // a wider interval: a mean of hours is not the definition (accounting/attribution.ts) when
      // stake or work changes within the window, so the panel keeps 1-hour buckets at every zoom.
      series(
        'Attributed hashrate by staker (1-hour windows)',
        `SELECT sum("hashrate_ths") FROM "staker_hashrate" WHERE ${where} GROUP BY time(1h), "staker" fill(none)`,
        units.hashrate,
        '$tag_staker',
      ).description(
        "Each point is one hour: the fleet's accepted work in the hour as a hashrate × the staker's share of eligible stake-time in the hour, summed over the staker's nodes. A period's figure is on the staker portal and in GET /stakers/{id}/statements, over the period's window.",
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
