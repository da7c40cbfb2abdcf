import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MinerSpec } from '@hashfleet/simulator/scenario/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningDemo } from '../src/demo.js';
import { startDemoForTest } from '../src/test-demo.js';
import { apiGet, waitFor } from '../src/wait.js';

/**
 * `npm start` wires every firmware's shipped accounts into its container's agent (rpc, web and SSH
 * per profile, the simulator's SSH host key pinned), so a command sent through the API reaches
 * each firmware and succeeds: Whatsminer v2 and v3 power targets, a stock Antminer reboot over
 * its web CGI, a Braiins OS power target over SSH, and the rest. The demo runs as `npm start`
 * starts it, shrunk to a few miners per firmware and container.
 */
type Grid = { racks: { rack: string; slots: { slot: string; minerId: string | null; online: boolean }[] }[] };
type CommandView = {
  state: string;
  result: { status: string; transport: string | null; message: string } | null;
};

let demo: RunningDemo;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-demo-commands-'));
  demo = await startDemoForTest(dataDir, {
    logLevel: 'silent',
    minersPerProfile: 3,
    pdus: 'off',
    addressing: 'free-block',
    schedule: 'manual',
  });
  for (const agent of demo.agents) {
    await agent.scanNow();
    await agent.pollNow();
  }
}, 120_000);

afterAll(async () => {
  await demo?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The first miner of a firmware that the scenario leaves without faults. */
function healthy(profile: MinerSpec['profile']): MinerSpec {
  const faulty = new Set(demo.scenario.faults.map((f) => f.minerId));
  const m = demo.scenario.miners.find((x) => x.profile === profile && !faulty.has(x.id));
  if (!m) throw new Error(`the demo scenario has no healthy ${profile} miner`);
  return m;
}

/** The controller's id of a simulated miner, once its agent has reported it in its slot. */
function controllerId(m: MinerSpec): Promise<string> {
  return waitFor(`${m.id} reported in ${m.containerId} ${m.rack}/${m.slot}`, async () => {
    const g = await apiGet<Grid>(demo.controller.url, demo.tokens.operator, `/containers/${m.containerId}`);
    const s = g.racks.find((r) => r.rack === m.rack)?.slots.find((x) => x.slot === m.slot);
    return s?.online && s.minerId;
  });
}

/** States a command stops in (an acknowledged one waits for its verdict unless that is what is expected). */
const SETTLED = new Set(['verified', 'unverified', 'succeeded', 'failed', 'refused', 'timeout', 'expired']);

async function send(minerId: string, body: Record<string, unknown>, until: string): Promise<CommandView> {
  const res = await fetch(`${demo.controller.url}/api/v1/miners/${minerId}/commands`, {
    method: 'POST',
    headers: { authorization: `Bearer ${demo.tokens.operator}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const issued = (await res.json()) as { id: string; state: string };
  expect(res.status, JSON.stringify(issued)).toBe(202);
  return waitFor(`command ${issued.id} (${String(body['op'])}) finished`, async () => {
    const c = await apiGet<CommandView>(demo.controller.url, demo.tokens.operator, `/commands/${issued.id}`);
    return c.result && (c.state === until || SETTLED.has(c.state)) ? c : null;
  });
}

type Row = {
  profile: MinerSpec['profile'];
  body: Record<string, unknown>;
  transport: string;
  /**
   * The state it is checked in (issue 16): verified when a reading showed the effect, unverified
   * when none can (the profile says why), acknowledged for a reboot still in its boot window.
   */
  state: 'verified' | 'unverified' | 'acknowledged';
  /** What the simulated miner shows afterwards, when the command leaves a lasting mark. */
  truth?: { powerLimitW?: number; led?: boolean };
};

const rows: Row[] = [
  {
    profile: 'whatsminer-v2',
    body: { op: 'power.target', watts: 3100 },
    transport: 'rpc',
    state: 'verified',
    truth: { powerLimitW: 3100 },
  },
  {
    profile: 'whatsminer-v3',
    body: { op: 'power.target', watts: 3200 },
    transport: 'wm-v3',
    state: 'verified',
    truth: { powerLimitW: 3200 },
  },
  // LED first: the reboot then takes the same miner down for its boot.
  {
    profile: 'antminer-stock',
    body: { op: 'led', on: true },
    transport: 'http',
    state: 'unverified',
    truth: { led: true },
  },
  { profile: 'antminer-stock', body: { op: 'reboot' }, transport: 'http', state: 'acknowledged' },
  {
    profile: 'braiins-os',
    body: { op: 'power.target', watts: 1300 },
    transport: 'ssh',
    state: 'verified',
    truth: { powerLimitW: 1300 },
  },
  {
    profile: 'vnish',
    body: { op: 'power.target', watts: 3000 },
    transport: 'http',
    state: 'verified',
    truth: { powerLimitW: 3000 },
  },
  {
    profile: 'luxos',
    body: { op: 'led', on: true },
    transport: 'rpc',
    state: 'unverified',
    truth: { led: true },
  },
  {
    profile: 'avalon',
    body: { op: 'led', on: true },
    transport: 'rpc',
    state: 'unverified',
    truth: { led: true },
  },
  { profile: 'cgminer', body: { op: 'restart' }, transport: 'rpc', state: 'verified' },
];

describe('npm start: a command per firmware through the API', () => {
  it.each(rows)('$profile: $body.op over $transport is $state on the simulated miner', async (row) => {
    const m = healthy(row.profile);
    const c = await send(await controllerId(m), row.body, row.state);
    expect(c.result, c.result?.message).toMatchObject({ status: 'succeeded', transport: row.transport });
    expect(c.state, c.result?.message).toBe(row.state);
    if (row.truth) expect(demo.simulation.miner(m.id)).toMatchObject(row.truth);
  });
});
