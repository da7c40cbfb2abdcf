import { CsvError, parse } from 'csv-parse/sync';
import { parseHss } from './hss.js';

/**
 * Stake import CSV (RFC 4180, read by `csv-parse`): a header row, then one effective-dated entry per row.
 *   staker_id,staker_name,node_id,node_kind,amount_hss,effective_at[,idempotency_key]
 *   alice,"Ivanov, Ivan",node-1,solo,12500,2026-11-23T00:00:00Z,chain-tx-0xabc
 * A field holding a comma, a quote or a line break is quoted; a line starting with # is a comment.
 * amount_hss is a decimal (up to 18 decimals); effective_at is ISO 8601 UTC, whole seconds.
 * Every bad row is reported (line and column) and nothing is imported when any row is bad.
 */
export interface StakeCsvRow {
  line: number;
  stakerId: string;
  stakerName: string;
  nodeId: string;
  nodeKind: 'solo' | 'shared';
  amountUnits: bigint;
  effectiveAtMs: number;
  idempotencyKey: string | null;
}

const REQUIRED = ['staker_id', 'staker_name', 'node_id', 'node_kind', 'amount_hss', 'effective_at'] as const;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.000)?Z$/;

/** Records with the file line each starts on (csv-parse's own count is off after a quoted CRLF). */
function records(text: string, source: string): { line: number; cells: string[] }[] | string {
  let parsed: { record: string[]; info: { bytes: number } }[];
  try {
    parsed = parse(text, {
      bom: true,
      info: true,
      trim: true,
      skip_empty_lines: true,
      comment: '#',
      comment_no_infix: true,
      relax_column_count: true,
    }) as unknown as typeof parsed; // csv-parse's types do not model `info: true`
  } catch (e) {
    if (e instanceof CsvError) return `${source}: ${e.message}`;
    throw e;
  }
  const bytes = Buffer.from(text);
  let scanned = 0;
  let breaks = 0;
  return parsed.map(({ record, info }) => {
    // The record ends at info.bytes (its own line break included): its last line is 1 + the breaks before that.
    for (; scanned < info.bytes - 1; scanned++) if (bytes[scanned] === 0x0a) breaks++;
    const inside = record.reduce((n, cell) => n + cell.split('\n').length - 1, 0);
    return { line: breaks + 1 - inside, cells: record };
  });
}

export function parseStakesCsv(text: string, source = 'csv'): { rows: StakeCsvRow[]; errors: string[] } {
  const all = records(text, source);
  if (typeof all === 'string') return { rows: [], errors: [all] };
  const [head, ...body] = all;
  const col = new Map((head?.cells ?? []).map((h, i) => [h, i]));
  const missing = REQUIRED.filter((h) => !col.has(h));
  if (missing.length)
    return { rows: [], errors: [`${source}:${head?.line ?? 1}: header lacks ${missing.join(', ')}`] };
  const errors: string[] = [];
  const rows: StakeCsvRow[] = [];
  for (const { line, cells } of body) {
    const at = (name: string) => cells[col.get(name) ?? -1] ?? '';
    const where = `${source}:${line}`;
    const rowErrors: string[] = [];
    const kind = at('node_kind');
    if (kind !== 'solo' && kind !== 'shared')
      rowErrors.push(`${where}: node_kind "${kind}" must be solo or shared`);
    let amountUnits = 0n;
    try {
      amountUnits = parseHss(at('amount_hss'));
    } catch (e) {
      rowErrors.push(`${where}: amount_hss: ${(e as Error).message}`);
    }
    const when = at('effective_at');
    if (!ISO.test(when))
      rowErrors.push(`${where}: effective_at "${when}" must be ISO 8601 UTC with whole seconds`);
    for (const name of ['staker_id', 'staker_name', 'node_id'] as const) {
      if (!at(name)) rowErrors.push(`${where}: ${name} is empty`);
    }
    if (rowErrors.length) {
      errors.push(...rowErrors);
      continue;
    }
    rows.push({
      line,
      stakerId: at('staker_id'),
      stakerName: at('staker_name'),
      nodeId: at('node_id'),
      nodeKind: kind as 'solo' | 'shared',
      amountUnits,
      effectiveAtMs: Date.parse(when),
      idempotencyKey: at('idempotency_key') || null,
    });
  }
  return { rows, errors };
}
