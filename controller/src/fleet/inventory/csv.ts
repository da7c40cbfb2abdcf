import { z } from 'zod';
import { MinerStatusSchema } from './types.js';

/** RFC 4180-ish CSV: quoted fields with "" escapes and embedded commas/newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const date = z.preprocess(
  blank,
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
    .optional(),
);

/** One row of a miner import: the asset, and optionally where it sits. */
export const MinerCsvRow = z.object({
  serial: z.string().trim().min(1, 'required'),
  model: z.preprocess(blank, z.string().trim().optional()),
  firmware: z.preprocess(blank, z.string().trim().optional()),
  site: z.preprocess(blank, z.string().trim().optional()),
  container: z.preprocess(blank, z.string().trim().optional()),
  rack: z.preprocess(blank, z.string().trim().optional()),
  slot: z.preprocess(blank, z.string().trim().optional()),
  status: z.preprocess(blank, MinerStatusSchema.optional()),
  purchase_date: date,
  warranty_end: date,
  /** The address the site's IP plan gives this slot: how an agent's report of a silent miner finds it. */
  ip: z.preprocess(blank, z.ipv4().optional()),
  mac: z.preprocess(
    blank,
    z
      .string()
      .trim()
      .regex(/^[0-9a-f]{2}([:-]?[0-9a-f]{2}){5}$/i, 'must be a MAC address (6 hex octets)')
      .optional(),
  ),
  /** The site's own asset tag; without one the asset code is derived from the slot. */
  asset_tag: z.preprocess(blank, z.string().trim().max(40).optional()),
});
export type MinerCsvRow = z.infer<typeof MinerCsvRow>;

/** Header-driven rows; each bad row is reported as `line N: field: message` and skipped. */
export function readMinerCsv(text: string): { rows: { line: number; row: MinerCsvRow }[]; errors: string[] } {
  const [header, ...body] = parseCsv(text);
  if (!header) return { rows: [], errors: ['line 1: empty file'] };
  const names = header.map((h) => h.trim().toLowerCase());
  if (!names.includes('serial')) return { rows: [], errors: ['line 1: header has no "serial" column'] };
  const rows: { line: number; row: MinerCsvRow }[] = [];
  const errors: string[] = [];
  body.forEach((cells, i) => {
    const line = i + 2;
    const obj = Object.fromEntries(names.map((n, j) => [n, cells[j] ?? '']));
    const parsed = MinerCsvRow.safeParse(obj);
    if (!parsed.success) {
      errors.push(
        ...parsed.error.issues.map((e) => `line ${line}: ${e.path.join('.') || '(row)'}: ${e.message}`),
      );
      return;
    }
    const r = parsed.data;
    if ((r.rack || r.slot) && !(r.rack && r.slot && r.container)) {
      errors.push(`line ${line}: rack/slot: need container, rack and slot together`);
      return;
    }
    if (r.container && !r.site) {
      errors.push(`line ${line}: site: required with a container`);
      return;
    }
    rows.push({ line, row: r });
  });
  return { rows, errors };
}
