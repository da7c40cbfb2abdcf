import {
  type CommandResult,
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  type Telemetry,
  topics,
} from '@hashfleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsFor } from '../src/alerts/index.js';
import { desiredJobs } from '../src/desired/index.js';
import { fleetApp } from './operations-fixtures.js';

/**
 * Desired state through the API on a manual clock, with one agent's twelve miners ingested like
 * telemetry and the agent's results fed back through ingest (issue 20 items 1-3): versions and the
 * two-person rule, drift per field within one poll and the `drift` alert after the grace period,
 * and a rollout's canary and waves verified by effect under a container power budget of 2, paused
 * by a failing canary, resumed, and rolled back.
 */
const T0 = exampleSample.at;
const POOL = exampleSample.pool!.url;
const WORKER = exampleSample.pool!.user;
const KEYS = Array.from({ length: 12 }, (_, i) => `W${String(i + 1).padStart(2, '0')}`);
let clock = T0;
let seq = 10;
let t: Awaited<ReturnType<typeof fleetApp>>;
let jobs: ReturnType<typeof desiredJobs>;
const run = (name: string) => jobs.find((j) => j.name === name)!.run(clock);
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
/** What each miner reports on the next poll (the simulated miners' own settings). */
const reported = new Map<string, Partial<MinerSample>>();

async function poll(step = 30_000) {
  clock += step;
  const samples = KEYS.map((key, i) => ({
    ...exampleSample,
    minerKey: key,
    serial: key,
    mac: `02:00:00:00:00:${String(10 + i).padStart(2, '0')}`,
    ip: `10.0.4.${10 + i}`,
    profile: 'whatsminer-v3',
    model: 'Whatsminer M50S',
    slot: { rack: 'R01', slot: String(i + 1).padStart(2, '0') },
    at: clock,
    powerW: 3000,
    powerLimitW: 3000,
    ...reported.get(key),
  }));
  const msg: Telemetry = { ...exampleTelemetry, seq: seq++, sentAt: clock, samples, unreachable: [] };
  expect(await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg))).toBe('applied');
}

/** The agent's verdict on a command, through ingest as it would arrive from the broker. */
async function answer(commandId: string, state: 'verified' | 'failed', message: string) {
  const msg: CommandResult = {
    v: 1,
    kind: 'result',
    agentId: 'sc-c01',
    bootId: exampleTelemetry.bootId,
    seq: seq++,
    sentAt: clock,
    historical: false,
    commandId,
    commandSeq: 1,
    status: state === 'verified' ? 'succeeded' : 'failed',
    refusal: null,
    transport: 'wm-v3',
    startedAt: clock,
    finishedAt: clock,
    message,
    effect: { state, reply: message, observed: null, windowEndsAt: null },
  };
  expect(await t.app.hashfleet.ingest.handle(topics.results('sc-c01'), enc(msg))).toBe('applied');
}

const api = async (
  role: 'operator' | 'admin' | 'technician',
  method: 'GET' | 'PUT' | 'POST',
  url: string,
  body?: unknown,
) => {
  const res = await t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: t.auth(role),
    ...(body !== undefined ? { payload: body as object } : {}),
  });
  return { status: res.statusCode, body: res.body ? res.json() : null };
};

beforeAll(async () => {
  t = await fleetApp(
    KEYS.map((key) => ({ key, profile: 'whatsminer-v3', model: 'Whatsminer M50S' })),
    () => clock,
  );
  jobs = desiredJobs(t.app.hashfleet);
  await poll();
});
afterAll(async () => t?.close());

/** Sent commands by the miner key they target, newest last. */
const sentTo = () =>
  t.published.map((p) => {
    const c = JSON.parse(p.payload) as { id: string; action: { op: string; target: { minerKey: string } } };
    return { id: c.id, op: c.action.op, key: c.action.target.minerKey };
  });

describe('desired state: versions, drift, alert and rollouts', () => {
  let v1: string;
  it('a pool change needs a second person; a power change is active at once, each a new version, audited', async () => {
    expect(
      (
        await api('technician', 'POST', '/desired-states', {
          scope: { kind: 'container', containerId: 'sc-c01' },
          spec: { power: { targetW: 3000 } },
        })
      ).status,
    ).toBe(403);
    const put = await api('operator', 'POST', '/desired-states', {
      scope: { kind: 'container', containerId: 'sc-c01' },
      spec: { pool: { url: POOL, workerPattern: WORKER, password: 'secret-pw' }, power: { targetW: 3000 } },
      note: 'the container mines on our pool at 3 kW',
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect(put.body).toMatchObject({ version: 1, state: 'pending_approval' });
    expect(put.body.spec.pool.password).toBe('***');
    v1 = put.body.id;
    expect((await api('operator', 'POST', `/desired-states/versions/${v1}/approve`)).status).toBe(403);
    const ok = await api('admin', 'POST', `/desired-states/versions/${v1}/approve`);
    expect(ok.body).toMatchObject({ state: 'active', approvedBy: 'admin-1' });
    const audit = await t.app.hashfleet.db.all<{ action: string; details_json: string }>(
      `SELECT action, details_json FROM audit_log WHERE subject LIKE 'desired %' ORDER BY at, action`,
    );
    // Both at the same clock reading: compared as a set.
    expect(audit.map((a) => a.action).sort()).toEqual(['desired.approve', 'desired.request']);
    expect(audit.find((a) => a.action === 'desired.request')!.details_json).not.toContain('secret-pw');
  });

  it('every miner is in its desired state: no drift', async () => {
    expect((await api('operator', 'GET', '/drift')).body).toEqual([]);
    const counts = (await api('operator', 'GET', '/drift/counts')).body;
    expect(counts.total).toMatchObject({ managed: 12, drifted: 0 });
  });

  it('a pool changed behind our back shows as drift within one poll, and raises `drift` after the grace period', async () => {
    reported.set('W03', { pool: { url: 'stratum+tcp://btc.hijack.example:3333', user: 'intruder.worker1' } });
    await poll();
    const drift = (await api('operator', 'GET', '/drift?containerId=sc-c01')).body;
    expect(
      drift.map((d: { serial: string; drift: { field: string }[] }) => [
        d.serial,
        d.drift.map((f) => f.field),
      ]),
    ).toEqual([['W03', ['pool', 'worker']]]);
    await run('desired-drift');
    const since = clock;
    const alerts = alertsFor(t.app.hashfleet);
    const open = async () =>
      t.app.hashfleet.db.all<{ kind: string; message: string; details_json: string }>(
        `SELECT kind, message, details_json FROM alerts WHERE kind = 'drift' AND state = 'open'`,
      );
    await alerts.tick(clock);
    expect(await open()).toEqual([]);
    // Polls keep coming; the drift job keeps its first sighting, so the grace counts from it.
    while (clock < since + 570_000) {
      await poll();
      await run('desired-drift');
    }
    await alerts.tick(clock);
    expect(await open()).toEqual([]);
    await poll();
    await run('desired-drift');
    await alerts.tick(clock);
    const a = await open();
    expect(a).toHaveLength(1);
    expect(a[0]!.message).toBe(
      `pool out of its desired state for 600 s: wants ${POOL}, has stratum+tcp://btc.hijack.example:3333`,
    );
    expect(JSON.parse(a[0]!.details_json)).toMatchObject({ field: 'pool' });
    expect((await api('operator', 'GET', '/drift/counts')).body.containers).toEqual([
      expect.objectContaining({
        containerId: 'sc-c01',
        drifted: 1,
        byField: expect.objectContaining({ pool: 1, worker: 1 }),
      }),
    ]);
  });

  it('a rollout brings it back: the pool change goes out with the version’s approval and is verified by effect', async () => {
    const r = await api('operator', 'POST', `/desired-states/versions/${v1}/apply`, {});
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body).toMatchObject({ state: 'running', waves: 1, canary: 1 });
    expect(r.body.items).toEqual([
      expect.objectContaining({ serial: 'W03', ops: ['pool.set'], state: 'queued' }),
    ]);
    await run('desired-rollouts');
    const sent = sentTo().filter((c) => c.key === 'W03');
    expect(sent.map((c) => c.op)).toEqual(['pool.set']);
    await answer(sent[0]!.id, 'verified', 'pool switched');
    // The command's verdict alone does not finish it: a reading must show the pool back.
    await run('desired-rollouts');
    expect((await api('operator', 'GET', `/rollouts/${r.body.id}`)).body.state).toBe('running');
    reported.delete('W03');
    await poll();
    await run('desired-rollouts');
    const done = (await api('operator', 'GET', `/rollouts/${r.body.id}`)).body;
    expect(done).toMatchObject({ state: 'done', progress: [{ wave: 0, counts: { verified: 1 } }] });
    await run('desired-drift');
    await alertsFor(t.app.hashfleet).tick(clock);
    expect(
      await t.app.hashfleet.db.all(`SELECT kind FROM alerts WHERE kind = 'drift' AND state = 'open'`),
    ).toEqual([]);
  });

  let rolloutId: string;
  it('a power change rolls out canary first, never more than the power budget restarting at once; a refusal and a unit that does not come back hashing fail the canary, which pauses it', async () => {
    const put = await api('operator', 'POST', '/desired-states', {
      scope: { kind: 'container', containerId: 'sc-c01' },
      spec: { pool: { url: POOL, workerPattern: WORKER, password: 'secret-pw' }, power: { targetW: 2500 } },
    });
    expect(put.body).toMatchObject({ version: 2, state: 'active', previousId: v1 });
    const r = await api('operator', 'POST', `/desired-states/versions/${put.body.id}/apply`, {
      waveSize: 4,
      powerBudget: 2,
      failureThresholdPct: 10,
      verifyTimeoutS: 60,
    });
    expect(r.body).toMatchObject({ state: 'running', canary: 5, waves: 3 });
    rolloutId = r.body.id;
    const before = sentTo().length;
    const fresh = () => sentTo().slice(before);
    await run('desired-rollouts');
    expect(fresh().map((c) => `${c.op} ${c.key}`)).toEqual(['power.target W01', 'power.target W02']);
    await run('desired-rollouts');
    expect(fresh()).toHaveLength(2);
    // W01 takes its new limit; W02 refuses: two more of the canary may go, never more than two at once.
    await answer(fresh()[0]!.id, 'verified', 'limit set');
    reported.set('W01', { powerLimitW: 2500, powerW: 2500 });
    await answer(fresh()[1]!.id, 'failed', 'Code 45: Access denied');
    await poll();
    await run('desired-rollouts');
    expect(fresh().map((c) => c.key)).toEqual(['W01', 'W02', 'W03', 'W04']);
    for (const c of fresh().slice(2)) {
      await answer(c.id, 'verified', 'limit set');
      reported.set(c.key, { powerLimitW: 2500, powerW: 2500 });
    }
    // W04 takes its limit but does not come back hashing (a bad unit): it holds its budget slot.
    reported.set('W04', {
      powerLimitW: 2500,
      powerW: 2500,
      state: 'starting',
      hashrate5sThs: 0,
      hashrateAvgThs: 0,
    });
    await poll();
    await run('desired-rollouts');
    expect(fresh().map((c) => c.key)).toEqual(['W01', 'W02', 'W03', 'W04', 'W05']);
    await answer(fresh()[4]!.id, 'verified', 'limit set');
    reported.set('W05', { powerLimitW: 2500, powerW: 2500 });
    await poll();
    await run('desired-rollouts');
    expect((await api('operator', 'GET', `/rollouts/${rolloutId}`)).body.state).toBe('running');
    // Past its verify timeout (60 s) W04 fails; the canary is over and pauses the rollout.
    await poll();
    await run('desired-rollouts');
    const paused = (await api('operator', 'GET', `/rollouts/${rolloutId}`)).body;
    expect(paused).toMatchObject({ state: 'paused', reason: 'canary: 2 of 5 failed (40 % > 10 %)', wave: 1 });
    expect(paused.items.find((i: { serial: string }) => i.serial === 'W04')).toMatchObject({
      state: 'failed',
      reason: 'back in its desired state but not hashing at 90 % of expected 60 s after the change',
    });
    expect(paused.items.find((i: { serial: string }) => i.serial === 'W02')).toMatchObject({
      state: 'failed',
      reason: 'power.target failed: Code 45: Access denied',
    });
    await run('desired-rollouts');
    expect(fresh()).toHaveLength(5);
  });

  it('resume sends the next wave; roll back restores the previous version and rolls it out, counting the aborted rollout’s restarting miners against the budget', async () => {
    const before = sentTo().length;
    expect((await api('operator', 'POST', `/rollouts/${rolloutId}/resume`)).body.state).toBe('running');
    await run('desired-rollouts');
    expect(
      sentTo()
        .slice(before)
        .map((c) => c.key),
    ).toEqual(['W06', 'W07']);
    const rb = await api('operator', 'POST', `/rollouts/${rolloutId}/rollback`, { powerBudget: 3 });
    expect(rb.status, JSON.stringify(rb.body)).toBe(202);
    expect(rb.body.version).toMatchObject({ version: 3, state: 'active', note: 'rollback of v2 to v1' });
    expect((await api('operator', 'GET', `/rollouts/${rolloutId}`)).body).toMatchObject({ state: 'aborted' });
    const items = rb.body.rollout.items.map((i: { serial: string }) => i.serial);
    // The miners that took 2500 W go back to 3000 W; the ones never changed are in their state.
    expect(items).toEqual(['W01', 'W03', 'W04', 'W05']);
    expect(rb.body.rollout.rollbackOf).toBe(rolloutId);
    // W06 and W07 of the aborted rollout are still restarting: with a budget of 3, one more goes.
    const sentBefore = sentTo().length;
    await run('desired-rollouts');
    expect(
      sentTo()
        .slice(sentBefore)
        .map((c) => `${c.op} ${c.key}`),
    ).toEqual(['power.target W01']);
  });
});
