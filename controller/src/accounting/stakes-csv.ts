import { parseHss } from './hss.js';

/**
 * Stake import CSV: a header row, then one effective-dated entry per row.
 *   staker_id,staker_name,node_id,node_kind,amount_hss,effective_at[,idempotency_key]
 *   alice,Alice,node-1,solo,12500,2026-11-23T00:00:00Z,chain-tx-0xabc
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

export function parseStakesCsv(text: string, source = 'csv'): { rows: StakeCsvRow[]; errors: string[] } {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const errors: string[] = [];
  const col = new Map(header.map((h, i) => [h, i]));
  const missing = REQUIRED.filter((h) => !col.has(h));
  if (missing.length) return { rows: [], errors: [`${source}:1: header lacks ${missing.join(', ')}`] };
  const rows: StakeCsvRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const cells = raw.split(',').map((c) => c.trim());
    const at = (name: string) => cells[col.get(name) ?? -1] ?? '';
    const where = `${source}:${i + 1}`;
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
      line: i + 1,
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
