import {
  QueryVariableBuilder,
  VariableHide,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { influxDatasource } from './datasource.js';

/**
 * Template variables: one table of (name, label, InfluxQL that lists its values). `site` narrows
 * `container`, which narrows `miner`, so a technician drills down site -> container -> miner.
 */
interface VariableSpec {
  label: string;
  query: string;
  /** Multi-select with "All" (`.*`); single-select variables drive per-container or per-miner views. */
  multi: boolean;
}

export const variableSpecs = {
  site: { label: 'Site', query: 'SHOW TAG VALUES FROM "container" WITH KEY = "site"', multi: true },
  container: {
    label: 'Container',
    query: 'SHOW TAG VALUES FROM "container" WITH KEY = "container" WHERE "site" =~ /^$site$/',
    multi: true,
  },
  containerOne: {
    label: 'Container',
    query: 'SHOW TAG VALUES FROM "container" WITH KEY = "container" WHERE "site" =~ /^$site$/',
    multi: false,
  },
  miner: {
    label: 'Miner',
    query:
      'SHOW TAG VALUES FROM "miner" WITH KEY = "miner" WHERE "site" =~ /^$site$/ AND "container" =~ /^$container$/',
    multi: false,
  },
  staker: {
    label: 'Staker',
    query: 'SHOW TAG VALUES FROM "staker_hashrate" WITH KEY = "staker"',
    multi: true,
  },
  node: {
    label: 'Staking node',
    query: 'SHOW TAG VALUES FROM "staker_hashrate" WITH KEY = "node"',
    multi: true,
  },
} as const satisfies Record<string, VariableSpec>;

type VariableKey = keyof typeof variableSpecs;

/** The Grafana variable name; `containerOne` is still `$container` in queries. */
const variableName = (key: VariableKey) => (key === 'containerOne' ? 'container' : key);

export function variable(key: VariableKey): QueryVariableBuilder {
  const spec: VariableSpec = variableSpecs[key];
  const builder = new QueryVariableBuilder(variableName(key))
    .label(spec.label)
    .datasource(influxDatasource)
    .query(spec.query)
    .definition(spec.query)
    .refresh(VariableRefresh.OnDashboardLoad)
    .sort(VariableSort.NaturalAsc)
    .hide(VariableHide.DontHide)
    .multi(spec.multi)
    .includeAll(spec.multi);
  // `.*` instead of Grafana's default list of every value keeps "All" queries short on a big fleet.
  return spec.multi ? builder.allValue('.*') : builder;
}

/** `"site" =~ /^$site$/ AND ...`: the WHERE clause a templated panel adds after `$timeFilter`. */
export function tagFilter(...tags: ('site' | 'container' | 'miner' | 'staker' | 'node')[]): string {
  return tags.map((tag) => `"${tag}" =~ /^$${tag}$/`).join(' AND ');
}
