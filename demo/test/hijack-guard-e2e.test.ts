import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertsFor } from '@hashfleet/controller/alerts/index';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDemo } from '../src/demo.js';
import { startDemoForTest } from '../src/test-demo.js';
import { waitFor } from '../src/wait.js';

/**
 * Issue 17 item 5 through `npm start`'s own start-up: the demo ships each site's allowed pools and
 * worker patterns, so its seeded hijack (kz-c1 R5/S1 mining to btc.unknown-pool.example as
 * someone.else) raises pool_not_allowed and worker_changed on the first evaluation after one poll,
 * and the thief's worker is not recorded as known-good. Before: the allowed-pools list shipped
 * empty and the first sighting blessed the thief's worker, so nothing alerted.
 * Shrunk to 11 miners per firmware and container so the hijacked unit (the 11th vnish) runs.
 */
let demo: RunningDemo;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-hijack-'));
  demo = await startDemoForTest(dataDir, {
    logLevel: 'silent',
    minersPerProfile: 11,
    pdus: 'off',
    addressing: 'free-block',
    schedule: 'manual',
  });
}, 120_000);

afterAll(async () => {
  await demo?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the demo hijack guard', () => {
  it('raises pool_not_allowed for the seeded hijack within one poll, and blesses no worker', async () => {
    const spec = demo.scenario.miners.find((m) => m.id === 'kz-c1-r5-s01');
    expect(spec, 'the hijacked miner runs in the shrunk demo').toBeDefined();
    for (const agent of demo.agents) {
      await agent.scanNow();
      await agent.pollNow();
    }
    const db = demo.controller.db;
    // The one poll's sample reaches the controller (ingest is asynchronous to the poll).
    const minerId = await waitFor('the hijacked miner sampled', async () => {
      const r = await db.get<{ id: string; pool_url: string | null }>(
        `SELECT m.id, l.pool_url FROM miners m JOIN slots s ON s.id = m.slot_id
         LEFT JOIN miner_latest l ON l.miner_id = m.id
         WHERE s.container_id = 'kz-c1' AND s.rack = 'R5' AND s.slot = 'S1'`,
      );
      return r?.pool_url ? r.id : null;
    });
    await alertsFor(demo.controller.app.hashfleet).tick(Date.now());
    const open = await db.all<{ kind: string; message: string }>(
      `SELECT kind, message FROM alerts WHERE miner_id = ? AND state = 'open' AND kind IN ('pool_not_allowed', 'worker_changed') ORDER BY kind`,
      [minerId],
    );
    expect(open).toEqual([
      {
        kind: 'pool_not_allowed',
        message: "pool stratum+tcp://btc.unknown-pool.example:3333 is not in the site's allowed pools",
      },
      {
        kind: 'worker_changed',
        message:
          "worker someone.else on stratum+tcp://btc.unknown-pool.example:3333 matches none of the site's worker patterns",
      },
    ]);
    expect(await db.all('SELECT worker FROM alert_known_workers WHERE miner_id = ?', [minerId])).toEqual([]);
    // The healthy miners of the site raise neither.
    const others = await db.all<{ n: number }>(
      `SELECT COUNT(*) AS n FROM alerts WHERE miner_id <> ? AND kind IN ('pool_not_allowed', 'worker_changed')`,
      [minerId],
    );
    expect(Number(others[0]!.n)).toBe(0);
  }, 120_000);
});
