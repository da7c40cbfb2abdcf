import {
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  TableSortByFieldStateBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  type Dashboard,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
} from '@grafana/grafana-foundation-sdk/dashboard';
import {
  CellValuesBuilder,
  HeatmapColorMode,
  HeatmapColorOptionsBuilder,
  HeatmapColorScale,
  PanelBuilder as HeatmapPanel,
} from '@grafana/grafana-foundation-sdk/heatmap';
import { hashfleetDashboard } from './base.js';
import { influxDatasource } from './datasource.js';
import { influx } from './influx-query.js';
import { linkTo, numberPanels, series, stat, table, units } from './panels.js';
import { tagFilter, variable } from './variables.js';

/**
 * One container, as a technician walking to it needs it: which rack and miner is hot, which slots
 * are the hottest right now, what each PDU outlet draws, and the inlet/outlet air.
 */

const where = `$timeFilter AND ${tagFilter('site', 'container')}`;

const containerNow = (field: string) => `SELECT last("${field}") FROM "container" WHERE ${where}`;

/** One row per miner (rack/miner), one cell per interval, coloured by the hottest chip. */
const chipHeat = `SELECT max("chip_temp_max_c") FROM "miner" WHERE ${where} GROUP BY time($__interval), "rack", "miner" fill(null)`;

const hottestSlots =
  'SELECT last("chip_temp_max_c") AS "chip_temp_max_c", last("board_temp_max_c") AS "board_temp_max_c", ' +
  'last("hashrate_ths") AS "hashrate_ths", last("expected_ths") AS "expected_ths", last("power_w") AS "power_w", ' +
  `last("fan_rpm_max") AS "fan_rpm_max", last("online") AS "online" FROM "miner" WHERE ${where} GROUP BY "rack", "miner", "model"`;

const outletsNow =
  'SELECT last("power_w") AS "power_w", last("current_a") AS "current_a", last("energy_wh") AS "energy_wh" ' +
  `FROM "outlet" WHERE ${where} GROUP BY "pdu", "outlet"`;

/** Current per phase of each PDU; the rating comes from the PDU (APC overload threshold, Raritan inlet). */
export const phaseCurrent = `SELECT mean("current_a") FROM "pdu_phase" WHERE ${where} GROUP BY time($__interval), "pdu", "phase" fill(none)`;
/** The lowest rating in view becomes the panel's red line (Grafana "Config from query results"). */
export const phaseRating = `SELECT min("rated_current_a") AS "rating" FROM "pdu_phase" WHERE ${where}`;
/** The controller's default rating (alerts phase_overload) for PDUs that report none. */
const DEFAULT_PHASE_RATING_A = 32;

function phasesPanel() {
  return (
    series('PDU phases', phaseCurrent, units.current, '$tag_pdu L$tag_phase')
      .description(
        "Current per phase (line) of each PDU. The red line is the PDU's own rating (the lowest in view), " +
          `or ${DEFAULT_PHASE_RATING_A} A when no PDU reports one; phase_overload alerts at it.`,
      )
      // Not hidden: Grafana skips hidden queries, and configFromData takes this frame out of the graph itself.
      .withTarget(influx(phaseRating, 'rating').refId('RATING'))
      .withTransformation({
        id: 'configFromData',
        options: {
          configRefId: 'RATING',
          mappings: [{ fieldName: 'rating', handlerKey: 'threshold1', reducerId: 'min' }],
        },
      })
      .thresholds(
        new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
          { value: null, color: 'green' },
          { value: DEFAULT_PHASE_RATING_A, color: 'red' },
        ]),
      )
      .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed))
      .span(24)
  );
}

export function container(): Dashboard {
  const builder = hashfleetDashboard('Container', 'hashfleet-container', 'now-6h')
    .withVariable(variable('site'))
    .withVariable(variable('containerOne'))
    .withRow(new RowBuilder('Now'))
    .withPanel(stat('Hashrate', containerNow('hashrate_ths'), units.hashrate))
    .withPanel(stat('Expected', containerNow('expected_ths'), units.hashrate))
    .withPanel(stat('Power', containerNow('power_w'), units.power))
    .withPanel(stat('Efficiency', containerNow('efficiency_j_per_th'), units.efficiency))
    .withPanel(stat('Miners hashing', containerNow('miners_hashing'), units.count))
    .withPanel(stat('Hottest chip', containerNow('hottest_chip_c'), units.celsius))
    .withRow(new RowBuilder('Heat'))
    .withPanel(
      new HeatmapPanel()
        .title('Chip temperature by rack / miner')
        .description('Hottest chip of each miner per interval; one row per miner, grouped by rack.')
        .datasource(influxDatasource)
        .withTarget(influx(chipHeat, '$tag_rack/$tag_miner'))
        // The series are already one row per miner: do not bucket them again.
        .calculate(false)
        .withTransformation({ id: 'joinByField', options: { mode: 'outer' } })
        .color(
          new HeatmapColorOptionsBuilder()
            .mode(HeatmapColorMode.Scheme)
            .scheme('RdYlBu')
            .reverse(true)
            .scale(HeatmapColorScale.Linear)
            // Grafana's own defaults; the SDK leaves them 0, which would quantize the scheme to nothing.
            .steps(64)
            .exponent(0.5)
            .min(40)
            .max(95),
        )
        // Rows are miners; the unit belongs to the cells.
        .cellValues(new CellValuesBuilder().unit(units.celsius).decimals(0))
        .unit(units.celsius)
        .span(24)
        .height(12),
    )
    .withPanel(
      table('Miners now (hottest chip first)', hottestSlots)
        .sortBy([new TableSortByFieldStateBuilder().displayName('chip_temp_max_c').desc(true)])
        .overrideByName('miner', [
          linkTo('Miner dashboard', 'hashfleet-miner', {
            site: 'site',
            container: 'container',
            miner: '__value.raw',
          }),
        ]),
    )
    .withRow(new RowBuilder('Power'))
    .withPanel(
      series(
        'Outlet power',
        `SELECT mean("power_w") FROM "outlet" WHERE ${where} GROUP BY time($__interval), "pdu", "outlet" fill(none)`,
        units.power,
        '$tag_pdu/$tag_outlet',
      ),
    )
    .withPanel(
      series(
        'PDU power',
        `SELECT mean("power_w") FROM "pdu" WHERE ${where} GROUP BY time($__interval), "pdu" fill(none)`,
        units.power,
        '$tag_pdu',
      ),
    )
    .withPanel(phasesPanel())
    .withPanel(
      table('Outlets now', outletsNow).sortBy([
        new TableSortByFieldStateBuilder().displayName('power_w').desc(true),
      ]),
    )
    .withRow(new RowBuilder('Air'))
    .withPanel(
      series(
        'Inlet and outlet air',
        `SELECT mean("value") FROM "sensor" WHERE ${where} AND "kind" = 'temperature' ` +
          'GROUP BY time($__interval), "location", "sensor" fill(none)',
        units.celsius,
        '$tag_location $tag_sensor',
      ),
    )
    .withPanel(
      series(
        'Hashrate vs expected',
        `SELECT mean("hashrate_ths") AS "hashrate", mean("expected_ths") AS "expected" FROM "container" WHERE ${where} ` +
          'GROUP BY time($__interval) fill(none)',
        units.hashrate,
        '$col',
      ),
    );
  return numberPanels(builder.build());
}
