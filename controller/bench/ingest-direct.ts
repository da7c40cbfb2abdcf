/**
 * Ingest's own CPU per sample without a broker (a development aid beside ingest.bench.ts): the same
 * telemetry the bench publishes (ingest-load.ts), handed to `ingest.handle` in rounds of one
 * message per container, as the broker link hands a window of messages. Prints samples per
 * CPU-second of decode alone and of the whole handle. Run under `node --cpu-prof` to see where it
 * goes: `node --import tsx --cpu-prof controller/bench/ingest-direct.ts [sqlite|postgres] [rounds]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, topics } from '@hashfleet/contracts';
import { buildApp } from '../src/core/app.js';
import { createToken } from '../src/core/auth/tokens.js';
import { loadControllerConfig } from '../src/core/config.js';
import { PG_URL, pgSchemaUrl } from '../test/helpers.js';
import { agentId, batch } from './ingest-load.js';
import { profiled } from './ingest-profile.js';

const CONTAINERS = 10;
const MINERS = 100;
const which = process.argv[2] ?? 'sqlite';
const ROUNDS = Number(process.argv[3] ?? 60);

const dir = mkdtempSync(join(tmpdir(), 'hashfleet-ingest-direct-'));
const url = which === 'postgres' ? pgSchemaUrl(PG_URL) : `sqlite:${join(dir, 'direct.db')}`;
const app = await buildApp(
  loadControllerConfig({ dataDir: dir, storage: { url }, log: { level: 'error' } }, {}),
);
for (let c = 0; c < CONTAINERS; c++)
  await createToken(app.hashfleet.db, {
    role: 'agent',
    name: agentId(c),
    places: [{ siteId: 'bench-site', containerId: `bench-c${c}` }],
  });
const round = (r: number, seq: number) =>
  Array.from({ length: CONTAINERS }, (_, c) => ({
    topic: topics.telemetry(agentId(c)),
    payload: Buffer.from(JSON.stringify(batch(c, r, seq, MINERS))),
  }));
const handleRound = (msgs: { topic: string; payload: Buffer }[]) =>
  Promise.all(msgs.map((m) => app.hashfleet.ingest.handle(m.topic, m.payload)));

// DIRECT_SQL=1: time per statement text: CPU on SQLite (statements run synchronously), wall on PostgreSQL (its first 70 characters), largest first.
const sqlTime = new Map<string, [number, number]>();
if (process.env.DIRECT_SQL) {
  const db = app.hashfleet.db as unknown as Record<
    string,
    (sql: string, ...rest: unknown[]) => Promise<unknown>
  >;
  for (const m of ['run', 'all', 'get', 'insertRows']) {
    const orig = db[m]!;
    db[m] = async (sql: string, ...rest: unknown[]) => {
      const t = process.cpuUsage();
      const w = performance.now();
      try {
        return await orig(sql, ...rest);
      } finally {
        const k = sql.replace(/\s+/g, ' ').slice(0, 70);
        const e = sqlTime.get(k) ?? [0, 0];
        const u = process.cpuUsage(t);
        e[0] += which === 'postgres' ? performance.now() - w : (u.user + u.system) / 1000;
        e[1]++;
        sqlTime.set(k, e);
      }
    };
  }
}
await handleRound(round(0, 0));
sqlTime.clear();
const rounds = Array.from({ length: ROUNDS }, (_, r) => round(r + 1, r + 1));

const decode0 = process.cpuUsage();
for (const msgs of rounds) for (const m of msgs) decodeMessage('telemetry', m.payload, agentId(0));
const decodeCpu = process.cpuUsage(decode0);

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const handleAll = async () => {
  for (const msgs of rounds) await handleRound(msgs);
};
// DIRECT_PROF=n: the n functions with the most self time over the handled rounds.
const prof = process.env.DIRECT_PROF ? await profiled(handleAll, Number(process.env.DIRECT_PROF)) : null;
if (!prof) await handleAll();
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const samples = ROUNDS * CONTAINERS * MINERS;
const perCpu = (u: NodeJS.CpuUsage) => Math.round(samples / ((u.user + u.system) / 1e6));
console.log(
  `${which}: ${samples} samples; handle ${perCpu(cpu)} samples per CPU-s (${Math.round(samples / wallS)}/s wall); decode alone ${perCpu(decodeCpu)} per CPU-s`,
);
for (const [frame, ms] of prof?.frames ?? []) console.log(`${ms.toFixed(0).padStart(6)} ms  ${frame}`);
for (const [k, [ms, n]] of [...sqlTime].sort((a, b) => b[1][0] - a[1][0]).slice(0, 15))
  console.log(`${ms.toFixed(0).padStart(6)} ms ${String(n).padStart(6)}x  ${k}`);
await app.close();
rmSync(dir, { recursive: true, force: true });
