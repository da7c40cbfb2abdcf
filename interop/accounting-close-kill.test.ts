import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allMigrations } from '@hashfleet/controller/core/app';
import { openDb } from '@hashfleet/controller/core/storage/db';
import { migrate } from '@hashfleet/controller/core/storage/migrate';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, pgReachable } from '../controller/test/helpers.js';

/**
 * A period close on PostgreSQL killed with SIGKILL while it is writing: the close runs as its own
 * process (`hashfleet-controller period close`) over 60,000 stakers, and is killed once PostgreSQL
 * shows its transaction inserting payouts. Afterwards nothing of the close is stored (no close row,
 * payouts, summary, journal or completeness row), and the next close succeeds with inputs and
 * outputs byte-identical to a reference close of an identical copy of the data in another schema.
 */
const ready = await pgReachable(PG_URL);
const runOrSkip = !ready && !process.env.CI ? describe.skip : describe;
const CLI = fileURLToPath(new URL('../controller/bin/hashfleet-controller.mjs', import.meta.url));
const PERIOD = '2026-11-23';
const DAY_START = Date.parse('2026-11-23T00:00:00Z');
const STAKERS = 60_000;
const tag = createHash('sha256').update(`${process.pid}:${Date.now()}`).digest('hex').slice(0, 10);
const SCHEMA_KILLED = `kill_${tag}`;
const SCHEMA_REF = `ref_${tag}`;
const APP_KILLED = `hf-close-kill-${tag}`;

const schemaUrl = (schema: string) => {
  const u = new URL(PG_URL);
  u.searchParams.set('schema', schema);
  return u.toString();
};

async function seed(schema: string): Promise<void> {
  const db = await openDb(schemaUrl(schema));
  await migrate(db, allMigrations(), () => 0);
  await db.close();
  const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await c.connect();
  try {
    const tariff = JSON.stringify({
      currency: 'USD',
      perKwh: Array.from({ length: 12 }, () => Array(24).fill(0.04)),
    });
    await c.query('BEGIN');
    await c.query(
      'INSERT INTO sites (id, name, timezone, tariff_json, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, 0)',
      ['kz-1', 'Pavlodar', 'Asia/Almaty', tariff],
    );
    for (let h = 0; h < 24; h++) {
      const at = DAY_START + h * 3_600_000;
      await c.query(
        `INSERT INTO container_hourly (site_id, container_id, hour_start, diff1_shares, energy_wh_metered, energy_wh_reported,
         energy_wh_estimated, miner_uptime_s, samples) VALUES ('kz-1', 'c01', $1, 5e9, 100000, 0, 0, 3600, 60)`,
        [at],
      );
      await c.query(
        `INSERT INTO miner_hourly_energy (site_id, container_id, hour_start, unit, metered_wh, metered_n, reported_wh,
         reported_n, estimated_wh, estimated_n) VALUES ('kz-1', 'c01', $1, 'slot:R01/01', 100000, 1, 0, 0, 0, 0)`,
        [at],
      );
    }
    await c.query("INSERT INTO acct_nodes (id, name, kind, created_at) VALUES ('node-1', 'N1', 'shared', 0)");
    // Deterministic salts, so that both schemas name the same holders and give the same bytes.
    const BATCH = 5000;
    for (let from = 0; from < STAKERS; from += BATCH) {
      const stakers: string[] = [];
      const entries: string[] = [];
      for (let i = from; i < Math.min(from + BATCH, STAKERS); i++) {
        const id = `staker-${String(i).padStart(6, '0')}`;
        const salt = createHash('sha256').update(`salt:${id}`).digest('hex').slice(0, 32);
        const holder = createHash('sha256')
          .update(`hashfleet-holder:${salt}:${id}`)
          .digest('hex')
          .slice(0, 32);
        stakers.push(`('${id}', 'S ${i}', '${holder}', '${salt}', 0)`);
        // 1 to 50 HSS (18-decimal base units); a few thousand change during the day.
        const units = `${1 + (i % 50)}000000000000000000`;
        const at = i % 17 === 0 ? DAY_START + (i % 24) * 3_600_000 : DAY_START - 86_400_000;
        entries.push(`(${i + 1}, '${id}', 'node-1', '${units}', ${at}, 'seed', 'seed-${i}', 'seed', 0)`);
      }
      await c.query(
        `INSERT INTO acct_stakers (id, name, holder, holder_salt, created_at) VALUES ${stakers.join(',')}`,
      );
      await c.query(
        `INSERT INTO acct_stake_entries (seq, staker_id, node_id, amount_units, effective_at, source, idempotency_key,
         entered_by, entered_at) VALUES ${entries.join(',')}`,
      );
    }
    await c.query(
      `INSERT INTO acct_credits (id, period_id, pool, reference, amount_sats, entered_by, entered_at)
       VALUES ('credit-1', $1, 'braiins', 'd-23', 500000000, 'seed', 0)`,
      [PERIOD],
    );
    await c.query(
      `INSERT INTO acct_btc_prices (id, currency, price_micro, source, observed_at, entered_by, entered_at)
       VALUES ('price-1', 'USD', 95000000000, 'manual', $1, 'seed', 0)`,
      [Date.parse('2026-11-23T23:00:00Z')],
    );
    await c.query('COMMIT');
  } finally {
    await c.end();
  }
}

function closeCli(schema: string, dir: string, appName?: string) {
  const proc = spawn(
    process.execPath,
    [CLI, 'period', 'close', PERIOD, '--override', 'kill test: no telemetry'],
    {
      env: {
        ...process.env,
        HASHFLEET_DATA_DIR: join(dir, schema),
        HASHFLEET_DB_URL: schemaUrl(schema),
        HASHFLEET_LOG_LEVEL: 'warn',
        ...(appName ? { PGAPPNAME: appName } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal, out })),
  );
  return { proc, done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

runOrSkip('a period close on PostgreSQL killed with SIGKILL mid-write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-close-kill-'));
  const admin = new pg.Client({ connectionString: PG_URL });
  const stored = async (schema: string) =>
    (
      await admin.query(
        `SELECT inputs_json, inputs_sha256, outputs_json, outputs_sha256 FROM ${schema}.acct_closes WHERE period_id = $1`,
        [PERIOD],
      )
    ).rows as { inputs_json: string; inputs_sha256: string; outputs_json: string; outputs_sha256: string }[];
  const count = async (schema: string, table: string) =>
    Number((await admin.query(`SELECT COUNT(*)::int AS n FROM ${schema}.${table}`)).rows[0].n);

  beforeAll(async () => {
    await admin.connect();
    await seed(SCHEMA_KILLED);
    await seed(SCHEMA_REF);
  }, 300_000);

  afterAll(async () => {
    for (const s of [SCHEMA_KILLED, SCHEMA_REF]) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves no partial close, and the next close gives the reference bytes', async () => {
    const ref = await closeCli(SCHEMA_REF, dir).done;
    expect(ref.code, ref.out).toBe(0);
    expect(await count(SCHEMA_REF, 'acct_payouts')).toBe(STAKERS);

    const run = closeCli(SCHEMA_KILLED, dir, APP_KILLED);
    // Kill once PostgreSQL shows this process's transaction writing payouts (the close's writes).
    let seen: { pid: number; xact_start: Date | null; query: string } | undefined;
    for (let i = 0; i < 6000 && !seen && run.proc.exitCode === null; i++) {
      const r = await admin.query(
        `SELECT pid, xact_start, query FROM pg_stat_activity
         WHERE application_name = $1 AND xact_start IS NOT NULL AND query LIKE 'INSERT INTO acct_payouts%'`,
        [APP_KILLED],
      );
      seen = r.rows[0];
      if (!seen) await sleep(10);
    }
    expect(seen, 'the close was never seen inserting payouts').toBeDefined();
    run.proc.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    // PostgreSQL rolls the orphaned transaction back when it notices the socket closed.
    for (let i = 0; i < 1000; i++) {
      const r = await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [seen!.pid]);
      if (r.rowCount === 0) break;
      await sleep(20);
    }
    expect((await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [seen!.pid])).rowCount).toBe(
      0,
    );

    expect(await stored(SCHEMA_KILLED)).toEqual([]);
    for (const t of ['acct_payouts', 'acct_journal', 'acct_close_summaries', 'acct_completeness']) {
      expect(await count(SCHEMA_KILLED, t), t).toBe(0);
    }

    const again = await closeCli(SCHEMA_KILLED, dir).done;
    expect(again.code, again.out).toBe(0);
    expect(JSON.parse(again.out).alreadyClosed).toBe(false);
    const [a] = await stored(SCHEMA_KILLED);
    const [b] = await stored(SCHEMA_REF);
    expect(a!.inputs_sha256).toBe(b!.inputs_sha256);
    expect(a!.outputs_sha256).toBe(b!.outputs_sha256);
    expect(a!.inputs_json === b!.inputs_json).toBe(true);
    expect(a!.outputs_json === b!.outputs_json).toBe(true);
    expect(await count(SCHEMA_KILLED, 'acct_payouts')).toBe(STAKERS);
    expect(await count(SCHEMA_KILLED, 'acct_journal')).toBe(await count(SCHEMA_REF, 'acct_journal'));
  }, 600_000);
});
