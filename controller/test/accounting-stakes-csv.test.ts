import { describe, expect, it } from 'vitest';
import { parseHss } from '../src/accounting/hss.js';
import { parseStakesCsv } from '../src/accounting/stakes-csv.js';

/**
 * The stake import reads RFC 4180 CSV (csv-parse): quoted fields may hold commas, quotes and line
 * breaks, and errors still name the file line. A name like "Ivanov, Ivan" used to split into two
 * cells and shift every later column.
 */
const HEADER = 'staker_id,staker_name,node_id,node_kind,amount_hss,effective_at,idempotency_key';

describe('stakes CSV', () => {
  it('a quoted name with a comma stays one field, and the columns after it are read as written', () => {
    const { rows, errors } = parseStakesCsv(
      `${HEADER}\nivanov,"Ivanov, Ivan",node-1,solo,12500.5,2026-11-23T00:00:00Z,tx-1\n`,
      'stakes.csv',
    );
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      {
        line: 2,
        stakerId: 'ivanov',
        stakerName: 'Ivanov, Ivan',
        nodeId: 'node-1',
        nodeKind: 'solo',
        amountUnits: parseHss('12500.5'),
        effectiveAtMs: Date.parse('2026-11-23T00:00:00Z'),
        idempotencyKey: 'tx-1',
      },
    ]);
  });

  it('doubled quotes, a line break inside quotes, comments, blank lines and CRLF', () => {
    const text = [
      HEADER,
      '# imported from the register export',
      'o,"O""Brien",node-2,shared,10000,2026-11-23T06:00:00Z,',
      '',
      'm,"Multi',
      'line",node-2,shared,1,2026-11-23T07:00:00Z,',
      'k,Kim #1,node-3,solo,20000,2026-11-23T08:00:00Z,',
    ].join('\r\n');
    const { rows, errors } = parseStakesCsv(text, 'stakes.csv');
    expect(errors).toEqual([]);
    expect(rows.map((r) => [r.line, r.stakerName, r.nodeId, r.idempotencyKey])).toEqual([
      [3, 'O"Brien', 'node-2', null],
      [5, 'Multi\r\nline', 'node-2', null],
      [7, 'Kim #1', 'node-3', null],
    ]);
  });

  it('bad rows are reported by file line and column, and nothing is returned from them', () => {
    const text = `${HEADER}\n# note\na,"A, B",node-1,solo,abc,2026-11-23T00:00:00Z,\nb,B,node-1,single,1,2026-11-23,\n`;
    const { rows, errors } = parseStakesCsv(text, 'stakes.csv');
    expect(rows).toEqual([]);
    expect(errors).toEqual([
      expect.stringMatching(/^stakes\.csv:3: amount_hss: HSS amount "abc"/),
      'stakes.csv:4: node_kind "single" must be solo or shared',
      'stakes.csv:4: effective_at "2026-11-23" must be ISO 8601 UTC with whole seconds',
    ]);
  });

  it('an unclosed quote is one clear error naming the file and line, and no rows', () => {
    const { rows, errors } = parseStakesCsv(
      `${HEADER}\na,"Ivanov, Ivan,node-1,solo,1,2026-11-23T00:00:00Z,\n`,
      'stakes.csv',
    );
    expect(rows).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^stakes\.csv: Quote Not Closed.*line 2/);
  });

  it('a header without the required columns is refused', () => {
    expect(parseStakesCsv('staker_id,name\nx,y\n', 'stakes.csv').errors).toEqual([
      'stakes.csv:1: header lacks staker_name, node_id, node_kind, amount_hss, effective_at',
    ]);
  });
});
