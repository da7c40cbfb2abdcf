import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '@hashfleet/controller/core/app';
import { createToken } from '@hashfleet/controller/core/auth/tokens';
import { loadControllerConfig } from '@hashfleet/controller/core/config';
import {
  createMiner,
  ensureSlots,
  flatTariff,
  moveMiner,
  upsertContainer,
  upsertSite,
} from '@hashfleet/controller/fleet/inventory/index';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reachable } from './lib/net.js';

/**
 * Relocation on a real PostgreSQL: the same migration, queries and workflow as on SQLite. Two
 * replicas share the schema: a plan proposed on one is approved on the other, a move is walked
 * to verified across both, and approving twice at once creates the moves exactly once.
 */
const PG_URL = process.env.HASHFLEET_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

const available = await reachable(PG_URL);
const runOrSkip = !available && !process.env.CI ? describe.skip : describe;

runOrSkip('relocation on PostgreSQL with two replicas', () => {
  const schema = `reloc_${randomBytes(6).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-reloc-pg-'));
  const apps: FastifyInstance[] = [];
  const tokens: Record<string, string> = {};
  let clock = Date.parse('2026-12-01T00:00:00Z');

  beforeAll(async () => {
    if (!(await reachable(PG_URL))) throw new Error(`PostgreSQL ${PG_URL} not reachable`);
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    for (const replica of ['a', 'b']) {
      const config = loadControllerConfig(
        { dataDir: join(dir, replica), storage: { url: url.toString() }, log: { level: 'silent' } },
        {},
      );
      apps.push(await buildApp(config, { now: () => (clock += 1000) }));
    }
    const db = apps[0]!.hashfleet.db;
    for (const role of ['operator', 'admin', 'technician'] as const) {
      tokens[role] = await createToken(db, { role, name: `${role}-1` });
    }
    await upsertSite(
      db,
      {
        id: 'sichuan',
        name: 'Sichuan',
        timezone: 'Asia/Shanghai',
        tariff: flatTariff(0.039),
      },
      clock,
    );
    await upsertSite(
      db,
      {
        id: 'kazakhstan',
        name: 'Pavlodar',
        timezone: 'Asia/Almaty',
        tariff: flatTariff(0.03),
      },
      clock,
    );
    for (const [id, site] of [
      ['sc-c1', 'sichuan'],
      ['kz-c1', 'kazakhstan'],
    ] as const) {
      await upsertContainer(db, { id, siteId: site, name: id }, clock);
      await ensureSlots(
        db,
        id,
        ['01', '02', '03'].map((slot) => ({ rack: 'R01', slot })),
      );
    }
    for (const n of [1, 2]) {
      // On the apps' clock, not the real one (the seed must come before what the apps do).
      await createMiner(db, { id: `m${n}`, serial: `SN-${n}`, model: 'Antminer T17' }, clock);
      await moveMiner(
        db,
        `m${n}`,
        {
          siteId: 'sichuan',
          containerId: 'sc-c1',
          slotId: `sc-c1/R01/0${n}`,
          status: 'in_service',
          reason: 'seed',
        },
        { now: clock },
      );
    }
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (
    replica: 0 | 1,
    role: string,
    method: 'GET' | 'POST' | 'PUT',
    url: string,
    payload?: object,
  ) =>
    apps[replica]!.inject({
      method,
      url: `/api/v1/relocation${url}`,
      headers: { authorization: `Bearer ${tokens[role]}` },
      ...(method === 'GET' ? {} : { payload: payload ?? {} }),
    });

  it("a site's planning facts: set on one replica, replaced on the other, read back as the last write", async () => {
    const first = await call(0, 'operator', 'PUT', '/sites/sichuan', {
      repairCentre: true,
      ambientC: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      ambientSource: 'test figures, not a climate normal',
    });
    expect(first.statusCode, first.body).toBe(200);
    const second = await call(1, 'admin', 'PUT', '/sites/sichuan', { repairCentre: true });
    expect(second.statusCode, second.body).toBe(200);
    const list = await call(0, 'technician', 'GET', '/sites');
    expect(list.json()).toEqual([
      expect.objectContaining({
        siteId: 'sichuan',
        repairCentre: true,
        ambientC: null,
        updatedBy: 'admin-1',
      }),
    ]);
  });

  it('proposes on one replica, approves once on two at the same time, walks a move to verified', async () => {
    const p = await call(0, 'operator', 'POST', '/plans', {
      name: 'dry season',
      assumptions: {
        start: '2026-12',
        horizonMonths: 4,
        market: { btcPriceUsd: 90_000, hashpriceBtcPerPhDay: 0.0006 },
        routes: [
          {
            from: 'sichuan',
            to: 'kazakhstan',
            transitDays: 10,
            costPerMinerUsd: 20,
            costPerContainerUsd: 5000,
          },
        ],
        sites: { sichuan: { repairSite: true } },
      },
    });
    expect(p.statusCode, p.body).toBe(201);
    const plan = p.json();
    expect(plan.moveCount).toBe(2);
    expect((await call(1, 'operator', 'GET', `/plans/${plan.id}`)).json().plan.moves).toHaveLength(2);

    const both = await Promise.all([
      call(0, 'admin', 'POST', `/plans/${plan.id}/approve`),
      call(1, 'admin', 'POST', `/plans/${plan.id}/approve`),
    ]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const moves = (await call(1, 'technician', 'GET', `/moves?planId=${plan.id}`)).json();
    expect(moves).toHaveLength(2);

    const mv = moves.find((m: { minerId: string }) => m.minerId === 'm1');
    for (const [i, to] of ['decommissioned', 'packed', 'in_transit', 'arrived'].entries()) {
      const r = await call((i % 2) as 0 | 1, 'technician', 'POST', `/moves/${mv.id}/advance`, { to });
      expect(r.statusCode, r.body).toBe(200);
    }
    const inst = await call(0, 'technician', 'POST', `/moves/${mv.id}/advance`, {
      to: 'installed',
      slot: 'kz-c1/R01/03',
      serialSeen: 'SN-1',
    });
    expect(inst.json()).toMatchObject({ state: 'installed', toSlot: 'kz-c1/R01/03' });
    // What ingest records when the Kazakhstan agent reports the unit.
    const db = apps[1]!.hashfleet.db;
    const at = clock + 60_000;
    await db.run(
      "INSERT INTO agents (id, site_id, container_id, state, state_at) VALUES ('agent-kz-c1', 'kazakhstan', 'kz-c1', 'online', ?)",
      [at],
    );
    await db.run(
      "INSERT INTO agent_miners (agent_id, miner_key, miner_id, updated_at) VALUES ('agent-kz-c1', 'SN-1', 'm1', ?)",
      [at],
    );
    await db.run(
      `INSERT INTO miner_latest (miner_id, at, received_at, sample_json, hashrate_ths, expected_ths, state, online)
       VALUES ('m1', ?, ?, '{}', 39.8, 40, 'hashing', 1)`,
      [at, at],
    );
    const ok = await call(1, 'technician', 'POST', `/moves/${mv.id}/advance`, { to: 'verified' });
    expect(ok.json(), ok.body).toMatchObject({ state: 'verified' });
    const where = await db.get<{ container_id: string; slot_id: string; status: string }>(
      'SELECT container_id, slot_id, status FROM miners WHERE id = ?',
      ['m1'],
    );
    expect(where).toEqual({ container_id: 'kz-c1', slot_id: 'kz-c1/R01/03', status: 'in_service' });
    const steps = await db.all<{ to_state: string }>(
      'SELECT to_state FROM relocation_move_events WHERE move_id = ? ORDER BY at',
      [mv.id],
    );
    expect(steps.map((s) => s.to_state)).toEqual([
      'decommissioned',
      'packed',
      'in_transit',
      'arrived',
      'installed',
      'verified',
    ]);
  });
});
