/**
 * The remediation tick over many alerting miners in SQLite: 10,000 miners (40 containers of 250,
 * a PDU outlet each, Whatsminer v3 profile), every one with an open `offline` alert. First tick:
 * every ladder decides, 5 per container send a restart (200 signed commands through the real
 * commands service), the rest are recorded once as held by the container cap. Steady tick:
 * nothing new to record. Baseline in the same process: one read of the open alerts joined with
 * their miners. Prints ms; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/core/app.js';
import { loadControllerConfig } from '../src/core/config.js';
import { insertMany } from '../src/core/storage/bulk.js';
import type { SqlValue } from '../src/core/storage/db.js';
import { createRemediation } from '../src/remediation/service.js';
import { bench } from './report.js';

const MINERS = Number(process.env.REMEDIATION_BENCH_MINERS ?? 10_000);
const PER_CONTAINER = 250;
const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

const dir = mkdtempSync(join(tmpdir(), 'hashfleet-remediation-bench-'));
const app = await buildApp(
  loadControllerConfig(
    { dataDir: dir, storage: { url: `sqlite:${join(dir, 'bench.db')}` }, log: { level: 'silent' } },
    {},
  ),
  { now: () => NOW },
);
const ctx = app.hashfleet;
const db = ctx.db;
let published = 0;
ctx.commands.attach(async () => {
  published++;
});

const rows: Record<string, SqlValue[][]> = {
  containers: [],
  slots: [],
  miners: [],
  agentMiners: [],
  outlets: [],
  pdus: [],
  alerts: [],
};
const containers = Math.ceil(MINERS / PER_CONTAINER);
await db.run(
  `INSERT INTO sites (id, name, timezone, tariff_json, created_at, updated_at) VALUES ('kz', 'kz', 'UTC', '{}', ?, ?)`,
  [NOW, NOW],
);
for (let c = 0; c < containers; c++) {
  const cid = `c${c}`;
  rows.containers!.push([cid, 'kz', cid, `agent-${c}`, NOW, NOW]);
  rows.pdus!.push([`pdu-${c}`, cid, 'apc-rpdu2', `10.${c}.0.200`, NOW]);
  for (let i = 0; i < PER_CONTAINER && c * PER_CONTAINER + i < MINERS; i++) {
    const id = `m${c * PER_CONTAINER + i}`;
    const slot = `${cid}/R1/S${i + 1}`;
    rows.slots!.push([slot, cid, 'R1', `S${i + 1}`, id]);
    rows.miners!.push([
      id,
      `SN${id}`,
      'Whatsminer M30S',
      'whatsminer-v3',
      'in_service',
      'kz',
      cid,
      slot,
      NOW,
      NOW,
    ]);
    rows.agentMiners!.push([`agent-${c}`, `10.${c}.1.${i}`, id, NOW]);
    rows.outlets!.push([`pdu-${c}`, i + 1, slot]);
    rows.alerts!.push([
      `al-${id}`,
      'rule-offline',
      'offline',
      `miner:${id}`,
      id,
      cid,
      'kz',
      'critical',
      'open',
      NOW - 60_000,
      NOW,
      'no answer',
      '{}',
    ]);
  }
}
await insertMany(
  db,
  'INSERT INTO containers (id, site_id, name, agent_id, created_at, updated_at)',
  6,
  rows.containers!,
);
await insertMany(db, 'INSERT INTO pdus (id, container_id, vendor, host, updated_at)', 5, rows.pdus!);
await insertMany(db, 'INSERT INTO slots (id, container_id, rack, slot, miner_id)', 5, rows.slots!);
await insertMany(
  db,
  'INSERT INTO miners (id, serial, model, profile, status, site_id, container_id, slot_id, created_at, updated_at)',
  10,
  rows.miners!,
);
await insertMany(
  db,
  'INSERT INTO agent_miners (agent_id, miner_key, miner_id, updated_at)',
  4,
  rows.agentMiners!,
);
await insertMany(db, 'INSERT INTO pdu_outlets (pdu_id, outlet, slot_id)', 3, rows.outlets!);
await insertMany(
  db,
  `INSERT INTO alerts (id, rule_id, kind, subject, miner_id, container_id, site_id, severity, state, opened_at, updated_at,
     message, details_json)`,
  13,
  rows.alerts!,
);

const time = async (what: string, f: () => Promise<unknown>) => {
  const t0 = performance.now();
  await f();
  const ms = performance.now() - t0;
  console.log(`${what.padEnd(58)} ${ms.toFixed(0).padStart(7)} ms`);
  return ms;
};

const rem = createRemediation(ctx);
console.log(
  `remediation tick: ${MINERS} miners with an open offline alert in ${containers} containers (SQLite file)`,
);
const base = await time('baseline: read open alerts joined with their miners', () =>
  db.all(
    `SELECT a.id, a.kind, m.profile, m.slot_id FROM alerts a JOIN miners m ON m.id = a.miner_id WHERE a.state = 'open'`,
  ),
);
const first = await time('first tick (every ladder decides, restarts sent)', () => rem.tick(NOW));
const steady = await time('steady tick (steps waiting, throttles recorded)', () => rem.tick(NOW + 30_000));
const outcomes = await db.all<{ outcome: string; code: string | null; n: number }>(
  'SELECT outcome, code, COUNT(*) AS n FROM remediation_steps GROUP BY outcome, code ORDER BY outcome, code',
);
console.log(
  `steps: ${outcomes.map((o) => `${o.outcome}${o.code ? `/${o.code}` : ''} ${o.n}`).join(', ')}; commands published ${published}`,
);
console.log(
  `per alerting miner: first ${((first / MINERS) * 1000).toFixed(0)} µs, steady ${((steady / MINERS) * 1000).toFixed(0)} µs; steady = ${(steady / base).toFixed(1)}x baseline`,
);
bench({
  name: `remediation.tick.steady.${MINERS}`,
  value: Math.round(steady),
  unit: 'ms',
  baseline: Math.round(base),
  goal: 'a steady tick within 10x the read of the open alerts it acts on',
  met: steady <= 10 * base,
  firstMs: Math.round(first),
});
await app.close();
rmSync(dir, { recursive: true, force: true });
