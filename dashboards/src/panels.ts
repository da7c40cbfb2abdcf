import {
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { influxDatasource } from './datasource.js';
import { influx } from './influx-query.js';

/** Grafana's unit ids for the units in our field names. */
export const units = {
  hashrate: 'THs',
  power: 'watt',
  celsius: 'celsius',
  efficiency: 'suffix: J/TH',
  rpm: 'rotrpm',
  ms: 'ms',
  bytes: 'bytes',
  count: 'short',
  ratio: 'percentunit',
  energy: 'watth',
  /** Money: the tariff's currency is in each series' name. */
  money: 'none',
  current: 'amp',
} as const;

/** A single figure "now": the last value within the past `window`. */
export function stat(title: string, query: string, unit: string, window = '15m') {
  return new StatPanel()
    .title(title)
    .datasource(influxDatasource)
    .withTarget(influx(query))
    .unit(unit)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .timeFrom(window)
    .span(4)
    .height(4);
}

/** A time series panel; `alias` names each series (`$tag_<tag>`, `$col`). */
export function series(title: string, query: string, unit: string, alias: string, span = 12) {
  return (
    new TimeseriesPanel()
      .title(title)
      .datasource(influxDatasource)
      .withTarget(influx(query, alias))
      .unit(unit)
      // The SDK's default hides the legend; our series are named by site, miner, outlet...
      .legend(
        new VizLegendOptionsBuilder()
          .showLegend(true)
          .displayMode(LegendDisplayMode.List)
          .placement(LegendPlacement.Bottom),
      )
      .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending))
      .span(span)
      .height(8)
  );
}

/** A table of one InfluxQL query in table format, over the past `window` (null: the dashboard's range). */
export function table(title: string, query: string, window: string | null = '15m') {
  const panel = new TablePanel()
    .title(title)
    .datasource(influxDatasource)
    .withTarget(influx(query).table())
    .span(24)
    .height(10);
  return window ? panel.timeFrom(window) : panel;
}

/**
 * A data link from a table cell to another dashboard, carrying variables and the time range.
 * `vars` maps each variable to a Grafana expression, e.g. `__value.raw` or `__data.fields.site`.
 */
export function linkTo(title: string, uid: string, vars: Record<string, string>) {
  const query = Object.entries(vars)
    .map(([name, expression]) => `var-${name}=\${${expression}}`)
    .join('&');
  return { id: 'links', value: [{ title, url: `/d/${uid}?${query}&\${__url_time_range}` }] };
}

/**
 * Numbers every panel (rows and their children included) 1..n in layout order and gives each
 * target a refId. The SDK leaves both unset; Grafana needs ids unique per dashboard.
 */
export function numberPanels(dashboard: Dashboard): Dashboard {
  let next = 1;
  const visit = (panel: Panel | RowPanel) => {
    panel.id = next++;
    if ('targets' in panel) {
      (panel.targets ?? []).forEach((target, i) => {
        (target as { refId?: string }).refId ??= String.fromCharCode(65 + i);
      });
    }
    if ('panels' in panel && Array.isArray(panel.panels)) for (const child of panel.panels) visit(child);
  };
  for (const panel of dashboard.panels ?? []) visit(panel);
  return dashboard;
}
