/**
 * Alert evaluation over 100,000 miners' latest state in SQLite (334 containers of 300 miners,
 * a PDU outlet per miner, 10 minutes of 1-minute history). Baseline in the same process: one
 * pass that only reads `miner_latest` and JSON.parses every sample. Prints ms per evaluation
 * split into SQL read, pure evaluation and writing transitions, for the first tick (every fault
 * opens) and a steady tick (open alerts update). No asserted times.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleSample } from '@hashfleet/contracts';
import { evaluateAlerts, trackingKey } from '../src/alerts/evaluate.js';
import { readRecentHashrate, readSnapshot } from '../src/alerts/read.js';
import { indexRules } from '../src/alerts/rules.js';
import { createAlertService } from '../src/alerts/service.js';
import { DEFAULT_ALERT_SETTINGS } from '../src/alerts/settings.js';
import { loadRules, seedDefaultRules } from '../src/alerts/store.js';
import { allMigrations } from '../src/core/app.js';
import { insertMany } from '../src/core/storage/bulk.js';
import { openDb, type SqlValue } from '../src/core/storage/db.js';
import { migrate } from '../src/core/storage/migrate.js';
import { bench } from './report.js';

const MINERS = Number(process.env.ALERTS_BENCH_MINERS ?? 100_000);
const PER_CONTAINER = 300;
const HISTORY_MIN = 10;
const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

let seed = 7;
const rand = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};

const dir = mkdtempSync(join(tmpdir(), 'hashfleet-alerts-bench-'));
const db = await openDb(`sqlite:${join(dir, 'bench.db')}`);
await migrate(db, allMigrations(), () => NOW);

let t0 = performance.now();
const containers = Math.ceil(MINERS / PER_CONTAINER);
const rows = {
  sites: [] as SqlValue[][],
  containers: [] as SqlValue[][],
  slots: [] as SqlValue[][],
  miners: [] as SqlValue[][],
};
const latest: SqlValue[][] = [];
const history: SqlValue[][] = [];
const outlets: SqlValue[][] = [];
const pdus: SqlValue[][] = [];
const agents: SqlValue[][] = [];
const faults = { hot: 0, low: 0, fan: 0, offline: 0 };
for (const site of ['sichuan', 'pavlodar'])
  rows.sites.push([site, site, 'UTC', '{"currency":"USD","perKwh":[]}', NOW, NOW]);
for (let c = 0; c < containers; c++) {
  const site = c % 2 ? 'pavlodar' : 'sichuan';
  const cid = `${site}-c${c}`;
  rows.containers.push([cid, site, cid, `agent-${c}`, NOW, NOW]);
  agents.push([
    `agent-${c}`,
    site,
    cid,
    'online',
    NOW,
    NOW,
    JSON.stringify({ spoolMessages: 0, spoolDropped: 0 }),
  ]);
  const pduOutlets: { outlet: number; powerW: number; currentA: number; state: string }[][] = [
    [],
    [],
    [],
    [],
    [],
    [],
  ];
  for (let i = 0; i < PER_CONTAINER; i++) {
    const n = c * PER_CONTAINER + i;
    if (n >= MINERS) break;
    const id = `m${n}`;
    const rack = `R${Math.floor(i / 50) + 1}`;
    const slot = `S${(i % 50) + 1}`;
    const slotId = `${cid}/${rack}/${slot}`;
    rows.slots.push([slotId, cid, rack, slot, id]);
    rows.miners.push([
      id,
      `SN${n}`,
      'Antminer S19 Pro',
      'antminer-stock',
      'in_service',
      site,
      cid,
      slotId,
      NOW,
      NOW,
    ]);
    // A realistic share of trouble: 1 % hot, 1 % slow, 0.5 % a failed fan, 0.5 % unreachable.
    const r = rand();
    const hot = r < 0.01;
    const low = r >= 0.01 && r < 0.02;
    const fan = r >= 0.02 && r < 0.025;
    const offline = r >= 0.025 && r < 0.03;
    if (hot) faults.hot++;
    if (low) faults.low++;
    if (fan) faults.fan++;
    if (offline) faults.offline++;
    const ths = (low ? 60 : 110) * (1 + 0.01 * (rand() - 0.5));
    const sample = {
      ...exampleSample,
      minerKey: `SN${n}`,
      serial: `SN${n}`,
      at: NOW - 5_000,
      slot: { rack, slot },
      hashrate5sThs: ths,
      boards: [1, 2, 3].map((index) => ({ ...exampleSample.boards[0]!, index })),
      chipTempMaxC: hot ? 96 : 65 + rand() * 10,
      fansRpm: fan ? [5400, 5400, 5400] : [5400, 5460, 5380, 5420],
      powerW: 3250 * (1 + 0.02 * (rand() - 0.5)),
      powerProvenance: 'reported',
      agentId: `agent-${c}`,
    };
    latest.push([
      id,
      NOW - 5_000,
      NOW - 4_000,
      JSON.stringify(sample),
      ths,
      110,
      sample.powerW,
      'reported',
      sample.chipTempMaxC,
      'hashing',
      offline ? 0 : 1,
      offline ? 'connect ECONNREFUSED' : null,
    ]);
    for (let k = 0; k < HISTORY_MIN; k++) {
      const minute = Math.floor((NOW - k * 60_000) / 60_000) * 60_000;
      history.push([id, minute, minute + 1_000, ths, sample.chipTempMaxC, sample.powerW]);
    }
    const pdu = Math.floor(i / 50);
    const outlet = (i % 50) + 1;
    outlets.push([`${cid}-pdu${pdu}`, outlet, slotId]);
    pduOutlets[pdu]!.push({ outlet, powerW: sample.powerW, currentA: sample.powerW / 230, state: 'on' });
  }
  pduOutlets.forEach((o, p) => {
    if (o.length === 0) return;
    const sample = {
      totalPowerW: o.reduce((s, x) => s + x.powerW, 0) / 3,
      outlets: o,
      sensors: [{ kind: 'temperature', location: 'inlet', value: 28 }],
    };
    pdus.push([`${cid}-pdu${p}`, cid, NOW - 5_000, JSON.stringify(sample), sample.totalPowerW]);
  });
}
await db.tx(async (tx) => {
  await insertMany(
    tx,
    'INSERT INTO sites (id, name, timezone, tariff_json, created_at, updated_at)',
    6,
    rows.sites,
  );
  await insertMany(
    tx,
    'INSERT INTO containers (id, site_id, name, agent_id, created_at, updated_at)',
    6,
    rows.containers,
  );
  await insertMany(tx, 'INSERT INTO slots (id, container_id, rack, slot, miner_id)', 5, rows.slots);
  await insertMany(
    tx,
    'INSERT INTO miners (id, serial, model, profile, status, site_id, container_id, slot_id, created_at, updated_at)',
    10,
    rows.miners,
  );
  await insertMany(
    tx,
    'INSERT INTO miner_latest (miner_id, at, received_at, sample_json, hashrate_ths, expected_ths, power_w, power_provenance, chip_temp_max_c, state, online, error)',
    12,
    latest,
  );
  await insertMany(
    tx,
    'INSERT INTO miner_history (miner_id, minute, at, hashrate_ths, chip_temp_max_c, power_w)',
    6,
    history,
  );
  await insertMany(tx, 'INSERT INTO pdu_outlets (pdu_id, outlet, slot_id)', 3, outlets);
  await insertMany(tx, 'INSERT INTO pdu_latest (pdu_id, container_id, at, sample_json, power_w)', 5, pdus);
  await insertMany(
    tx,
    'INSERT INTO agents (id, site_id, container_id, state, state_at, last_seen_at, metrics_json)',
    7,
    agents,
  );
});
const setupMs = performance.now() - t0;

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
console.log(
  `alert evaluation, ${MINERS} miners in ${containers} containers (SQLite file), ${HISTORY_MIN} min of history`,
);
console.log(`  synthetic fleet inserted in ${fmt(setupMs)}; faults: ${JSON.stringify(faults)}`);

// Baseline: read every latest sample and parse it, nothing else.
t0 = performance.now();
const raw = await db.all<{ miner_id: string; sample_json: string }>(
  'SELECT miner_id, sample_json FROM miner_latest',
);
let parsed = 0;
for (const r of raw) parsed += JSON.parse(r.sample_json) ? 1 : 0;
const baselineMs = performance.now() - t0;
console.log(`  baseline (read miner_latest + JSON.parse ${parsed} samples): ${fmt(baselineMs)}`);

// The stages one by one.
await seedDefaultRules(db, NOW);
t0 = performance.now();
const rules = indexRules(await loadRules(db));
const snapshot = await readSnapshot(db);
const readMs = performance.now() - t0;
t0 = performance.now();
const candidates = snapshot.miners.filter((m) => (m.latest?.hashrateThs ?? 0) / 110 <= 0.9);
await readRecentHashrate(db, candidates, NOW - 600_000);
const historyMs = performance.now() - t0;
const runs = 5;
t0 = performance.now();
let observations = 0;
for (let i = 0; i < runs; i++)
  observations = evaluateAlerts(snapshot, rules, {
    now: NOW,
    offlineAfterMs: 180_000,
    tracked: new Set(),
  }).length;
const pureMs = (performance.now() - t0) / runs;
bench({
  name: `alerts.evaluate.pure.${MINERS}`,
  value: Math.round(pureMs),
  unit: 'ms',
  baseline: Math.round(baselineMs),
  goal: '< 200 ms at 100,000 miners',
  met: MINERS >= 100_000 && pureMs < 200,
});
const tracked = new Set(
  evaluateAlerts(snapshot, rules, { now: NOW, offlineAfterMs: 180_000, tracked: new Set() }).map((o) =>
    trackingKey(o.rule.id, o.subject),
  ),
);
t0 = performance.now();
evaluateAlerts(snapshot, rules, { now: NOW, offlineAfterMs: 180_000, tracked });
const pureTrackedMs = performance.now() - t0;
console.log(
  `  SQL read of the snapshot (miners, outlets, PDUs, agents, commands): ${fmt(readMs)} = ${(readMs / baselineMs).toFixed(2)}x baseline`,
);
console.log(`  hashrate history of ${candidates.length} candidate miners: ${fmt(historyMs)}`);
console.log(
  `  pure evaluation (15 kinds x ${MINERS} miners + PDUs + agents): ${fmt(pureMs)} per pass (mean of ${runs}), ${observations} breaches`,
);
console.log(`  pure evaluation with ${tracked.size} tracked pairs: ${fmt(pureTrackedMs)}`);

// Whole ticks through the service, as the job runs them.
const service = createAlertService({
  db,
  offlineAfterMs: 180_000,
  linkBase: 'http://bench',
  settings: DEFAULT_ALERT_SETTINGS,
});
for (const [label, at] of [
  ['tick 1 (breaches start counting)', NOW],
  ['tick 2 (alerts open)', NOW + 1_000],
  ['tick 3 (steady: open alerts update)', NOW + 2_000],
] as const) {
  const r = await service.tick(at);
  const total = r.ms.read + r.ms.evaluate + r.ms.write;
  console.log(
    `  ${label}: ${fmt(total)} = read ${fmt(r.ms.read)} + evaluate ${fmt(r.ms.evaluate)} + write ${fmt(r.ms.write)} (${(total / baselineMs).toFixed(2)}x baseline); opened ${r.opened}, updated ${r.updated}, resolved ${r.resolved}`,
  );
  if (at === NOW + 2_000)
    bench({
      name: `alerts.tick.steady.${MINERS}`,
      value: Math.round(total),
      unit: 'ms',
      baseline: Math.round(baselineMs),
      goal: '< 1000 ms at 100,000 miners',
      met: MINERS >= 100_000 && total < 1000,
    });
}
console.log(`  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
await db.close();
rmSync(dir, { recursive: true, force: true });
