import type { Db, SqlValue } from './db.js';
import { arrayLiteral } from './postgres.js';

/**
 * Multi-row `INSERT ... VALUES (...), (...) <tail>` in chunks: one round trip per chunk instead
 * of per row (it matters on PostgreSQL). Rows in one call must not repeat a conflict key.
 */
export async function insertMany(
  db: Db,
  head: string,
  columns: number,
  rows: SqlValue[][],
  tail = '',
  chunk = 200,
): Promise<void> {
  const tuple = `(${Array(columns).fill('?').join(', ')})`;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    await db.run(`${head} VALUES ${part.map(() => tuple).join(', ')} ${tail}`, part.flat());
  }
}

/** How PostgreSQL reads a column of `insertColumns`: its array's element type. */
export type ColumnType = 'text' | 'bigint';

/** A table's rows as `insertColumns` writes them: `row` puts item's values in `out[0..columns)`. */
export interface ColumnInsert<T> {
  table: string;
  columns: readonly string[];
  types: readonly ColumnType[];
  row(item: T, out: SqlValue[]): void;
}

/** Parameters per statement on SQLite (it allows 32,766), rows per statement on PostgreSQL. */
export const SQLITE_MAX_PARAMS = 30_000;
export const PG_ROWS_PER_STATEMENT = 20_000;

/** One element of a PostgreSQL array literal: quoted, `"` and `\` escaped (text), or NULL. */
function arrayElement(v: SqlValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return `"${v.replace(/["\\]/g, '\\$&')}"`;
  if (typeof v === 'boolean') return v ? '1' : '0';
  return `${v}`;
}

/**
 * One PostgreSQL statement for the first `rows` rows of `values` (one list per column): a column
 * whose value is the same in every row is one parameter, the others one array literal each through
 * `unnest`. The server parses each array element (the close's 1,000,000 journal lines share 8 of
 * their 11 columns); written with `$n` and no `?`, so the driver's translation leaves it as it is.
 */
function unnestStatement(
  head: string,
  types: readonly ColumnType[],
  values: readonly SqlValue[][],
  rows: number,
): [string, SqlValue[]] {
  const fixed = values.map((col) => {
    for (let r = 1; r < rows; r++) if (col[r] !== col[0]) return false;
    return true;
  });
  // At least one array, so that unnest gives the rows.
  if (fixed.every(Boolean)) fixed[0] = false;
  const params: SqlValue[] = [];
  const arrays: string[] = [];
  const select = types.map((type, c) => {
    const col = values[c]!;
    if (fixed[c]) {
      params.push(col[0]!);
      return `$${params.length}::${type}`;
    }
    // The one JSON text insertRows sends when the column allows it (postgres.ts arrayLiteral),
    // else quoted element by element.
    const fast = arrayLiteral(rows === col.length ? col : col.slice(0, rows));
    if (typeof fast === 'string') params.push(fast);
    else {
      let literal = '{';
      for (let r = 0; r < rows; r++) literal += (r ? ',' : '') + arrayElement(col[r]!);
      params.push(`${literal}}`);
    }
    arrays.push(`$${params.length}::${type}[]`);
    return `u.c${arrays.length}`;
  });
  const names = arrays.map((_, i) => `c${i + 1}`).join(', ');
  return [`${head} SELECT ${select.join(', ')} FROM unnest(${arrays.join(', ')}) AS u(${names})`, params];
}

/**
 * Appends many rows, in the order of `items`, in the caller's transaction, without an object or
 * array per row (the close writes 1,000,000 payouts and as many journal lines, issue 15 item 3).
 * PostgreSQL: `INSERT ... SELECT ... FROM unnest($1::text[], ...)` of PG_ROWS_PER_STATEMENT rows,
 * one array literal per column that varies (`unnestStatement`), so a statement's parameters are a
 * few strings however many rows it carries. SQLite: multi-row `VALUES (...), (...)` of at most SQLITE_MAX_PARAMS parameters.
 * Returns the number of statements sent.
 */
export async function insertColumns<T>(db: Db, spec: ColumnInsert<T>, items: Iterable<T>): Promise<number> {
  const n = spec.columns.length;
  if (spec.types.length !== n)
    throw new Error(`insertColumns ${spec.table}: ${n} columns, ${spec.types.length} types`);
  const head = `INSERT INTO ${spec.table} (${spec.columns.join(', ')})`;
  const out: SqlValue[] = new Array(n).fill(null);
  let statements = 0;
  if (db.dialect === 'postgres') {
    const values: SqlValue[][] = spec.columns.map(() => new Array<SqlValue>(PG_ROWS_PER_STATEMENT));
    let rows = 0;
    // One statement in flight while the next is built, so the server's work on one chunk and
    // ours on the next overlap; in order on the transaction's connection. A failed statement
    // stops the next (its error comes out of the await before it, or the last one).
    let pending: Promise<unknown> = Promise.resolve();
    const send = async () => {
      const [sql, params] = unnestStatement(head, spec.types, values, rows);
      rows = 0;
      statements++;
      await pending;
      pending = db.run(sql, params);
      pending.catch(() => {});
    };
    for (const item of items) {
      spec.row(item, out);
      for (let c = 0; c < n; c++) values[c]![rows] = out[c]!;
      if (++rows === PG_ROWS_PER_STATEMENT) await send();
    }
    if (rows) await send();
    await pending;
    return statements;
  }
  const chunk = Math.floor(SQLITE_MAX_PARAMS / n);
  const tuple = `(${Array(n).fill('?').join(', ')})`;
  const statement = (rows: number) => `${head} VALUES ${Array(rows).fill(tuple).join(', ')}`;
  // The statement of a full chunk is the same every time: written once, not per chunk.
  const full = statement(chunk);
  let params: SqlValue[] = [];
  let rows = 0;
  for (const item of items) {
    spec.row(item, out);
    for (let c = 0; c < n; c++) params.push(out[c]!);
    if (++rows === chunk) {
      await db.run(full, params);
      params = [];
      rows = 0;
      statements++;
    }
  }
  if (rows) {
    await db.run(statement(rows), params);
    statements++;
  }
  return statements;
}
