import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import { influxDatasource } from './datasource.js';

/**
 * A raw InfluxQL target of Grafana's core InfluxDB datasource. The foundation SDK ships no
 * InfluxDB query type, so this is the SDK's documented custom-query pattern.
 */
export interface InfluxQuery {
  refId?: string;
  hide?: boolean;
  datasource?: { type: string; uid: string };
  query: string;
  rawQuery: true;
  resultFormat: 'time_series' | 'table';
  /** Legend: `$tag_site`, `$col` and friends. */
  alias?: string;
  _implementsDataqueryVariant(): void;
}

export class InfluxQueryBuilder implements Builder<Dataquery> {
  private readonly internal: InfluxQuery;

  constructor(query: string) {
    this.internal = {
      datasource: influxDatasource,
      query,
      rawQuery: true,
      resultFormat: 'time_series',
      _implementsDataqueryVariant() {},
    };
  }

  build(): InfluxQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  table(): this {
    this.internal.resultFormat = 'table';
    return this;
  }
}

/** Shorthand used by every dashboard file. */
export const influx = (query: string, alias?: string) => {
  const q = new InfluxQueryBuilder(query);
  return alias ? q.alias(alias) : q;
};
