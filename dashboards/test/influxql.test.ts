// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana's ${name} variable syntax under test
import { describe, expect, it } from 'vitest';
import { checkQuery } from '../src/influxql.js';
import { influxSchema } from '../src/schema.js';
import { substitute } from '../src/template.js';

// The dashboard tests lean on this checker; these cases prove it rejects what it must.
describe('InfluxQL checker', () => {
  const cases: [why: string, query: string, error: RegExp | null][] = [
    [
      'a plain aggregation passes',
      'SELECT mean("power_w") FROM "pdu" WHERE $timeFilter GROUP BY time($__interval), "pdu"',
      null,
    ],
    [
      'an unknown measurement',
      'SELECT mean("power_w") FROM "pdus" WHERE $timeFilter',
      /unknown measurement "pdus"/,
    ],
    [
      'a field of another measurement',
      'SELECT mean("hashrate_ths") FROM "pdu"',
      /field "hashrate_ths" is not in "pdu"/,
    ],
    ['selecting a tag', 'SELECT last("site") FROM "miner"', /"site" is a tag of "miner", not a field/],
    [
      'grouping by a field',
      'SELECT mean("power_w") FROM "miner" GROUP BY "power_w"',
      /GROUP BY "power_w" is not a tag/,
    ],
    [
      'a WHERE on an unknown column',
      `SELECT mean("value") FROM "sensor" WHERE "kindd" = 'temperature'`,
      /"kindd" in WHERE/,
    ],
    ['an unknown function', 'SELECT avg("value") FROM "sensor"', /unknown function avg\(\)/],
    ['an unquoted identifier', 'SELECT mean(value) FROM "sensor"', /unquoted "value"/],
    [
      'an outer query reading a column the subquery does not yield',
      'SELECT sum("power_w") FROM (SELECT mean("hashrate_ths") AS "hashrate_ths" FROM "container" GROUP BY "site") GROUP BY "site"',
      /field "power_w" is not in the subquery/,
    ],
    [
      'an outer query grouping by a tag the subquery did not keep',
      'SELECT sum("x") FROM (SELECT mean("power_w") AS "x" FROM "container" GROUP BY "container") GROUP BY "site"',
      /GROUP BY "site" is not a tag of the subquery/,
    ],
    [
      'SHOW TAG VALUES of a field',
      'SHOW TAG VALUES FROM "miner" WITH KEY = "power_w"',
      /"power_w" is not a tag of "miner"/,
    ],
    [
      'SHOW TAG VALUES of an unknown measurement',
      'SHOW TAG VALUES FROM "rigs" WITH KEY = "site"',
      /unknown measurement "rigs"/,
    ],
    ['a statement outside the subset', 'DROP MEASUREMENT "miner"', /only SELECT and SHOW TAG VALUES/],
    ['an unterminated identifier', 'SELECT mean("power_w) FROM "pdu"', /unterminated identifier/],
  ];
  for (const [why, query, error] of cases) {
    it(why, () => {
      const { errors } = checkQuery(query, influxSchema);
      if (error === null) expect(errors).toEqual([]);
      else expect(errors.join('\n')).toMatch(error);
    });
  }

  it('collects template variables, also inside regexes', () => {
    const { variables } = checkQuery(
      'SELECT mean("value") FROM "sensor" WHERE $timeFilter AND "site" =~ /^$site$/ AND "pdu" = \'${pdu}\' GROUP BY time($__interval)',
      influxSchema,
    );
    expect(variables.sort()).toEqual(['__interval', 'pdu', 'site', 'timeFilter']);
  });
});

describe('variable substitution', () => {
  const values = { timeFilter: 'time > now() - 1h', interval: '1m', variables: { site: 'kz-pavlodar' } };
  it('replaces $name, ${name} and the built-ins', () => {
    expect(
      substitute(
        'WHERE $timeFilter AND "site" =~ /^$site$/ AND x = ${site} GROUP BY time($__interval)',
        values,
      ),
    ).toBe('WHERE time > now() - 1h AND "site" =~ /^kz-pavlodar$/ AND x = kz-pavlodar GROUP BY time(1m)');
  });
  it('names a variable that has no value', () => {
    expect(() => substitute('WHERE "miner" =~ /^$miner$/', values)).toThrow(/variable \$miner has no value/);
  });
});
