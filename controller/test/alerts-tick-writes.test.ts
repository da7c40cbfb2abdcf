import { describe, expect, it } from 'vitest';
import { BENCH_NOW, buildFleet } from '../bench/alerts-fleet.js';
import { createAlertService } from '../src/alerts/service.js';
import { DEFAULT_ALERT_SETTINGS } from '../src/alerts/settings.js';
import { allMigrations } from '../src/core/app.js';
import { type Db, openDb } from '../src/core/storage/db.js';
import { migrate } from '../src/core/storage/migrate.js';

/**
 * The tick's writes are one transaction that never waits for a turn of the event loop: work that
 * can yield (building the rows) is done before the transaction opens, so while the tick yields no
 * transaction of its is open (on PostgreSQL an open one holds its row locks and the oldest-xmin
 * other replicas' cursors wait on; on SQLite every other writer queues behind it). A fleet of 600
 * hot miners gives 600 tracking rows and then 600 opened alerts a tick, more than the old writer
 * wrote between its turns (500), and the following ticks update every open alert. SQLite only: its
 * queries answer synchronously, so a turn of the loop inside the transaction can only be a yield
 * (on PostgreSQL every query's round trip is one; the code path is the same).
 */
async function turnsInTx(db: Db): Promise<{ turns: number; inTx: number; open: number; updated: number }> {
  await migrate(db, allMigrations(), () => BENCH_NOW);
  await buildFleet(db, 600);
  // Every miner too hot (the fleet's samples say 65-96 °C).
  await db.run(
    `UPDATE miner_latest SET sample_json = json_set(sample_json, '$.chipTempMaxC', 99), chip_temp_max_c = 99`,
  );
  let depth = 0;
  const watched: Db = {
    ...db,
    dialect: db.dialect,
    tx: async (fn) => {
      depth++;
      try {
        return await db.tx(fn);
      } finally {
        depth--;
      }
    },
  };
  const service = createAlertService({
    db: watched,
    offlineAfterMs: 180_000,
    linkBase: 'http://test',
    settings: DEFAULT_ALERT_SETTINGS,
  });
  // A turn of the event loop after every other one while the ticks run: is a transaction open?
  let running = true;
  const seen = { turns: 0, inTx: 0 };
  const spin = () => {
    if (!running) return;
    seen.turns++;
    if (depth > 0) seen.inTx++;
    setImmediate(spin);
  };
  setImmediate(spin);
  let updated = 0;
  try {
    for (let i = 1; i <= 4; i++) updated += (await service.tick(BENCH_NOW + i * 10_000)).updated;
  } finally {
    running = false;
  }
  const open = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM alerts WHERE state = 'open'`);
  return { ...seen, open: Number(open?.n), updated };
}

describe('alert tick writes', () => {
  it('SQLite: no transaction is open while the tick yields to the event loop', async () => {
    const db = await openDb('sqlite::memory:');
    try {
      const r = await turnsInTx(db);
      // The hot miners' alerts opened and were updated, and the tick did yield.
      expect(r.open).toBeGreaterThanOrEqual(600);
      expect(r.updated).toBeGreaterThanOrEqual(1200);
      expect(r.turns).toBeGreaterThan(10);
      expect(r.inTx).toBe(0);
    } finally {
      await db.close();
    }
  }, 60_000);
});
