import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadControllerConfig } from '../src/core/config.js';
import { readMinerCsv } from '../src/fleet/inventory/csv.js';
import { createMiner, moveMiner } from '../src/fleet/inventory/miners.js';
import { upsertContainer, upsertSite } from '../src/fleet/inventory/sites.js';
import { ensureSlots, slotGrid } from '../src/fleet/inventory/slots.js';
import { flatTariff } from '../src/fleet/inventory/types.js';
import { testApp } from './helpers.js';

describe('miner CSV', () => {
  it('reads quoted fields and names each bad row and field', () => {
    const { rows, errors } = readMinerCsv(
      'serial,model,site,container,rack,slot,status,purchase_date\n' +
        '"S1","Antminer S19 Pro",ks,ks-c1,R01,01,,2024-01-05\n' +
        'S2,,,,,,broken,\n' +
        ',x,,,,,,\n' +
        'S3,,,,R01,02,,\n' +
        'S4,,,,,,,05/01/2024\n',
    );
    expect(rows.map((r) => r.row.serial)).toEqual(['S1']);
    expect(errors).toEqual([
      expect.stringMatching(/^line 3: status: /),
      'line 4: serial: required',
      'line 5: rack/slot: need container, rack and slot together',
      'line 6: purchase_date: must be YYYY-MM-DD',
    ]);
  });
});

describe('inventory', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t.close());

  it('imports miners over HTTP into their slots, audited, and updates on a second import', async () => {
    const csv =
      'serial,model,site,container,rack,slot\nK1,Antminer S21,kz,kz-c1,R01,01\nK2,Antminer S21,kz,kz-c1,R01,02\n';
    const post = (body: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/inventory/miners.csv',
        headers: { ...t.auth('operator'), 'content-type': 'text/csv' },
        payload: body,
      });
    expect((await post(csv)).json()).toEqual({ created: 2, updated: 0, placed: 2, errors: [] });
    expect((await post(csv)).json()).toMatchObject({ created: 0, updated: 2 });
    const grid = (
      await t.app.inject({ url: '/api/v1/containers/kz-c1', headers: t.auth('technician') })
    ).json();
    expect(grid.racks[0].slots.map((s: { serial: string }) => s.serial)).toEqual(['K1', 'K2']);
    const techImport = await t.app.inject({
      method: 'POST',
      url: '/api/v1/inventory/miners.csv',
      headers: { ...t.auth('technician'), 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(techImport.statusCode).toBe(403);
  });

  it('keeps location history through moves and refuses an occupied slot', async () => {
    const db = t.app.hashfleet.db;
    await upsertSite(
      db,
      { id: 'sc', name: 'Sichuan', timezone: 'Asia/Shanghai', tariff: flatTariff(0.04) },
      1,
    );
    await upsertContainer(db, { id: 'sc-c1', siteId: 'sc', name: 'C1' }, 1);
    const [a, b] = await ensureSlots(db, 'sc-c1', slotGrid(1, 2));
    const m1 = await createMiner(db, { serial: 'MOVE-1' }, 1);
    const m2 = await createMiner(db, { serial: 'MOVE-2' }, 1);
    await moveMiner(
      db,
      m1,
      { siteId: 'sc', containerId: 'sc-c1', slotId: a!, status: 'in_service', reason: 'install' },
      { now: 2 },
    );
    await moveMiner(
      db,
      m2,
      { siteId: 'sc', containerId: 'sc-c1', slotId: b!, status: 'in_service', reason: 'install' },
      { now: 3 },
    );
    await expect(
      moveMiner(
        db,
        m1,
        { siteId: 'sc', containerId: 'sc-c1', slotId: b!, status: 'in_service', reason: 'x' },
        { now: 4 },
      ),
    ).rejects.toThrow(`miner ${m1}: slot ${b} is occupied by miner ${m2}`);
    await moveMiner(
      db,
      m1,
      { siteId: null, containerId: null, slotId: null, status: 'in_repair', reason: 'hashboard' },
      { now: 4 },
    );
    const history = await db.all<{ status: string; slot_id: string | null; reason: string }>(
      'SELECT status, slot_id, reason FROM miner_locations WHERE miner_id = ? ORDER BY at',
      [m1],
    );
    expect(history).toEqual([
      { status: 'in_service', slot_id: a, reason: 'install' },
      { status: 'in_repair', slot_id: null, reason: 'hashboard' },
    ]);
    expect(
      (await db.get<{ miner_id: string | null }>('SELECT miner_id FROM slots WHERE id = ?', [a!]))?.miner_id,
    ).toBeNull();
  });
});

describe('config', () => {
  it('lists every error of a bad config at once, naming the keys', () => {
    expect(() => loadControllerConfig({ http: { port: -1 }, log: { level: 'loud' as never } }, {})).toThrow(
      /2 error\(s\): http\.port: .*; log\.level: /,
    );
  });
  it('takes environment overrides', () => {
    const c = loadControllerConfig({}, { HASHFLEET_HTTP_PORT: '9999', HASHFLEET_DB_URL: 'sqlite::memory:' });
    expect(c.http.port).toBe(9999);
    expect(c.storage.url).toBe('sqlite::memory:');
  });
});
