import { createHash } from 'node:crypto';
import {
  type CommandResult,
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  type Telemetry,
  topics,
} from '@hashfleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desiredJobs } from '../src/desired/index.js';
import { fleetApp } from './operations-fixtures.js';

/**
 * A firmware rollout (issue 20 items 3 and 4) on a manual clock, with one agent's seven miners
 * ingested like telemetry and the agent's verdicts fed back through ingest: a desired image that
 * is not stored refuses the rollout up front; once stored, each drifted miner is sent
 * firmware.upgrade carrying the image's URL, SHA-256, size and version (under the power budget,
 * approved with the version by a second person); a miner whose firmware has no upgrade path is
 * refused with its profile's reason; a miner whose next reading shows the new version and hashing
 * is verified, one that comes back on the old version fails at the verify timeout.
 */
const T0 = exampleSample.at;
const OLD = exampleSample.firmwareVersion!;
const NEW = '49.0.2';
const IMAGE = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 13 + 5) & 0xff));
const SHA = createHash('sha256').update(IMAGE).digest('hex');
const STOCK = ['A01', 'A02', 'A03', 'A04', 'A05', 'A06'];
const KEYS = [...STOCK, 'C01'];
const profileOf = (key: string) => (key.startsWith('C') ? 'cgminer' : 'antminer-stock');
let clock = T0;
let seq = 10;
let t: Awaited<ReturnType<typeof fleetApp>>;
let jobs: ReturnType<typeof desiredJobs>;
const tick = () => jobs.find((j) => j.name === 'desired-rollouts')!.run(clock);
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const reported = new Map<string, Partial<MinerSample>>();

async function poll(step = 30_000) {
  clock += step;
  const samples = KEYS.map((key, i) => ({
    ...exampleSample,
    minerKey: key,
    serial: key,
    mac: `02:00:00:00:00:${String(10 + i).padStart(2, '0')}`,
    ip: `10.0.4.${10 + i}`,
    profile: profileOf(key),
    slot: { rack: 'R01', slot: String(i + 1).padStart(2, '0') },
    at: clock,
    ...reported.get(key),
  }));
  const msg: Telemetry = { ...exampleTelemetry, seq: seq++, sentAt: clock, samples, unreachable: [] };
  expect(await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg))).toBe('applied');
}

/** The agent's verdict on a command by its effect, through ingest as it would arrive. */
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
    transport: 'http',
    startedAt: clock,
    finishedAt: clock,
    message,
    effect: { state, reply: message, observed: null, windowEndsAt: null },
  };
  expect(await t.app.hashfleet.ingest.handle(topics.results('sc-c01'), enc(msg))).toBe('applied');
}

const api = async (role: 'operator' | 'admin', method: 'GET' | 'POST', url: string, body?: unknown) => {
  const res = await t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: t.auth(role),
    ...(body !== undefined ? { payload: body as object } : {}),
  });
  return { status: res.statusCode, body: res.body ? res.json() : null };
};

/** Commands published to the agent, in order. */
const sent = () =>
  t.published.map((p) => {
    const c = JSON.parse(p.payload) as {
      id: string;
      action: { op: string; target: { minerKey: string } } & Record<string, unknown>;
    };
    return { id: c.id, key: c.action.target.minerKey, action: c.action };
  });

beforeAll(async () => {
  t = await fleetApp(
    KEYS.map((key) => ({ key, profile: profileOf(key), model: 'Antminer S19 Pro' })),
    () => clock,
  );
  jobs = desiredJobs(t.app.hashfleet);
  await poll();
});
afterAll(async () => t?.close());

describe('a firmware rollout: firmware.upgrade per drifted miner, verified by version and hashrate', () => {
  let versionId: string;
  let rolloutId: string;

  it('a desired image that is not stored refuses the rollout up front, naming it', async () => {
    const put = await api('operator', 'POST', '/desired-states', {
      scope: { kind: 'container', containerId: 'sc-c01' },
      spec: { firmware: { family: 'antminer-stock', version: NEW, imageSha256: SHA } },
    });
    expect(put.body).toMatchObject({ state: 'pending_approval' });
    versionId = put.body.id;
    expect((await api('admin', 'POST', `/desired-states/versions/${versionId}/approve`)).body.state).toBe(
      'active',
    );
    const r = await api('operator', 'POST', `/desired-states/versions/${versionId}/apply`, {});
    expect(r.status).toBe(409);
    expect(r.body.message).toBe(
      `desired container:sc-c01 v1: firmware antminer-stock ${NEW} (image SHA-256 ${SHA}) is not stored; upload the image first`,
    );
    expect(sent()).toEqual([]);
  });

  it('once stored, each drifted miner gets firmware.upgrade with the image’s URL, hash, size and version; a firmware without an upgrade path is refused with its reason', async () => {
    const up = await t.app.inject({
      method: 'POST',
      url: `/api/v1/firmware/images?family=antminer-stock&version=${NEW}&sha256=${SHA}`,
      payload: IMAGE,
      headers: { ...t.auth('operator'), 'content-type': 'application/octet-stream' },
    });
    expect(up.statusCode, up.body).toBe(201);
    const r = await api('operator', 'POST', `/desired-states/versions/${versionId}/apply`, {
      waveSize: 5,
      powerBudget: 2,
      verifyTimeoutS: 60,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    // Approved as a version by a second person: the firmware goes out without another approval.
    expect(r.body).toMatchObject({ state: 'running', canary: 5, waves: 2 });
    rolloutId = r.body.id;
    const refused = r.body.items.filter((i: { state: string }) => i.state === 'refused');
    expect(refused).toEqual([
      expect.objectContaining({
        serial: 'C01',
        reason:
          'SC-C01-R01-07 (Antminer S19 Pro, sc-c01 R01/07): cgminer has no upgrade path: cgminer has no firmware upgrade in its API (API-README): upgrade it on its host',
      }),
    ]);
    expect(
      r.body.items
        .filter((i: { state: string }) => i.state === 'queued')
        .map((i: { serial: string; ops: string[] }) => `${i.serial} ${i.ops.join(' ')}`),
    ).toEqual(STOCK.map((k) => `${k} firmware.upgrade`));
    await tick();
    // The upgrade restarts the miner: two at once, the container's power budget.
    expect(sent().map((c) => c.key)).toEqual(['A01', 'A02']);
    const { target: _t, ...action } = sent()[0]!.action;
    expect(action).toEqual({
      op: 'firmware.upgrade',
      family: 'antminer-stock',
      image: {
        url: `http://${t.config.http.host}:${t.config.http.port}/api/v1/firmware/images/${up.json().id}/content`,
        sha256: SHA,
        sizeBytes: IMAGE.length,
        version: NEW,
      },
    });
  });

  it('a miner whose reading shows the new version and hashing is verified; one back on the old version fails at the verify timeout', async () => {
    const [a01, a02] = sent();
    await answer(a01!.id, 'verified', `firmware ${NEW} read back, hashing`);
    await answer(a02!.id, 'verified', `firmware ${NEW} read back, hashing`);
    // The command's verdict alone does not finish an item: the next reading must show the version.
    await tick();
    expect(
      (await api('operator', 'GET', `/rollouts/${rolloutId}`)).body.items.find(
        (i: { serial: string }) => i.serial === 'A01',
      ).state,
    ).toBe('sent');
    reported.set('A01', { firmwareVersion: NEW });
    await poll(20_000);
    await tick();
    const mid = (await api('operator', 'GET', `/rollouts/${rolloutId}`)).body;
    const item = (key: string) => mid.items.find((i: { serial: string }) => i.serial === key);
    expect(item('A01')).toMatchObject({ state: 'verified', reason: null });
    expect(item('A02')).toMatchObject({ state: 'sent' });
    // A01's slot is free again: the next canary miner goes.
    expect(sent().map((c) => c.key)).toEqual(['A01', 'A02', 'A03']);
    // Past the 60 s verify timeout A02 still reports the old version.
    await poll(45_000);
    await tick();
    const late = (await api('operator', 'GET', `/rollouts/${rolloutId}`)).body;
    expect(late.items.find((i: { serial: string }) => i.serial === 'A02')).toMatchObject({
      state: 'failed',
      reason: 'still out of its desired state (firmware) 60 s after the change',
      drift: [{ field: 'firmware', desired: NEW, actual: OLD }],
    });
  });
});
