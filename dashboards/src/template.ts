import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';

/**
 * Reading a generated dashboard back: every InfluxQL string it holds, and the same string with
 * Grafana's variables substituted the way Grafana's InfluxDB datasource does before sending it.
 */

/** Variables Grafana itself defines for InfluxQL queries. */
export const GRAFANA_BUILTINS = ['timeFilter', '__interval', 'interval', '__interval_ms'] as const;

export interface DashboardQuery {
  /** Where it sits, for error messages: `<dashboard uid> / <panel title> / <refId>` or `... / variable site`. */
  where: string;
  query: string;
}

export function dashboardQueries(dashboard: Dashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type === 'query' && typeof v.query === 'string') {
      out.push({ where: `${dashboard.uid} / variable ${v.name}`, query: v.query });
    }
  }
  for (const a of dashboard.annotations?.list ?? []) {
    const query = (a.target as { query?: unknown } | undefined)?.query;
    if (typeof query === 'string') out.push({ where: `${dashboard.uid} / annotation ${a.name}`, query });
  }
  const visit = (panel: Panel | RowPanel) => {
    if ('targets' in panel) {
      for (const target of panel.targets ?? []) {
        const query = (target as { query?: unknown }).query;
        if (typeof query === 'string') {
          const refId = (target as { refId?: string }).refId ?? '?';
          out.push({ where: `${dashboard.uid} / ${panel.title} / ${refId}`, query });
        }
      }
    }
    if ('panels' in panel && Array.isArray(panel.panels)) for (const child of panel.panels) visit(child);
  };
  for (const panel of dashboard.panels ?? []) visit(panel);
  return out;
}

export interface Substitution {
  /** Replaces `$timeFilter`, e.g. `time > now() - 1h`. */
  timeFilter: string;
  /** Replaces `$__interval`, e.g. `1m`. */
  interval: string;
  /** Dashboard variables by name; a value is used as-is (single values, or `.*` for "All"). */
  variables: Record<string, string>;
}

/** Substitutes every `$name` and `${name}`; an unknown variable is an error naming it. */
export function substitute(query: string, with_: Substitution): string {
  const values: Record<string, string> = {
    ...with_.variables,
    timeFilter: with_.timeFilter,
    __interval: with_.interval,
    // Grafana's older name for the same thing.
    interval: with_.interval,
  };
  return query.replace(/\$\{([A-Za-z0-9_]+)(?::[A-Za-z]+)?\}|\$([A-Za-z0-9_]+)/g, (_, braced, bare) => {
    const name = braced ?? bare;
    const value = values[name];
    if (value === undefined) throw new Error(`variable $${name} has no value in "${query.slice(0, 60)}..."`);
    return value;
  });
}
