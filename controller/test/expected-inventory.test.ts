import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/storage/db.js';
import { assetCodeFor } from '../src/fleet/inventory/asset-code.js';
import { adoptSilent } from '../src/fleet/inventory/expected.js';
import { normaliseMac } from '../src/fleet/inventory/mac.js';
import { markNotFound } from '../src/fleet/inventory/not-found.js';
import { type Observation, Reconciler } from '../src/fleet/inventory/reconcile.js';
import { testApp } from './helpers.js';

/**
 * Issue 19 items 1 and 2 on the controller: an asset import is the expected inventory. A miner
 * that reports no serial is the unit expected in its slot (not a second asset displacing it); a
 * miner that never answers is found by the address of the plan and shown in its slot as not
 * answering; every placed miner has an asset code; a MAC's letter case is no board swap.
 */
describe('expected inventory', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  let db: Db;
  const reconciler = new Reconciler();
  const observe = async (o: Partial<Observation>) => {
    const pending = new Map();
    const id = await db.tx((tx) =>
      reconciler.resolve(
        tx,
        {
          agentId: 'agent-kz-c1',
          siteId: 'kz',
          containerId: 'kz-c1',
          minerKey: 'k',
          serial: null,
          mac: null,
          ip: null,
          model: 'Antminer S21',
          profile: 'antminer-stock',
          firmwareVersion: '1',
          slot: null,
          at: 1_000,
          ...o,
        },
        pending,
      ),
    );
    reconciler.commit(pending);
    return id;
  };
  const events = (minerId: string) =>
    db.all<{ kind: string }>('SELECT kind FROM events WHERE miner_id = ? ORDER BY at', [minerId]);
  const grid = async () =>
    (await t.app.inject({ url: '/api/v1/containers/kz-c1', headers: t.auth('technician') })).json();
  const slot = async (rack: string, s: string) =>
    (await grid()).racks
      .find((r: { rack: string }) => r.rack === rack)
      .slots.find((x: { slot: string }) => x.slot === s);

  beforeAll(async () => {
    t = await testApp();
    db = t.app.hashfleet.db;
    const csv =
      'serial,model,site,container,rack,slot,ip,asset_tag\n' +
      'K1,Antminer S21,kz,kz-c1,R2,S9,10.0.0.1,\n' +
      'K2,Antminer S21,kz,kz-c1,R2,S10,10.0.0.2,\n' +
      'K3,Antminer S21,kz,kz-c1,R2,S11,10.0.0.3,PAV-000123\n';
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/inventory/miners.csv',
      headers: { ...t.auth('operator'), 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(res.json()).toEqual({ created: 3, updated: 0, placed: 3, errors: [] });
  });
  afterAll(async () => t.close());

  it('derives asset codes from the slot, or takes the import asset tag', async () => {
    expect(assetCodeFor('kz-c2', 'R2', 'S9')).toBe('KZ-C2-R2-S09');
    expect(assetCodeFor('ks-c1', 'R01', '01')).toBe('KS-C1-R01-01');
    expect((await slot('R2', 'S9')).assetCode).toBe('KZ-C1-R2-S09');
    expect((await slot('R2', 'S11')).assetCode).toBe('PAV-000123');
  });

  it('takes a miner that reports no serial for the unit expected in its slot', async () => {
    const expected = (await slot('R2', 'S10')).minerId;
    const id = await observe({ minerKey: 'k2', slot: { rack: 'R2', slot: 'S10' }, ip: '10.0.0.2' });
    expect(id).toBe(expected);
    const count = await db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM miners WHERE container_id = 'kz-c1'",
    );
    expect(Number(count?.n)).toBe(3);
    // A birth entry carries no slot: the address the plan gave the unit finds it.
    const k3 = (await slot('R2', 'S11')).minerId;
    expect(await observe({ minerKey: 'k3', ip: '10.0.0.3' })).toBe(k3);
    expect((await slot('R2', 'S11')).minerId).toBe(k3);
    // A different serial in that slot is another unit: it takes the slot, the expected one is not it.
    const other = await observe({ minerKey: 'k9', serial: 'X9', slot: { rack: 'R2', slot: 'S10' } });
    expect(other).not.toBe(expected);
  });

  it('shows a miner that never answered in its slot as not answering, found by the plan address', async () => {
    const before = await slot('R2', 'S9');
    // Expected and not yet reported on: neither hashing nor said to be dead.
    expect(before.state).toBe('expected');
    const id = await db.tx((tx) =>
      adoptSilent(
        tx,
        'agent-kz-c1',
        'kz-c1',
        { minerKey: '10.0.0.1', ip: '10.0.0.1', at: 2_000, error: 'timeout' },
        2_000,
      ),
    );
    expect(id).toBe(before.minerId);
    const row = await db.get<{ online: number; error: string }>(
      'SELECT online, error FROM miner_latest WHERE miner_id = ?',
      [id],
    );
    expect(row).toEqual({ online: 0, error: 'timeout' });
    expect((await slot('R2', 'S9')).state).toBe('not_answering');
    // An address no import names stays unknown, and another container's address is not taken.
    expect(
      await adoptSilent(
        db,
        'agent-kz-c1',
        'kz-c1',
        { minerKey: '10.9.9.9', ip: '10.9.9.9', at: 2_000, error: 'x' },
        2_000,
      ),
    ).toBeNull();
    expect(
      await adoptSilent(
        db,
        'agent-kz-c2',
        'kz-c2',
        { minerKey: '10.0.0.3', ip: '10.0.0.3', at: 2_000, error: 'x' },
        2_000,
      ),
    ).toBeNull();
    const list = (await t.app.inject({ url: '/api/v1/containers', headers: t.auth('technician') })).json();
    expect(list.find((c: { id: string }) => c.id === 'kz-c1').discovery).toEqual({
      expected: 4,
      found: 0,
      notAnswering: 4,
    });
  });

  it('says a miner its agent polled for a whole cycle and never found does not answer', async () => {
    const unheard = async () =>
      (
        await db.all<{ id: string }>(
          `SELECT m.id FROM miners m WHERE m.slot_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM miner_latest l WHERE l.miner_id = m.id) ORDER BY m.id`,
        )
      ).map((r) => r.id);
    const waiting = await unheard();
    expect(waiting.length).toBe(2); // K3 and the unit that took K2's slot
    const birth = Date.now() + 1_000;
    await db.run(
      `INSERT INTO agents (id, site_id, container_id, state, state_at, last_birth_at, last_seen_at, poll_interval_ms)
       VALUES ('agent-kz-c1', 'kz', 'kz-c1', 'online', ?, ?, ?, 10000)`,
      [birth, birth, birth + 5_000],
    );
    // Before a whole cycle after its birth the agent may still be scanning; after it, if it has not
    // spoken since, its own silence is agent_offline's to report.
    expect(await markNotFound(db, birth + 8_000)).toBe(0);
    expect(await markNotFound(db, birth + 20_000)).toBe(0);
    await db.run("UPDATE agents SET last_seen_at = ? WHERE id = 'agent-kz-c1'", [birth + 15_000]);
    expect(await markNotFound(db, birth + 20_000)).toBe(2);
    expect(await unheard()).toEqual([]);
    expect((await slot('R2', 'S11')).state).toBe('not_answering');
    const row = await db.get<{ online: number; error: string }>(
      'SELECT online, error FROM miner_latest WHERE miner_id = ?',
      [waiting[0]!],
    );
    expect(row).toEqual({ online: 0, error: 'not found by agent agent-kz-c1 within a poll cycle' });
    expect(await markNotFound(db, birth + 50_000)).toBe(0);
  });

  it('normalises MACs: a change of letter case is no control board swap', async () => {
    expect(normaliseMac('AA-BB-CC-DD-EE-0F')).toBe('aa:bb:cc:dd:ee:0f');
    const id = await observe({ minerKey: 'k1', serial: 'K1', mac: 'AA:BB:CC:DD:EE:01', at: 3_000 });
    await observe({ minerKey: 'k1', serial: 'K1', mac: 'aa:bb:cc:dd:ee:01', at: 4_000 });
    await observe({ minerKey: 'k1', serial: 'K1', mac: 'AA:BB:CC:DD:EE:01', at: 5_000 });
    expect((await events(id)).map((e) => e.kind)).not.toContain('miner.board_swap');
    // A real new MAC still is one.
    await observe({ minerKey: 'k1', serial: 'K1', mac: 'aa:bb:cc:dd:ee:02', at: 6_000 });
    expect((await events(id)).map((e) => e.kind)).toContain('miner.board_swap');
  });
});
