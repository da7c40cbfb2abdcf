import { describe, expect, it } from 'vitest';
import { BENCH_NOW, buildFleet } from '../bench/alerts-fleet.js';
import { createAlertService } from '../src/alerts/service.js';
import { DEFAULT_ALERT_SETTINGS } from '../src/alerts/settings.js';
import { allMigrations } from '../src/core/app.js';
import { type Db, openDb } from '../src/core/storage/db.js';
import { migrate } from '../src/core/storage/migrate.js';

/**
 * The leader keeps the PDUs' parsed readings and parses again only a PDU whose reading changed
 * (its time, container or site), where it read and parsed every PDU's stored sample each tick
 * (2,000 PDUs of 50 outlets at 100,000 miners). Two copies of one fleet (12 PDUs), one ticked
 * with the full read and one with the leader's copy: an outlet's overload opens and resolves the
 * same on both, and the leader parses only the PDU that changed.
 */
async function fleet(): Promise<Db> {
  const db = await openDb('sqlite::memory:');
  await migrate(db, allMigrations(), () => BENCH_NOW);
  await buildFleet(db, 600);
  return db;
}

/** PDU `pduId`'s outlet 1 at `amps`, its reading taken at `at`. */
async function setOutlet(db: Db, pduId: string, amps: number, at: number) {
  const row = await db.get<{ sample_json: string }>('SELECT sample_json FROM pdu_latest WHERE pdu_id = ?', [
    pduId,
  ]);
  const sample = JSON.parse(row!.sample_json) as { outlets: { outlet: number; currentA: number }[] };
  sample.outlets[0]!.currentA = amps;
  await db.run('UPDATE pdu_latest SET sample_json = ?, at = ? WHERE pdu_id = ?', [
    JSON.stringify(sample),
    at,
    pduId,
  ]);
}

describe("the leader's PDU readings", () => {
  it('parses only the PDUs whose reading changed, and alerts as the full read does', async () => {
    const dbs = [await fleet(), await fleet()];
    try {
      const [full, leader] = dbs.map((db, i) =>
        createAlertService({
          db,
          offlineAfterMs: 180_000,
          linkBase: 'http://test',
          settings: DEFAULT_ALERT_SETTINGS,
          read: i === 0 ? 'full' : 'incremental',
        }),
      );
      const pdu = 'sichuan-c0-pdu0';
      const outlets = (db: Db) =>
        db.all(
          `SELECT subject, state, value, opened_at, resolved_at FROM alerts WHERE kind = 'outlet_overload' ORDER BY opened_at`,
        );
      const parsed: number[] = [];
      // Overloaded from the second tick to the fourth, then back to normal.
      for (let k = 1; k <= 6; k++) {
        const at = BENCH_NOW + k * 10_000;
        if (k >= 2 && k <= 5) for (const db of dbs) await setOutlet(db, pdu, k <= 4 ? 40 : 12, at - 1_000);
        const a = await full!.tick(at);
        const b = await leader!.tick(at);
        expect([b.opened, b.updated, b.resolved], `tick ${k}`).toEqual([a.opened, a.updated, a.resolved]);
        expect(await outlets(dbs[1]!)).toEqual(await outlets(dbs[0]!));
        parsed.push(b.latest!.pdusParsed);
      }
      const rows = (await outlets(dbs[1]!)) as { subject: string; state: string }[];
      expect(rows.map((r) => `${r.subject} ${r.state}`)).toEqual([`outlet:${pdu}/1 resolved`]);
      // All 12 on the first tick, then the one PDU while its reading changed, then none.
      expect(parsed).toEqual([12, 1, 1, 1, 1, 0]);
    } finally {
      for (const db of dbs) await db.close();
    }
  }, 60_000);
});
