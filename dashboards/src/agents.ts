import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { hashfleetDashboard } from './base.js';
import { numberPanels, series, table, units } from './panels.js';
import { tagFilter, variable } from './variables.js';

/**
 * The agents themselves: is each container's poller keeping up, failing polls, or holding data in
 * its spool because the broker is unreachable (and has it had to drop any)?
 */

const where = `$timeFilter AND ${tagFilter('site', 'container')}`;

const perAgent = (select: string, fill = 'none') =>
  `SELECT ${select} FROM "agent" WHERE ${where} GROUP BY time($__interval), "agent" fill(${fill})`;

const agentsNow =
  'SELECT last("poll_cycle_ms") AS "poll_cycle_ms", last("poll_errors") AS "poll_errors", ' +
  'last("spool_messages") AS "spool_messages", last("spool_bytes") AS "spool_bytes", ' +
  'last("spool_dropped") AS "spool_dropped", last("publish_latency_ms") AS "publish_latency_ms" ' +
  `FROM "agent" WHERE ${where} GROUP BY "site", "container", "agent"`;

export function agents(): Dashboard {
  const builder = hashfleetDashboard('Agents health', 'hashfleet-agents', 'now-6h')
    .withVariable(variable('site'))
    .withVariable(variable('container'))
    .withRow(new RowBuilder('Polling'))
    .withPanel(series('Poll cycle', perAgent('max("poll_cycle_ms")'), units.ms, '$tag_agent'))
    .withPanel(
      series('Poll errors per interval', perAgent('sum("poll_errors")', '0'), units.count, '$tag_agent'),
    )
    .withRow(new RowBuilder('Delivery'))
    .withPanel(
      series('Spool depth (messages)', perAgent('max("spool_messages")'), units.count, '$tag_agent', 8),
    )
    .withPanel(series('Spool size', perAgent('max("spool_bytes")'), units.bytes, '$tag_agent', 8))
    .withPanel(
      series(
        'Spool drops (data lost at the bound)',
        // spool_dropped is a running total per agent process; its increase is what was lost.
        perAgent('non_negative_difference(max("spool_dropped"))'),
        units.count,
        '$tag_agent',
        8,
      ),
    )
    .withPanel(
      series(
        'Publish latency',
        perAgent('mean("publish_latency_ms") AS "mean", max("publish_latency_ms") AS "max"'),
        units.ms,
        '$tag_agent $col',
        24,
      ),
    )
    .withPanel(table('Agents now', agentsNow).sortBy([]));
  return numberPanels(builder.build());
}
