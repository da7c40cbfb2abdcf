import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CommandAction } from '@hashfleet/contracts';
import { getProfile } from '@hashfleet/firmware-profiles';
import { type Simulation, simulatedImage, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerTokens } from '../src/auth/vnish.js';
import { type ExecuteDeps, execute } from '../src/commands/execute.js';
import type { AgentConfig } from '../src/config.js';
import { healthy } from '../src/poll/health.js';
import type { Target } from '../src/poll/poller.js';
import { loadKnownHosts } from '../src/transport/ssh.js';
import { simAgentConfig } from './helpers.js';

/**
 * Issue 20 item 4, per transport over the simulator: the agent fetches the image (from an HTTP
 * server standing in for the controller, bearer token required), checks its SHA-256 and size, and
 * sends it with the profile's transport: a stock Antminer CGI upload (digest), a VNish web upload
 * (bearer), Braiins OS over SSH (sysupgrade). Each ends verified by the version read back and the
 * miner hashing. A corrupt image is refused before anything reaches the miner; a firmware with no
 * upgrade path is refused up front with the reason; a miner that rejects the image fails in its words;
 * the simulator's seeded bad unit takes the image and never comes back, and the command fails at
 * the end of the profile's window.
 */
const SSH_PORT = 22_124;
const HTTP_PORT = 18_184;
const TOKEN = 'agent-token-1';
const PROFILES = [
  'antminer-stock',
  'vnish',
  'braiins-os',
  'whatsminer-v2',
  'braiins-os',
  'braiins-os',
] as const;
const NEW_VERSION: Record<string, string> = {
  'antminer-stock': 'Thu Oct 9 12:00:00 CST 2025',
  vnish: '2.0.4',
  'braiins-os': '0.2.1-a1b2c3d4e5',
};

let sim: Simulation;
let config: AgentConfig;
let images: Server;
let imageBase: string;
/** Image bytes served by name; a request without the token is 401. */
const served = new Map<string, Buffer>();
let fetches = 0;
const targets = new Map<string, Target>();

beforeAll(async () => {
  const scenario = smallScenario({
    miners: PROFILES.length,
    profiles: [...PROFILES] as never,
    pdus: false,
    seed: 20,
  });
  scenario.timing = { bootS: 90, restartS: 5, outletCycleS: 5, upgradeBootS: 150 };
  scenario.containers[0]!.ipBlock = '127.97.0.0/22';
  for (const [i, m] of scenario.miners.entries()) m.ip = `127.97.0.${10 + i}`;
  // The seeded bad unit: it takes an image and never answers again.
  scenario.miners[5]!.failsUpgrade = true;
  sim = await startSimulation(scenario, {
    startMs: Date.UTC(2026, 5, 1),
    sshPort: SSH_PORT,
    httpPort: HTTP_PORT,
  });
  images = createServer((req, res) => {
    fetches++;
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return res.writeHead(401).end();
    const bytes = served.get((req.url ?? '').slice(1));
    if (!bytes) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
  });
  await new Promise<void>((r) => images.listen(0, '127.0.0.1', r));
  imageBase = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  const dir = simAgentConfig(sim, 'mqtt://127.0.0.1:1').spool.dir;
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, sim.miners.map((m) => `${m.ip} ${sim.sshHostKey}\n`).join(''));
  process.env.UPGRADE_WEB_ROOT = 'root';
  process.env.UPGRADE_WEB_VNISH = 'admin';
  process.env.UPGRADE_SSH = 'root';
  config = simAgentConfig(sim, 'mqtt://127.0.0.1:1', {
    miners: {
      ranges: ['127.97.0.0/24'],
      ports: { rpc: sim.miners[0]!.ports.rpc, wmV3: 4433, ssh: SSH_PORT, http: HTTP_PORT },
    },
    credentials: {
      byProfile: {
        'antminer-stock': { web: { password: { env: 'UPGRADE_WEB_ROOT' } } },
        vnish: { web: { password: { env: 'UPGRADE_WEB_VNISH' } } },
        'braiins-os': { ssh: { password: { env: 'UPGRADE_SSH' } } },
        'whatsminer-v2': { rpc: { password: { env: 'UPGRADE_WEB_VNISH' } } },
      },
      knownHostsFile: knownHosts,
    },
  } as never);
  for (const [i, m] of sim.miners.entries()) {
    const profile = getProfile(scenario.miners[i]!.profile)!;
    targets.set(m.id, {
      ip: m.ip,
      profile,
      port: 4028,
      model: sim.miner(m.id).model,
      firmwareVersion: null,
      minerKey: m.id,
      health: healthy(),
      busy: false,
    });
  }
}, 60_000);
afterAll(async () => {
  await sim?.stop();
  await new Promise((r) => images?.close(r));
});

const deps = (): ExecuteDeps => ({
  ctx: {
    ports: config.miners.ports,
    credentials: config.credentials,
    knownHosts: loadKnownHosts(config.credentials.knownHostsFile),
    bearer: bearerTokens(config),
  },
  targetByKey: (k) => targets.get(k),
  pdus: [],
  requestTimeoutMs: 3000,
  // The window passes on the simulation's clock: the upgrade boot takes its scenario time.
  sleep: (ms) => sim.tick(ms),
  verify: { now: () => sim.clock.now(), intervalMs: 10_000 },
  controllerToken: () => TOKEN,
});

/** Serves `bytes` and names them in a command: its hash and size unless told otherwise. */
function upgrade(minerKey: string, family: string, bytes: Buffer, named = bytes): CommandAction {
  const name = `${minerKey}-${served.size}.img`;
  served.set(name, bytes);
  return {
    op: 'firmware.upgrade',
    target: { kind: 'miner', minerKey },
    family,
    image: {
      url: `${imageBase}/${name}`,
      sha256: createHash('sha256').update(named).digest('hex'),
      sizeBytes: named.length,
      version: readVersion(named),
    },
  };
}
const readVersion = (b: Buffer) => /version=(.+)\n/.exec(b.subarray(0, 200).toString('latin1'))![1]!;

describe('firmware.upgrade over each transport', () => {
  it.each([
    ['m0001', 'antminer-stock', 'http'],
    ['m0002', 'vnish', 'http'],
    ['m0003', 'braiins-os', 'ssh'],
  ])(
    '%s %s over %s: verified by the version read back and hashing',
    async (id, family, transport) => {
      const image = simulatedImage(family, NEW_VERSION[family]!, 200_000);
      const before = sim.miner(id).firmwareVersion;
      const r = await execute(upgrade(id, family, image), deps());
      expect(r.message).toContain(NEW_VERSION[family]);
      expect([r.status, r.transport, r.effect?.state]).toEqual(['succeeded', transport, 'verified']);
      expect(r.effect?.observed).toMatch(/hashing .* at least 90 % wanted/);
      expect(sim.miner(id).firmwareVersion).not.toBe(before);
      expect(sim.miner(id).firmwareVersion).toBe(NEW_VERSION[family]);
    },
    60_000,
  );

  it('a corrupt image (one byte changed) is refused before anything reaches the miner', async () => {
    const good = simulatedImage('antminer-stock', 'corrupt-1', 50_000);
    const bad = Buffer.from(good);
    bad[40_000] = bad[40_000]! ^ 0xff;
    const miner = sim.miner('m0001');
    const [version, uptimeS] = [miner.firmwareVersion, miner.uptimeS];
    const r = await execute(upgrade('m0001', 'antminer-stock', bad, good), deps());
    expect([r.status, r.refusal, r.transport]).toEqual(['refused', 'bad_image', null]);
    expect(r.message).toMatch(/SHA-256 [0-9a-f]{64} is not the command's [0-9a-f]{64}; nothing was sent/);
    const after = sim.miner('m0001');
    expect([after.firmwareVersion, after.uptimeS, after.apiUp]).toEqual([version, uptimeS, true]);
  });

  it('an image longer than the command says is cut off and refused', async () => {
    const named = simulatedImage('vnish', 'long-1', 10_000);
    const r = await execute(
      upgrade('m0002', 'vnish', simulatedImage('vnish', 'long-1', 20_000), named),
      deps(),
    );
    expect([r.status, r.refusal]).toEqual(['refused', 'bad_image']);
    expect(r.message).toContain("more than the command's 10000 bytes");
  });

  it('a firmware without an upgrade path is refused up front, with the reason, nothing fetched', async () => {
    const before = fetches;
    const r = await execute(
      upgrade('m0004', 'whatsminer-v2', simulatedImage('whatsminer-v2', 'x', 1000)),
      deps(),
    );
    expect([r.status, r.refusal]).toEqual(['refused', 'unsupported']);
    expect(r.message).toMatch(/whatsminer-v2 has no upgrade path: .*WhatsMinerTool/);
    expect(fetches).toBe(before);
  });

  it('an image of another family is refused up front', async () => {
    const r = await execute(upgrade('m0005', 'vnish', simulatedImage('vnish', 'x', 1000)), deps());
    expect([r.status, r.refusal]).toEqual(['refused', 'unsupported']);
    expect(r.message).toContain('the image is for vnish, the miner runs braiins-os');
  });

  it('a miner that rejects the image (not its firmware inside) fails in its own words', async () => {
    const wrongInside = simulatedImage('antminer-stock', '9.9', 5000);
    const version = sim.miner('m0005').firmwareVersion;
    const r = await execute({ ...upgrade('m0005', 'braiins-os', wrongInside) }, deps());
    expect([r.status, r.transport, r.effect?.state]).toEqual(['failed', 'ssh', 'failed']);
    expect(r.message).toContain('exit status 1');
    expect(sim.miner('m0005').firmwareVersion).toBe(version);
  });

  it('the image server refusing the token fails the command, nothing sent', async () => {
    const r = await execute(upgrade('m0001', 'antminer-stock', simulatedImage('antminer-stock', 'x', 1000)), {
      ...deps(),
      controllerToken: () => 'wrong',
    });
    expect([r.status, r.refusal]).toEqual(['failed', null]);
    expect(r.message).toContain('HTTP 401; nothing was sent to the miner');
  });

  it('a seeded bad unit takes the image and never comes back: failed when the window ends', async () => {
    const r = await execute(
      upgrade('m0006', 'braiins-os', simulatedImage('braiins-os', '0.2.1-bad', 4000)),
      deps(),
    );
    expect([r.status, r.transport, r.effect?.state]).toEqual(['failed', 'ssh', 'failed']);
    expect(r.message).toMatch(/not seen within the 1200 s window: no answer/);
    expect(sim.miner('m0006').apiUp).toBe(false);
  }, 60_000);
});
