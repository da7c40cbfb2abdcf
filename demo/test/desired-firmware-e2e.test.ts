import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, startAgent } from '@hashfleet/agent';
import { createToken, type RunningController } from '@hashfleet/controller';
import { desiredJobs } from '@hashfleet/controller/desired/index';
import {
  parseScenario,
  type Simulation,
  simulatedImage,
  smallScenario,
  startSimulation,
} from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigFor, agentIdOf } from '../src/agents.js';
import { freePort } from '../src/ports.js';
import { waitFor } from '../src/wait.js';
import { startTestController } from './harness.js';

/**
 * A firmware rollout end to end (issue 20, must show): a container of 100 simulated VNish miners,
 * one real agent, the controller with its embedded broker. Both images (the version the miners run
 * and the new one) are kept by the controller; the container's desired firmware is the running
 * version, then the new one, each approved by a second person. The rollout sends firmware.upgrade
 * (the agent fetches the image with its token, checks its SHA-256 and uploads it over the VNish
 * web API) to a canary of 5, one of them a seeded bad unit that takes the image and never comes
 * back: the canary fails 1 of 5 and the rollout pauses with the reason, no wave sent. Aborted, its
 * waves are cancelled; a new rollout of the version (without the dead unit, which answers no more)
 * goes wave by wave (a wave starts only once the one before is over), each miner verified by the
 * version it reports and its hashrate. Rolled back, the previous version's image goes out to
 * every upgraded miner and they report the old version again, hashing.
 */
type Agent = Awaited<ReturnType<typeof startAgent>>;
const MINERS = 100;
const BAD = 'm0003';
const NEW = '2.0.4';
let controller: RunningController;
let sim: Simulation;
let agent: Agent;
let dataDir: string;
let old = '';
/** How far the controller's clock runs ahead of the wall clock (the test moves it past a timeout). */
let ahead = 0;
const now = () => Date.now() + ahead;
const tokens: Record<'operator' | 'admin', string> = { operator: '', admin: '' };
let jobs: ReturnType<typeof desiredJobs>;
const run = (name: string) => jobs.find((j) => j.name === name)!.run(now());

const api = async (role: keyof typeof tokens, method: 'GET' | 'POST', path: string, body?: unknown) => {
  const res = await fetch(`${controller.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[role]}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : null,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};
const poll = async () => {
  await agent.pollNow();
  await agent.drained(10_000);
};

type Item = {
  minerId: string;
  rack: string;
  slot: string;
  wave: number;
  state: string;
  reason: string | null;
};
type Rollout = {
  id: string;
  state: string;
  reason: string | null;
  wave: number;
  waves: number;
  canary: number;
  progress: { wave: number; counts: Record<string, number> }[];
  items: Item[];
};
const rollout = async (id: string) => (await api('operator', 'GET', `/rollouts/${id}`)).body as Rollout;

/**
 * Runs the rollout runner and polls until `done` says so; on every round checks that no miner of
 * a wave was sent before every miner of the waves before it had its verdict.
 */
async function drive(id: string, what: string, done: (r: Rollout) => boolean, timeoutMs: number) {
  const early: string[] = [];
  const r = await waitFor(
    what,
    async () => {
      await run('desired-rollouts');
      const r = await rollout(id);
      for (const i of r.items.filter((x) => x.wave > 0 && !['queued', 'cancelled'].includes(x.state))) {
        const open = r.items.filter(
          (x) => x.wave >= 0 && x.wave < i.wave && ['queued', 'sending', 'sent'].includes(x.state),
        );
        if (open.length)
          early.push(`${i.rack}/${i.slot} of wave ${i.wave} sent while ${open.length} earlier open`);
      }
      if (done(r)) return r;
      await poll();
      return null;
    },
    { timeoutMs, everyMs: 200 },
  );
  expect(early).toEqual([]);
  return r;
}

/** What the controller's latest reading of each miner shows: version, state, hashrate against expected. */
const readings = async () =>
  new Map(
    (
      await controller.db.all<{
        miner_id: string;
        firmware_version: string | null;
        state: string;
        hashrate_ths: number | null;
        expected_ths: number | null;
      }>('SELECT miner_id, firmware_version, state, hashrate_ths, expected_ths FROM miner_latest')
    ).map((r) => [r.miner_id, r]),
  );
/** A reading that shows `version` and the miner hashing at 90 % of expected or more. */
const runs = (
  r: {
    firmware_version: string | null;
    state: string;
    hashrate_ths: number | null;
    expected_ths: number | null;
  },
  version: string,
) =>
  r.firmware_version === version &&
  r.state === 'hashing' &&
  r.hashrate_ths !== null &&
  r.expected_ths !== null &&
  Number(r.hashrate_ths) >= 0.9 * Number(r.expected_ths);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-desired-firmware-e2e-'));
  controller = await startTestController(dataDir, { now });
  tokens.operator = await createToken(controller.db, { role: 'operator', name: 'op-1' });
  tokens.admin = await createToken(controller.db, { role: 'admin', name: 'admin-1' });
  jobs = desiredJobs(controller.app.hashfleet);
  const scenario = smallScenario({
    miners: MINERS,
    pdus: false,
    seed: 20,
    bootS: 5,
    restartS: 2,
    profiles: ['vnish'],
  });
  scenario.timing = { ...scenario.timing, upgradeBootS: 1 };
  scenario.ports = { ...scenario.ports, http: await freePort() };
  scenario.containers[0]!.ipBlock = '127.99.1.0/24';
  // The seeded bad unit, in the canary (R1/S3 in walking order): it takes the image and never answers.
  scenario.miners.find((m) => m.id === BAD)!.failsUpgrade = true;
  sim = await startSimulation(parseScenario(scenario), { pdus: false, clock: 'real' });
  old = sim.miner(BAD).firmwareVersion;
  const container = sim.scenario.containers[0]!;
  const agentId = agentIdOf(container.id);
  const wiring = agentConfigFor(sim.scenario, container, {
    mqttUrl: controller.mqttUrl,
    dataDir,
    agentToken: await createToken(controller.db, { role: 'agent', name: agentId }),
    commandPublicKeyPem: controller.commandPublicKey,
    pollS: 1,
  });
  agent = await startAgent(loadAgentConfig(wiring as Record<string, unknown>, dataDir), {
    schedule: 'manual',
  });
  await agent.scanNow();
  await waitFor(
    `all ${MINERS} miners sampled`,
    async () => {
      await poll();
      const r = await controller.db.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM miner_latest WHERE online = 1',
      );
      return Number(r!.n) === MINERS;
    },
    { timeoutMs: 60_000, everyMs: 200 },
  );
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await sim?.stop();
  await controller?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Keeps a simulated VNish image of `version` with the controller; its SHA-256 as computed there. */
async function upload(version: string): Promise<string> {
  const res = await fetch(`${controller.url}/api/v1/firmware/images?family=vnish&version=${version}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.operator}`, 'content-type': 'application/octet-stream' },
    body: simulatedImage('vnish', version, 16 * 1024),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { sha256: string }).sha256;
}

/** A desired firmware for the container, proposed by the operator and approved by the admin. */
async function desire(version: string, imageSha256: string): Promise<string> {
  const put = await api('operator', 'POST', '/desired-states', {
    scope: { kind: 'container', containerId: sim.scenario.containers[0]!.id },
    spec: { firmware: { family: 'vnish', version, imageSha256 } },
  });
  expect(put.body.state).toBe('pending_approval');
  expect((await api('operator', 'POST', `/desired-states/versions/${put.body.id}/approve`)).status).toBe(403);
  expect((await api('admin', 'POST', `/desired-states/versions/${put.body.id}/approve`)).body.state).toBe(
    'active',
  );
  return put.body.id;
}

// The verify timeout is on the controller's clock, which the test moves past it for the bad unit;
// long enough that a good unit on a loaded machine (the whole suite on 2 cores) is never failed by it.
const OPTIONS = { waveSize: 50, powerBudget: 50, failureThresholdPct: 10, verifyTimeoutS: 600 };

describe(`a firmware rollout across a container's ${MINERS} simulated miners`, () => {
  let rolloutId: string;
  let versionId: string;
  let newSha: string;

  it('both images kept; the running version desired first: no drift', async () => {
    expect(old).not.toBe(NEW);
    await desire(old, await upload(old));
    newSha = await upload(NEW);
    const counts = (await api('operator', 'GET', '/drift/counts')).body;
    expect(counts.total).toMatchObject({ managed: MINERS, drifted: 0 });
  }, 30_000);

  it('the new version, approved by a second person, rolls out to a canary of 5; the bad unit in it never comes back and the rollout pauses after the canary with the reason', async () => {
    versionId = await desire(NEW, newSha);
    const r = await api('operator', 'POST', `/desired-states/versions/${versionId}/apply`, OPTIONS);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body).toMatchObject({ state: 'running', canary: 5, waves: 3 });
    rolloutId = r.body.id;
    const canary = (r.body as Rollout).items.filter((i) => i.wave === 0).map((i) => `${i.rack}/${i.slot}`);
    expect(canary).toEqual(['R1/S1', 'R1/S2', 'R1/S3', 'R1/S4', 'R1/S5']);
    await drive(
      rolloutId,
      'the good canary miners verified',
      (x) => x.items.filter((i) => i.wave === 0 && i.state === 'verified').length === 4,
      180_000,
    );
    // The bad unit has not answered since; past the verify timeout on the controller's clock it fails.
    ahead += OPTIONS.verifyTimeoutS * 1000;
    const paused = await drive(rolloutId, 'the canary over', (x) => x.state !== 'running', 30_000);
    expect(paused).toMatchObject({ state: 'paused', reason: 'canary: 1 of 5 failed (20 % > 10 %)', wave: 1 });
    const bad = paused.items.find((i) => i.wave === 0 && i.state === 'failed')!;
    expect(`${bad.rack}/${bad.slot}`).toBe('R1/S3');
    expect(bad.reason).toBe(`no verdict on its commands within ${OPTIONS.verifyTimeoutS} s`);
    expect(paused.items.filter((i) => i.wave > 0).every((i) => i.state === 'queued')).toBe(true);
    const onNew = sim.miners.filter((m) => sim.miner(m.id).firmwareVersion === NEW).map((m) => m.id);
    expect(onNew.sort()).toEqual(['m0001', 'm0002', 'm0003', 'm0004', 'm0005']);
    expect(sim.miner(BAD).apiUp).toBe(false);
  }, 300_000);

  it('aborted, its queued waves are cancelled; a new rollout of the version, without the dead unit, goes wave by wave, each miner verified by the version it reports and its hashrate', async () => {
    const aborted = (await api('operator', 'POST', `/rollouts/${rolloutId}/abort`)).body as Rollout;
    expect(aborted.state).toBe('aborted');
    expect(aborted.items.filter((i) => i.wave > 0).map((i) => [i.state, i.reason])).toEqual(
      Array.from({ length: MINERS - 5 }, () => ['cancelled', 'aborted by op-1']),
    );
    const r = await api('operator', 'POST', `/desired-states/versions/${versionId}/apply`, OPTIONS);
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    rolloutId = r.body.id;
    // The four upgraded are in their desired state; the dead unit answers no more, so nothing is judged of it.
    expect(r.body).toMatchObject({ state: 'running', canary: 5, waves: 3 });
    expect((r.body as Rollout).items.map((i) => `${i.rack}/${i.slot}`)).not.toContain('R1/S3');
    expect(r.body.items).toHaveLength(MINERS - 5);
    const done = await drive(rolloutId, 'the rollout done', (x) => x.state !== 'running', 300_000);
    expect(done.state).toBe('done');
    expect(done.progress).toEqual([
      { wave: 0, counts: { verified: 5 } },
      { wave: 1, counts: { verified: 50 } },
      { wave: 2, counts: { verified: 40 } },
    ]);
    const latest = await readings();
    expect(done.items.filter((i) => !runs(latest.get(i.minerId)!, NEW))).toEqual([]);
    expect(sim.miners.filter((m) => sim.miner(m.id).firmwareVersion !== NEW)).toEqual([]);
  }, 400_000);

  it('rolled back, the previous version goes out to every upgraded miner and each reports it again, hashing', async () => {
    const rb = await api('operator', 'POST', `/rollouts/${rolloutId}/rollback`, OPTIONS);
    expect(rb.status, JSON.stringify(rb.body)).toBe(202);
    expect(rb.body.version).toMatchObject({ state: 'active', spec: { firmware: { version: old } } });
    const back = rb.body.rollout as Rollout;
    // The bad unit answers no more: nothing to judge, so it is not in the rollback.
    expect(back.items).toHaveLength(MINERS - 1);
    const done = await drive(back.id, 'the rollback done', (x) => x.state !== 'running', 300_000);
    expect(done.state).toBe('done');
    expect(done.items.filter((i) => i.state !== 'verified')).toEqual([]);
    const latest = await readings();
    expect(done.items.filter((i) => !runs(latest.get(i.minerId)!, old))).toEqual([]);
    expect(sim.miners.filter((m) => m.id !== BAD && sim.miner(m.id).firmwareVersion !== old)).toEqual([]);
  }, 400_000);
});
