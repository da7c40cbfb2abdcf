import { exampleSample } from '@hashfleet/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { insertRows } from '../src/core/storage/db.js';
import { localMinute } from '../src/desired/drift.js';
import { refreshDrift } from '../src/desired/drift-store.js';
import { PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

/**
 * The drift job over a whole fleet (controller/src/desired/drift-store.ts): in the scale rehearsal
 * it held the leader's event loop for about a second every 15 s at 20,000 miners (a time-zone
 * formatter and a parse of the stored sample per miner, in one synchronous pass), and wrote one
 * statement per drifted field. This proves, on SQLite and PostgreSQL, that a pass over 5,000
 * miners gives the event loop turns (none on SQLite before: better-sqlite3 answers synchronously),
 * that each site's sleep window is judged on that site's own local minute, and that the stored
 * rows keep the first sighting (`since`) across passes and go when the miner is back.
 */
const pgUp = await pgAvailable(PG_URL);
const variants = [
  { name: 'SQLite', url: 'sqlite::memory:', run: true },
  { name: 'PostgreSQL', url: pgSchemaUrl(PG_URL), run: pgUp },
];
const N = 5_000;
const T0 = Date.UTC(2026, 11, 7, 21, 0);
// 21:00 UTC is 02:00 in Almaty (UTC+5) and 05:00 in Chengdu (UTC+8): a 01:00-03:00 window is
// open at the Kazakh site and shut at the Sichuan one.
const WINDOW = { from: '01:00', to: '03:00' };

for (const v of variants) {
  describe.skipIf(!v.run)(`desired drift over a fleet (${v.name})`, () => {
    let t: Awaited<ReturnType<typeof testApp>> | undefined;
    afterEach(async () => {
      await t?.close();
      t = undefined;
    });

    it('gives the event loop turns, judges each site on its own clock, keeps `since` and drops rows put right', async () => {
      expect(localMinute(T0, 'Asia/Almaty')).toBe(2 * 60);
      expect(localMinute(T0, 'Asia/Shanghai')).toBe(5 * 60);
      t = await testApp({ storage: { url: v.url } }, () => T0);
      const db = t.app.hashfleet.db;
      await insertRows(db, 'INSERT INTO sites (id, name, timezone, tariff_json, created_at, updated_at)', [
        ['kz', 'Ekibastuz', 'Asia/Almaty', '{}', T0, T0],
        ['sc', 'Sichuan', 'Asia/Shanghai', '{}', T0, T0],
      ]);
      const site = (i: number) => (i % 2 === 0 ? 'kz' : 'sc');
      const miners = Array.from({ length: N }, (_, i) => [
        `m${i}`,
        `SN${i}`,
        'Antminer S19',
        'in_service',
        site(i),
        `${site(i)}-c${i % 10}`,
        T0,
        T0,
      ]);
      await insertRows(
        db,
        'INSERT INTO miners (id, serial, model, status, site_id, container_id, created_at, updated_at)',
        miners,
      );
      // Every third miner is capped at 2,500 W where 3,000 W is wanted.
      const latest = (i: number, limit: number) => [
        `m${i}`,
        T0,
        T0,
        JSON.stringify({ ...exampleSample, minerKey: `SN${i}`, powerLimitW: limit }),
        3000,
        limit,
        'hashing',
        1,
      ];
      await insertRows(
        db,
        'INSERT INTO miner_latest (miner_id, at, received_at, sample_json, power_w, power_limit_w, state, online)',
        Array.from({ length: N }, (_, i) => latest(i, i % 3 === 0 ? 2500 : 3000)),
      );
      for (const siteId of ['kz', 'sc']) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/desired-states',
          headers: t.auth('operator'),
          payload: {
            scope: { kind: 'site', siteId },
            spec: { power: { targetW: 3000 }, sleepWindows: [WINDOW] },
          },
        });
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json().state).toBe('active');
      }

      let turns = 0;
      let counting = true;
      const count = () => {
        if (!counting) return;
        turns++;
        setImmediate(count);
      };
      setImmediate(count);
      const first = await refreshDrift(db, T0);
      counting = false;
      // 5,000 miners in pieces of 2,000: at least two turns while judging (0 on SQLite before).
      expect(turns).toBeGreaterThanOrEqual(2);

      const rows = async () =>
        (
          await db.all<{ miner_id: string; field: string; since: number | string; seen_at: number | string }>(
            'SELECT miner_id, field, since, seen_at FROM desired_drift ORDER BY miner_id, field',
          )
        ).map((r) => ({ ...r, since: Number(r.since), seen_at: Number(r.seen_at) }));
      const stored = await rows();
      const want = new Set<string>();
      for (let i = 0; i < N; i++) {
        if (site(i) === 'kz') want.add(`m${i} sleep`); // in its window and still hashing
        if (i % 3 === 0) want.add(`m${i} power`);
      }
      expect(new Set(stored.map((r) => `${r.miner_id} ${r.field}`))).toEqual(want);
      expect(first.drifted).toBe(new Set([...want].map((k) => k.split(' ')[0])).size);

      // Later: the capped miners are put right, the Kazakh ones still drift, first seen at T0.
      await insertRows(
        db,
        'INSERT INTO miner_latest (miner_id, at, received_at, sample_json, power_w, power_limit_w, state, online)',
        Array.from({ length: N }, (_, i) => i)
          .filter((i) => i % 3 === 0)
          .map((i) => latest(i, 3000)),
        `ON CONFLICT (miner_id) DO UPDATE SET sample_json = excluded.sample_json, power_limit_w = excluded.power_limit_w`,
      );
      await refreshDrift(db, T0 + 60_000);
      const later = await rows();
      expect(later.map((r) => `${r.miner_id} ${r.field}`).sort()).toEqual(
        [...want].filter((k) => k.endsWith('sleep')).sort(),
      );
      expect(later.every((r) => r.since === T0 && r.seen_at === T0 + 60_000)).toBe(true);
    });
  });
}
