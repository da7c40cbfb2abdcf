import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

/** The hashfleet-agent CLI as an operator runs it: check-config and scan, in a child process. */
const cli = join(import.meta.dirname, '../src/cli.ts');
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8' }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => ({
      code: err.code,
      stdout: err.stdout,
      stderr: err.stderr,
    }),
  );

let sim: Simulation;
let file = '';

beforeAll(async () => {
  // Off the standard ports, as a lab may run them: scan must name the ports really used.
  sim = await startSimulation({
    ...smallScenario({
      miners: 6,
      profiles: ['antminer-stock', 'whatsminer-v2', 'whatsminer-v3'],
      pdus: false,
    }),
    ports: { rpc: 14_028, wmV3: 14_433 },
  });
  const dir = mkdtempSync(join(tmpdir(), 'agent-cli-'));
  file = join(dir, 'agent.yaml');
  writeFileSync(
    file,
    stringify({
      agentId: 'cli',
      siteId: 'lab',
      containerId: 'c1',
      miners: {
        ranges: [...sim.miners.map((m) => m.ip), '127.1.2.3'],
        ports: { rpc: sim.miners[0]!.ports.rpc, wmV3: sim.miners[2]!.ports.wmV3 },
      },
      spool: { dir: join(dir, 'spool') },
      mqtt: { url: 'mqtt://127.0.0.1:1' },
    }),
  );
});

afterAll(async () => {
  await sim?.stop();
});

describe('hashfleet-agent CLI', () => {
  it('check-config accepts a good file and exits 1 listing every error of a bad one', async () => {
    const ok = await run(['check-config', file]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok — agent cli at lab/c1, 7 addresses, 0 PDUs');
    const bad = join(mkdtempSync(join(tmpdir(), 'agent-cli-')), 'bad.yaml');
    writeFileSync(bad, 'agentId: x\npolling: { concurrency: -1 }\n');
    const r = await run(['check-config', bad]);
    expect(r.code).toBe(1);
    for (const key of ['siteId', 'containerId', 'polling.concurrency', 'spool', 'mqtt'])
      expect(r.stderr).toContain(key);
  });

  it('check-config reads the files run reads, relative to the config file, and fails naming the key where run would', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-cli-paths-'));
    const key = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' });
    writeFileSync(join(dir, 'controller.pem'), key);
    writeFileSync(join(dir, 'known_hosts'), '');
    const config = (extra: Record<string, unknown>) => {
      const path = join(dir, `agent-${Object.keys(extra).join('-')}.yaml`);
      writeFileSync(
        path,
        stringify({
          agentId: 'cli',
          siteId: 'lab',
          containerId: 'c1',
          miners: { ranges: ['127.1.2.3'] },
          spool: { dir: 'spool' },
          mqtt: { url: 'mqtts://127.0.0.1:1', tls: { caFile: 'ca.pem' } },
          ...extra,
        }),
      );
      return path;
    };
    writeFileSync(join(dir, 'ca.pem'), 'not checked beyond being readable');
    // Relative to the config's folder (the CLI runs from the repository root): found.
    const ok = await run([
      'check-config',
      config({
        commands: { publicKey: { file: 'controller.pem' } },
        credentials: { knownHostsFile: 'known_hosts' },
      }),
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    // Files run would fail to read: each named by its key, exit 1.
    const bad = await run([
      'check-config',
      config({
        commands: { publicKey: { file: 'nowhere.pem' } },
        credentials: { knownHostsFile: 'no_known_hosts' },
        mqtt: { url: 'mqtts://127.0.0.1:1', tls: { caFile: 'no-ca.pem' } },
      }),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`commands.publicKey: ${join(dir, 'nowhere.pem')}`);
    expect(bad.stderr).toContain(
      `credentials.knownHostsFile: cannot read ${join(dir, 'no_known_hosts')}: ENOENT`,
    );
    expect(bad.stderr).toContain(`mqtt.tls.caFile: cannot read ${join(dir, 'no-ca.pem')}: ENOENT`);
  });

  it('scan prints progress on stderr and a table of what answered on stdout', async () => {
    const r = await run(['scan', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/scanned 7\/7, found 6/);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ip\s+port\s+profile\s+model\s+firmware$/);
    expect(lines).toHaveLength(2 + 6);
    // Each row names the port the miner answered on, as configured (the simulator moves them).
    for (const m of sim.miners) {
      const port = m.profile === 'whatsminer-v3' ? m.ports.wmV3 : m.ports.rpc;
      expect(r.stdout).toMatch(new RegExp(`${m.ip.replaceAll('.', '\\.')}\\s+${port}\\s+${m.profile}`));
    }
  });

  it('record saves the raw replies of one miner for a testcase folder', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'agent-rec-')), 'case');
    const m = sim.miners[1]!;
    const r = await run(['record', file, m.ip, out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`miner ${m.ip}: whatsminer-v2: wrote`);
    const summary = readFileSync(join(out, 'summary.txt'), 'utf8');
    expect(summary).toContain('"SUMMARY"');
    expect(JSON.parse(readFileSync(join(out, 'detected.json'), 'utf8'))).toMatchObject({
      ip: m.ip,
      profile: 'whatsminer-v2',
    });
  });
});
