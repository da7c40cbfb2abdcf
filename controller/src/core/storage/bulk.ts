import type { Db, SqlValue } from './db.js';

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
