import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { checkRows, type Db, insertHead, isSatsColumn, type SqlValue } from './db.js';

const INT8 = 20;
const NUMERIC = 1700;
const INT8_TEXT = (v: string) => v;

/** `?` -> `$n`, skipping quoted strings and identifiers. */
export function toPgPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let from = 0;
  let quote = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (quote) {
      if (c === quote) quote = 0;
    } else if (c === 39 || c === 34) {
      quote = c; // ' or "
    } else if (c === 63) {
      // ?
      out += `${sql.slice(from, i)}$${++n}`;
      from = i + 1;
    }
  }
  return from === 0 ? sql : out + sql.slice(from);
}

// Statement texts converted once: ingest's multi-row statements carry thousands of `?` and run
// with every batch (issue 15 item 1). The texts come from code, not from data, so they are few;
// the bound only guards against a caller building texts without end.
const converted = new Map<string, string>();

/** `toPgPlaceholders`, remembered per statement text. */
export function pgText(sql: string): string {
  let text = converted.get(sql);
  if (text === undefined) {
    text = toPgPlaceholders(sql);
    if (converted.size >= 5000) converted.clear();
    converted.set(sql, text);
  }
  return text;
}

/** A control character or half of a surrogate pair: JSON.stringify would write an escape PostgreSQL reads otherwise. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const NOT_PLAIN = /[\u0000-\u001f\ud800-\udfff]/;

/**
 * One column of insertRows as a PostgreSQL array literal, in one native JSON.stringify of the
 * column when every value allows: for finite numbers, null, and strings without control characters
 * or surrogates, JSON's text is the array literal's (a quoted element escapes only `"` and `\`,
 * an unquoted `null` is NULL), so `["a\"b",1,null]` is `{"a\"b",1,null}`. Otherwise the values
 * themselves, for pg to quote element by element as before. pg's own quoting (two regular
 * expression replacements and a concatenation per element) and the garbage it left were most of
 * ingest's insertRows time in the 100,000-miner scale rehearsal's profile (controller/bench/scale.bench.ts).
 */
export function arrayLiteral(values: SqlValue[]): string | SqlValue[] {
  for (const v of values) {
    if (v === null) continue;
    if (typeof v === 'string') {
      if (NOT_PLAIN.test(v)) return values;
    } else if (typeof v !== 'number' || !Number.isFinite(v)) return values;
  }
  const json = JSON.stringify(values);
  return `{${json.slice(1, -1)}}`;
}

type Queryable = { query: pg.Pool['query'] };

/**
 * The PostgreSQL Db also reports lost connections (a terminated backend, a failover, a server
 * restart), so the app can log them; queries on them fail and are retried by their callers.
 */
export type PostgresDb = Db & { onConnectionLost(listener: (err: Error) => void): void };

/** Whether an error means the connection itself is gone (SQLSTATE class 08, 57P0x admin shutdown). */
function connectionFailure(err: unknown): boolean {
  const code = String((err as { code?: unknown }).code ?? '');
  return (
    /^(08|57P0)/.test(code) ||
    /Connection terminated|ECONNRESET|ECONNREFUSED/i.test((err as Error).message ?? '')
  );
}

/**
 * insertRows' statements: each table's column types, read once (a failed read is read again next
 * time), and one name per statement text, so every connection parses and plans it once.
 */
function rowsStatements(target: () => Queryable) {
  const columnTypes = new Map<string, Promise<Map<string, string>>>();
  const typesOf = (table: string): Promise<Map<string, string>> => {
    let types = columnTypes.get(table);
    if (!types) {
      types = target()
        .query(
          `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
           WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
          [table],
        )
        .then((r: pg.QueryResult<{ name: string; type: string }>) => {
          if (r.rows.length === 0) throw new Error(`insertRows: no table ${table}`);
          return new Map(r.rows.map((c) => [c.name, c.type]));
        });
      types.catch(() => columnTypes.delete(table));
      columnTypes.set(table, types);
    }
    return types;
  };
  const statementNames = new Map<string, string>();
  return async (head: string, tail: string) => {
    const { table, columns } = insertHead(head);
    const types = await typesOf(table);
    const arrays = columns.map((c, i) => {
      const type = types.get(c);
      if (!type) throw new Error(`insertRows: table ${table} has no column ${c}`);
      return `$${i + 1}::${type}[]`;
    });
    const text = `${head} SELECT * FROM unnest(${arrays.join(', ')}) ${tail}`;
    let name = statementNames.get(text);
    if (!name) {
      name = `hashfleet_rows_${statementNames.size + 1}`;
      statementNames.set(text, name);
    }
    return { name, text, columns: columns.length };
  };
}

/** PostgreSQL through a pg pool; a `?schema=` URL option selects (and creates) a schema. */
export async function openPostgres(url: string): Promise<PostgresDb> {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  if (schema !== null && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new Error(`storage.url: schema "${schema}" must be lower-case letters, digits and "_"`);
  }
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      oid === INT8 || oid === NUMERIC ? INT8_TEXT : pg.types.getTypeParser(oid, format as 'text')) as never,
  };
  if (schema) {
    const admin = new pg.Client({ connectionString: parsed.toString() });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`).catch((err: Error & { code?: string }) => {
        // Two replicas creating the schema at once race on the catalog; the loser can go on.
        if (err.code !== '23505') throw err;
      });
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: parsed.toString(),
    max: 8,
    types,
    // A startup parameter, so every pooled connection has the schema first on its path.
    ...(schema ? { options: `-c search_path=${schema},public` } : {}),
  });
  const lostListeners: ((err: Error) => void)[] = [];
  const broken = new WeakSet<pg.PoolClient>();
  const lost = (err: Error) => {
    for (const l of lostListeners) l(err);
  };
  pool.on('error', (err) => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
    lost(err);
  });
  // A client checked out for a transaction emits `error` when its connection drops between two
  // queries (pg_terminate_backend, failover); without a listener that event kills the process
  // (issue 17 item 2). The transaction's next query then fails, tx() rolls back what it can and
  // discards the client, and the caller retries on a fresh connection.
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      broken.add(client);
      lost(err);
    });
  });
  const inTx = new AsyncLocalStorage<pg.PoolClient>();

  const convert = (result: pg.QueryResult): Record<string, unknown>[] => {
    const big = result.fields.filter((f) => f.dataTypeID === INT8 || f.dataTypeID === NUMERIC);
    if (big.length === 0) return result.rows;
    for (const row of result.rows) {
      for (const f of big) {
        const v = row[f.name];
        if (v === null || v === undefined) continue;
        row[f.name] = isSatsColumn(f.name) ? BigInt(v) : Number(v);
      }
    }
    return result.rows;
  };

  const bind = (params: SqlValue[] = []) =>
    params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : typeof p === 'bigint' ? p.toString() : p));

  const target = (): Queryable => inTx.getStore() ?? pool;

  const query = async (sql: string, params?: SqlValue[]) => target().query(pgText(sql), bind(params));

  const rowsStatement = rowsStatements(target);

  const db: PostgresDb = {
    dialect: 'postgres',
    async all<T>(sql: string, params?: SqlValue[]) {
      return convert(await query(sql, params)) as T[];
    },
    async get<T>(sql: string, params?: SqlValue[]) {
      return convert(await query(sql, params))[0] as T | undefined;
    },
    async run(sql: string, params?: SqlValue[]) {
      const r = await query(sql, params);
      return { changes: r.rowCount ?? 0 };
    },
    async insertRows(head: string, rows: readonly (readonly SqlValue[])[], tail = '') {
      if (rows.length === 0) return;
      const { name, text, columns } = await rowsStatement(head, tail);
      checkRows(head, columns, rows, tail);
      const arrays = Array.from({ length: columns }, (_, j) =>
        arrayLiteral(bind(rows.map((r) => r[j] as SqlValue))),
      );
      await target().query({ name, text, values: arrays });
    },
    async tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
      if (inTx.getStore()) return fn(db);
      const client = await pool.connect();
      let released: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await inTx.run(client, () => fn(db));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        // A client whose connection failed is destroyed, never handed to the next transaction.
        if (broken.has(client) || connectionFailure(err)) released = err as Error;
        throw err;
      } finally {
        client.release(released);
      }
    },
    async close() {
      await pool.end();
    },
    onConnectionLost(listener) {
      lostListeners.push(listener);
    },
  };
  return db;
}
