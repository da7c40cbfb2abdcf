import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAttribution } from '@hashfleet/controller/accounting/service';
import { buildApp } from '@hashfleet/controller/core/app';
import { createToken } from '@hashfleet/controller/core/auth/tokens';
import { loadControllerConfig } from '@hashfleet/controller/core/config';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, reachable } from './lib/net.js';

/**
 * Accounting against real servers: two controller replicas on one PostgreSQL schema close the
 * same period at the same moment (exactly one closes, the other gets the stored result), the
 * database itself refuses UPDATE/DELETE on the ledger, recompute is byte-identical on PostgreSQL,
 * and the close writes `staker_hashrate` to a real VictoriaMetrics through the InfluxDB v2 API.
 */
const PG_URL = process.env.HASHFLEET_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const VM = '/usr/bin/victoria-metrics';
const NOW = Date.parse('2026-11-24T03:00:00Z');
const PERIOD = '2026-11-23';
const DAY_START = Date.parse('2026-11-23T00:00:00Z');

const available = existsSync(VM) && (await reachable(PG_URL));
const runOrSkip = !available && !process.env.CI ? describe.skip : describe;

runOrSkip('accounting on PostgreSQL with two replicas and VictoriaMetrics', () => {
  const schema = `acct_${randomBytes(6).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-acct-'));
  let vm: ChildProcess;
  let vmUrl = '';
  const apps: FastifyInstance[] = [];
  let token = '';

  beforeAll(async () => {
    if (!existsSync(VM)) throw new Error(`${VM} missing (install victoria-metrics)`);
    if (!(await reachable(PG_URL))) throw new Error(`PostgreSQL ${PG_URL} not reachable`);
    const port = await freePort();
    vmUrl = `http://127.0.0.1:${port}`;
    vm = spawn(
      VM,
      [
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${join(dir, 'vm')}`,
        '-search.latencyOffset=0s',
      ],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 100; i++) {
      if (
        await fetch(`${vmUrl}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    for (const replica of ['a', 'b']) {
      const config = loadControllerConfig(
        {
          dataDir: join(dir, replica),
          storage: { url: url.toString() },
          log: { level: 'silent' },
          influx: { url: vmUrl, bucket: 'hashfleet', org: 'hashfleet', token: '', flushIntervalMs: 100 },
        },
        {},
      );
      apps.push(await buildApp(config, { now: () => NOW }));
    }
    const db = apps[0]!.hashfleet.db;
    token = await createToken(db, { role: 'operator', name: 'op' });
    const tariff = JSON.stringify({
      currency: 'USD',
      perKwh: Array.from({ length: 12 }, () => Array(24).fill(0.04)),
    });
    await db.run(
      'INSERT INTO sites (id, name, timezone, tariff_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      ['kz-1', 'Pavlodar', 'Asia/Almaty', tariff, 0, 0],
    );
    for (let h = 0; h < 24; h++) {
      await db.run(
        `INSERT INTO container_hourly (site_id, container_id, hour_start, diff1_shares, energy_wh_metered, energy_wh_reported,
         energy_wh_estimated, miner_uptime_s, samples) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ['kz-1', 'c01', DAY_START + h * 3_600_000, 5e9, 100_000, 0, 0, 3600, 60],
      );
      // The close bills energy per miner-hour (miner_hourly_energy, as the PDU ingest writes it per
      // outlet, fleet/hourly.ts); without these rows the day's energy coverage is 0 and it refuses (409).
      await db.run(
        `INSERT INTO miner_hourly_energy (site_id, container_id, hour_start, unit, metered_wh, metered_n, reported_wh,
         reported_n, estimated_wh, estimated_n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ['kz-1', 'c01', DAY_START + h * 3_600_000, 'slot:R01/01', 100_000, 1, 0, 0, 0, 0],
      );
    }
    const post = async (u: string, payload: object) => {
      const r = await apps[0]!.inject({
        method: 'POST',
        url: `/api/v1${u}`,
        headers: { authorization: `Bearer ${token}` },
        payload,
      });
      expect(r.statusCode, r.body).toBeLessThan(300);
    };
    await post('/stakers', { id: 'staker-1', name: 'Alice' });
    await post('/stakers', { id: 'staker-2', name: 'Bob' });
    await post('/nodes', { id: 'node-1', name: 'N1', kind: 'shared' });
    await post('/stakes', {
      stakerId: 'staker-1',
      nodeId: 'node-1',
      amountHss: '7000',
      effectiveAt: '2026-11-01T00:00:00Z',
    });
    await post('/stakes', {
      stakerId: 'staker-2',
      nodeId: 'node-1',
      amountHss: '5000.5',
      effectiveAt: '2026-11-23T08:00:00Z',
    });
    await post('/credits', { periodId: PERIOD, pool: 'braiins', reference: 'd-23', amountSats: '5000000' });
    await post('/btc-prices', {
      currency: 'USD',
      price: '95000',
      source: 'manual',
      observedAt: '2026-11-23T23:00:00Z',
    });
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    vm?.kill('SIGINT');
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two replicas closing at once: exactly one closes, both answer the same hashes', async () => {
    const close = (app: FastifyInstance) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/periods/${PERIOD}/close`,
        headers: { authorization: `Bearer ${token}` },
      });
    const [a, b] = await Promise.all([close(apps[0]!), close(apps[1]!)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 201]);
    expect(a.json().outputsSha256).toBe(b.json().outputsSha256);
    const rows = await apps[0]!.hashfleet.db.all(
      "SELECT tx FROM acct_journal WHERE tx = '2026-11-23/credit'",
    );
    expect(rows).toHaveLength(2);
  });

  it('recompute on PostgreSQL reproduces the stored bytes; the ledger refuses UPDATE and DELETE', async () => {
    const r = await apps[1]!.inject({
      method: 'POST',
      url: `/api/v1/periods/${PERIOD}/recompute`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(r.json().identical).toBe(true);
    const db = apps[0]!.hashfleet.db;
    await expect(db.run('UPDATE acct_journal SET debit_sats = 0')).rejects.toThrow(/append-only/);
    await expect(db.run('DELETE FROM acct_closes')).rejects.toThrow(/append-only/);
    await expect(db.run('UPDATE acct_stake_entries SET amount_units = ?', ['1'])).rejects.toThrow(
      /append-only/,
    );
  });

  it('writes staker_hashrate points (tags staker, node) to VictoriaMetrics', async () => {
    for (const app of apps) await app.hashfleet.influx?.flush();
    type Series = { metric: Record<string, string>; values: number[]; timestamps: number[] };
    const bobOf = (body: string) =>
      body
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Series)
        .find((s) => s.metric.staker === 'staker-2' && s.metric.node === 'node-1');
    // VictoriaMetrics makes points searchable in batches: wait for the whole day, not the first point.
    let bob: Series | undefined;
    for (let i = 0; i < 60 && (bob?.timestamps.length ?? 0) < 16; i++) {
      await fetch(`${vmUrl}/internal/force_flush`).catch(() => undefined);
      const r = await fetch(
        `${vmUrl}/api/v1/export?match[]={__name__="staker_hashrate_hashrate_ths"}&start=${DAY_START / 1000}&end=${NOW / 1000}`,
      );
      bob = bobOf(await r.text());
      if ((bob?.timestamps.length ?? 0) < 16) await new Promise((res) => setTimeout(res, 250));
    }
    // node-1 reaches 12,000.5 HSS at 08:00, so hours 08..23 attribute hashrate to both stakers.
    expect(bob?.timestamps).toHaveLength(16);
    const fleetThs = (5e9 * 2 ** 32) / 3600 / 1e12;
    expect(bob!.values[0]).toBeCloseTo((fleetThs * 5000.5) / 12000.5, 6);
  });

  it('above the series bound, writes the hours per node with staker="*" instead of per staker', async () => {
    const app = apps[0]!;
    const ctx = app.hashfleet;
    const written = await writeAttribution(
      { db: ctx.db, audit: ctx.audit, influx: ctx.influx, now: ctx.now },
      PERIOD,
      1,
    );
    // node-1 holds 7,000 HSS until staker-2 joins at 08:00: eligible for 16 hours.
    expect(written).toBe(16);
    await ctx.influx?.flush();
    let series: { metric: Record<string, string>; values: number[] } | undefined;
    for (let i = 0; i < 60 && (series?.values.length ?? 0) < 16; i++) {
      await fetch(`${vmUrl}/internal/force_flush`).catch(() => undefined);
      const r = await fetch(
        `${vmUrl}/api/v1/export?match[]={__name__="staker_hashrate_share",staker="*"}&start=${DAY_START / 1000}&end=${NOW / 1000}`,
      );
      const first = (await r.text()).trim().split('\n')[0];
      series = first ? JSON.parse(first) : undefined;
      if ((series?.values.length ?? 0) < 16) await new Promise((res) => setTimeout(res, 250));
    }
    if (!series) throw new Error('no staker="*" series in VictoriaMetrics');
    expect(series.metric.node).toBe('node-1');
    expect(series.values).toHaveLength(16);
    // The only eligible node holds all eligible stake.
    expect(series.values.every((v) => v === 1)).toBe(true);
  });
});
