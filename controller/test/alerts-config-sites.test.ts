import { join } from 'node:path';
import { exampleSample, exampleTelemetry, type MinerSample, topics } from '@hashfleet/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { alertsFor } from '../src/alerts/index.js';
import type { ControllerConfigInput } from '../src/core/config.js';
import { flatTariff, upsertSite } from '../src/fleet/inventory/index.js';
import { tempDir, testApp } from './helpers.js';

/**
 * Issue 17 item 5: a site's pool allowlist and known-good worker patterns are set in the
 * controller's config file (`alerts.sites`), not only through the API. Proves: at start they become
 * the site's pool_not_allowed rule and its worker patterns, which the evaluation uses (a pool
 * outside the list alerts; another worker matching a pattern does not); the next start with a
 * changed config stores the new values, drops what it had added and no longer names, and keeps the
 * patterns added through the API; a bad pattern stops start-up naming where it is. Before, the
 * loader dropped `alerts.sites` and nothing was stored.
 */
type T = Awaited<ReturnType<typeof testApp>>;
let t: T | undefined;
const dir = tempDir();
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const sites = (s: Record<string, { allowedPools?: string[] | null; workerPatterns?: string[] }>) =>
  ({ alerts: { sites: s } }) as ControllerConfigInput;

async function start(config: ControllerConfigInput, clock?: () => number) {
  await t?.close();
  t = await testApp({ ...config, storage: { url: `sqlite:${join(dir.dir, 'c.db')}` } }, clock);
  return t;
}

const api = async (url: string, method: 'GET' | 'POST' = 'GET', payload?: object) =>
  (await t!.app.inject({ method, url: `/api/v1${url}`, headers: t!.auth('operator'), payload })).json();
const siteRule = async (siteId: string) =>
  (
    (await api('/alert-rules')) as {
      kind: string;
      scopeId: string | null;
      params: object;
      updatedBy: string;
    }[]
  ).find((r) => r.kind === 'pool_not_allowed' && r.scopeId === siteId);
const patterns = async () =>
  (
    (await api('/alerts/known-worker-patterns')) as { siteId: string; pattern: string; createdBy: string }[]
  ).map((p) => `${p.siteId}:${p.pattern}:${p.createdBy}`);

describe('alerts.sites in the config file', () => {
  it('becomes the site rule and patterns the evaluation uses', async () => {
    let clock = exampleSample.at;
    await start(
      sites({ sichuan: { allowedPools: ['pool.example:3333'], workerPatterns: ['hashshare.*'] } }),
      () => clock,
    );
    const alerts = alertsFor(t!.app.hashfleet);
    let seq = 1;
    const poll = async (over: Partial<MinerSample>) => {
      clock += 30_000;
      // All three boards hashing (the contract's example shows one): no board alert in the way.
      const boards = [1, 2, 3].map((index) => ({ ...exampleSample.boards[0]!, index }));
      const s = { ...exampleSample, boards, at: clock, ...over };
      const msg = { ...exampleTelemetry, seq: seq++, sentAt: clock, samples: [s], unreachable: [] };
      const bytes = new TextEncoder().encode(JSON.stringify(msg));
      expect(await t!.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), bytes)).toBe('applied');
      await alerts.tick(clock);
      return t!.app.hashfleet.db.all<{ kind: string; state: string }>(
        `SELECT kind, state FROM alerts WHERE kind IN ('pool_not_allowed', 'worker_changed')`,
      );
    };
    expect(await poll({})).toEqual([]);
    // Another worker matching the configured pattern, on the allowed pool: nothing.
    expect(await poll({ pool: { url: 'stratum+tcp://pool.example:3333', user: 'hashshare.sc77' } })).toEqual(
      [],
    );
    // A pool outside the configured list: pool_not_allowed (the worker still matches the pattern).
    expect(
      await poll({ pool: { url: 'stratum+tcp://btc.hijack.example:3333', user: 'hashshare.sc77' } }),
    ).toEqual([{ kind: 'pool_not_allowed', state: 'open' }]);
  });

  it('is put back at every start; what it added and no longer names goes; the API’s own patterns stay', async () => {
    await start(sites({ kz1: { allowedPools: ['a.example:3333'], workerPatterns: ['kz.*', 'old.*'] } }));
    const site = { id: 'kz1', name: 'Pavlodar', timezone: 'Asia/Almaty', tariff: flatTariff(0.03) };
    await upsertSite(t!.app.hashfleet.db, site, 0);
    expect(await siteRule('kz1')).toMatchObject({
      params: { allowedPools: ['a.example:3333'] },
      updatedBy: 'config',
    });
    expect(
      await api('/alerts/known-worker-patterns', 'POST', { siteId: 'kz1', pattern: 'ops.*' }),
    ).toBeTruthy();
    expect((await patterns()).sort()).toEqual([
      'kz1:kz.*:config',
      'kz1:old.*:config',
      'kz1:ops.*:operator-1',
    ]);

    await start(sites({ kz1: { allowedPools: ['b.example:443'], workerPatterns: ['kz.*'] } }));
    expect(await siteRule('kz1')).toMatchObject({ params: { allowedPools: ['b.example:443'] } });
    expect((await patterns()).sort()).toEqual(['kz1:kz.*:config', 'kz1:ops.*:operator-1']);

    await start(sites({}));
    expect(await siteRule('kz1')).toBeUndefined();
    expect(await patterns()).toEqual(['kz1:ops.*:operator-1']);
  });

  it('refuses a bad pattern naming where it is', async () => {
    await expect(start(sites({ kz1: { workerPatterns: ['has space'] } }))).rejects.toThrow(
      /alerts\.sites\.kz1\.workerPatterns\.0.*printable ASCII/s,
    );
  });
});
