/**
 * A CPU profile of one incremental alert tick over the bench's fleet (alerts-fleet.ts) with 10 % of
 * the miners written since the previous tick (ALERTS_CHANGED_PCT): `node --import tsx controller/bench/alerts-profile.ts
 * [out.cpuprofile]`. The fleet, the ticks before it and the writes are outside the profile; the
 * tick's stages are printed beside it. ALERTS_DB=postgres runs it on PostgreSQL. Not a `.bench.ts`: `npm run bench alerts` does not run it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAlertService } from '../src/alerts/service.js';
import { DEFAULT_ALERT_SETTINGS } from '../src/alerts/settings.js';
import { allMigrations } from '../src/core/app.js';
import { insertMany } from '../src/core/storage/bulk.js';
import { openDb, type SqlValue } from '../src/core/storage/db.js';
import { migrate } from '../src/core/storage/migrate.js';
import { PG_URL, pgSchemaUrl } from '../test/helpers.js';
import {
  BENCH_NOW,
  benchLatestRow,
  benchSample,
  buildFleet,
  LATEST_HEAD,
  LATEST_TAIL,
  LATEST_WIDTH,
  PER_CONTAINER,
} from './alerts-fleet.js';

const MINERS = Number(process.env.ALERTS_BENCH_MINERS ?? 100_000);
/** Percent of the miners written since the previous tick: 100 is a fleet polled as often as the tick runs. */
const CHANGED_PCT = Number(process.env.ALERTS_CHANGED_PCT ?? 10);
const out = process.argv[2] ?? 'alerts-tick.cpuprofile';
const dir = mkdtempSync(join(tmpdir(), 'hashfleet-alerts-profile-'));
// ALERTS_DB=postgres: a schema of its own on HASHFLEET_TEST_PG (dropped afterwards), as on the HA path.
const pgUrl = process.env.ALERTS_DB === 'postgres' ? pgSchemaUrl(PG_URL) : null;
const db = await openDb(pgUrl ?? `sqlite:${join(dir, 'bench.db')}`);
await migrate(db, allMigrations(), () => BENCH_NOW);
await buildFleet(db, MINERS);

const service = createAlertService({
  db,
  offlineAfterMs: 180_000,
  linkBase: 'http://bench',
  settings: DEFAULT_ALERT_SETTINGS,
});
let at = BENCH_NOW;
for (let i = 0; i < 3; i++) {
  at += 10_000;
  await service.tick(at);
}
const rows: SqlValue[][] = [];
for (let n = 0; n < (MINERS * CHANGED_PCT) / 100; n++) {
  const c = Math.floor(n / PER_CONTAINER);
  const s = benchSample(n, c, 'R1', 'S1', 110, 70, [5400, 5460, 5380, 5420], 3250, at);
  rows.push(benchLatestRow(`m${n}`, s, at));
}
await db.tx((tx) => insertMany(tx, LATEST_HEAD, LATEST_WIDTH, rows, LATEST_TAIL));

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
at += 10_000;
const cpu = process.cpuUsage();
const r = await service.tick(at);
const used = process.cpuUsage(cpu);
const { profile } = await session.post('Profiler.stop');
writeFileSync(out, JSON.stringify(profile));
console.log(
  `tick: ${((used.user + used.system) / 1000).toFixed(0)} ms CPU; stages ${JSON.stringify(r.ms)}; opened ${r.opened}, updated ${r.updated}, resolved ${r.resolved}; ${JSON.stringify(r.latest)}; profile in ${out}`,
);
if (pgUrl) await db.run(`DROP SCHEMA ${new URL(pgUrl).searchParams.get('schema')} CASCADE`);
await db.close();
rmSync(dir, { recursive: true, force: true });
