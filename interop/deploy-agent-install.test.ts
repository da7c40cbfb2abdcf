import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { topics } from '@hashfleet/contracts';
import { addAgentCredentials } from '@hashfleet/controller/core/broker/add-agent';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, type Broker, centreBrokerIn, missingMosquitto } from './lib/mosquitto.js';
import { freePort } from './lib/net.js';

/**
 * deploy/agent/install.sh, run for real into a staging root (--root): it adds the service user to
 * the root's passwd, lays out directories and secrets with their modes, installs only the agent's
 * production dependencies with npm ci, checks the config with the agent it installed, installs and
 * enables the unit; a second run changes nothing; a bad config is refused and the good one kept.
 * Then the installed agent, resolving modules from the installed tree only, logs in to a real
 * Mosquitto with credentials from `broker add-agent` and publishes its birth.
 */
const repo = fileURLToPath(new URL('..', import.meta.url));
const script = join(repo, 'deploy/agent/install.sh');
const run = promisify(execFile);
const needed = ['/usr/sbin/useradd', '/usr/bin/systemctl'].filter((b) => !existsSync(b));
// Needs root (useradd --root, chown) and the npm cache that `npm ci` of this repository filled.
const canRun = needed.length === 0 && process.getuid?.() === 0;
const describeIfRoot = canRun || process.env.CI ? describe : describe.skip;

type Lock = {
  packages: Record<string, { dependencies?: Record<string, string>; link?: boolean; resolved?: string }>;
};

/** Package names reachable in the lockfile from a workspace's dependencies (and optionally dev ones). */
function closure(lock: Lock, workspace: string, dev: boolean): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (location: string) => {
    if (seen.has(location)) return;
    seen.add(location);
    const pkg = lock.packages[location];
    if (!pkg) return;
    if (pkg.link && pkg.resolved) return visit(pkg.resolved);
    const deps = {
      ...pkg.dependencies,
      ...(dev && location === workspace ? (pkg as { devDependencies?: object }).devDependencies : {}),
    };
    for (const name of Object.keys(deps)) {
      // Node's lookup: the nearest node_modules up from the requiring package.
      let dir = location;
      let found: string | null = null;
      for (;;) {
        const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
        if (lock.packages[candidate]) {
          found = candidate;
          break;
        }
        if (!dir) break;
        const cut = dir.lastIndexOf('/node_modules/');
        dir = cut >= 0 ? dir.slice(0, cut) : '';
      }
      if (found) {
        names.add(name);
        visit(found);
      }
    }
  };
  visit(workspace);
  return names;
}

/** Every path under dir with its mode, owner, size and mtime: what a second run must not change. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const s = lstatSync(p);
      out.push(`${relative(dir, p)} ${s.mode.toString(8)} ${s.uid}:${s.gid} ${s.size} ${s.mtimeMs}`);
      if (s.isDirectory() && name !== 'node_modules') walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

async function install(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(script, args, {
      env: { ...process.env, HASHFLEET_NPM_FLAGS: '--prefer-offline', ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describeIfRoot('deploy/agent/install.sh into a staging root', () => {
  let work = '';
  let root = '';
  let port = 0;
  let broker: Broker | null = null;
  let agent: ChildProcess | null = null;
  let controllerPassword = '';
  let first: { code: number; out: string };
  let args: string[] = [];

  beforeAll(async () => {
    if (!canRun) throw new Error(`needs root and ${needed.join(', ') || 'useradd, systemctl'}`);
    work = mkdtempSync(join(tmpdir(), 'hashfleet-install-'));
    root = join(work, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
    writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o600 });
    writeFileSync(join(root, 'etc/gshadow'), 'root:*::\n', { mode: 0o600 });
    // What the operator brings: a config and the broker password written by `broker add-agent`.
    port = await freePort();
    const given = join(work, 'given');
    mkdirSync(given);
    controllerPassword = existsSync('/usr/sbin/mosquitto') ? addUser(join(work, 'passwd'), 'controller') : '';
    const added = addAgentCredentials({
      agentId: 'ctr-install',
      passwordFile: join(work, 'passwd'),
      secretFile: join(given, 'mqtt-token'),
    });
    expect(added.problems).toEqual([]);
    writeFileSync(
      join(given, 'agent.yaml'),
      [
        'agentId: ctr-install',
        'siteId: sichuan',
        'containerId: ctr-install',
        `spool: { dir: ${join(work, 'spool')}, fsync: never }`,
        `mqtt: { url: "mqtt://127.0.0.1:${port}", token: { file: secrets/mqtt-token } }`,
        'log: { level: warn }',
        '',
      ].join('\n'),
    );
    args = [
      '--root',
      root,
      '--config',
      join(given, 'agent.yaml'),
      '--secret',
      `mqtt-token=${join(given, 'mqtt-token')}`,
    ];
  });

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await broker?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('--dry-run prints every step it would take and changes nothing', async () => {
    const before = snapshot(root);
    const dry = await install([...args, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain(`+ useradd --root ${root} --system --user-group`);
    expect(dry.out).toContain('npm ci --omit=dev --workspace agent');
    expect(dry.out).toContain('+ node tools/build.mjs agent');
    expect(dry.out).toContain(`+ systemctl --root=${root} enable hashfleet-agent.service`);
    expect(snapshot(root)).toEqual(before);
  });

  it('installs user, directories, secrets, code, dependencies, config and unit, and enables it', async () => {
    first = await install(args);
    expect(first.code, first.out).toBe(0);
    const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
    const [, , uid, gid, , home, shell] = /^hashfleet:.*$/m.exec(passwd)![0].split(':');
    expect([home, shell]).toEqual(['/var/lib/hashfleet-agent', '/usr/sbin/nologin']);
    const mode = (p: string) => {
      const s = statSync(join(root, p));
      return `${(s.mode & 0o777).toString(8)} ${s.uid}:${s.gid}`;
    };
    expect(mode('etc/hashfleet')).toBe(`750 0:${gid}`);
    expect(mode('etc/hashfleet/secrets')).toBe(`750 0:${gid}`);
    expect(mode('etc/hashfleet/secrets/mqtt-token')).toBe(`640 0:${gid}`);
    expect(mode('etc/hashfleet/agent.yaml')).toBe(`640 0:${gid}`);
    expect(mode('var/lib/hashfleet-agent')).toBe(`750 ${uid}:${gid}`);
    expect(mode('opt/hashfleet')).toBe('755 0:0');
    expect(mode('etc/systemd/system/hashfleet-agent.service')).toBe('644 0:0');
    expect(
      readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/hashfleet-agent.service')),
    ).toBe('/etc/systemd/system/hashfleet-agent.service');
    expect(first.out).toMatch(/: ok — agent ctr-install at sichuan\/ctr-install/);
    // The controller's code is not there, only the manifest npm ci needs.
    expect(readdirSync(join(root, 'opt/hashfleet/controller'))).toEqual(['package.json']);
  });

  it("installs none of the controller's own dependencies (the agent's closure in package-lock.json)", () => {
    const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')) as Lock;
    const agentSide = new Set([
      ...closure(lock, 'agent', true),
      ...closure(lock, '', true),
      ...closure(lock, 'contracts', false),
      ...closure(lock, 'firmware-profiles', false),
    ]);
    const controllerOnly = [...closure(lock, 'controller', false)].filter((n) => !agentSide.has(n));
    expect(controllerOnly).toEqual(expect.arrayContaining(['fastify', 'better-sqlite3', 'pg']));
    const present = controllerOnly.filter((n) => existsSync(join(root, 'opt/hashfleet/node_modules', n)));
    expect(present).toEqual([]);
    for (const name of closure(lock, 'agent', false))
      expect(existsSync(join(root, 'opt/hashfleet/node_modules', name)), name).toBe(true);
  });

  it('a second run changes nothing and says so', async () => {
    const before = snapshot(root);
    const again = await install(args);
    expect(again.code, again.out).toBe(0);
    expect(again.out).not.toMatch(/^(user|directory|code|install|npm ci|built):/m);
    expect(again.out).toContain('unchanged: agent/dist/cli.mjs');
    expect(again.out).toContain('unchanged: /opt/hashfleet/node_modules');
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses a bad config, listing its errors, and keeps the installed one', async () => {
    const installed = readFileSync(join(root, 'etc/hashfleet/agent.yaml'), 'utf8');
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, `${installed}polling: { intervalMs: 5, concurrency: 0 }\n`);
    const refused = await install(['--root', root, '--config', bad]);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/polling\.intervalMs/);
    expect(refused.out).toMatch(/polling\.concurrency/);
    expect(refused.out).toContain('refused by check-config; /etc/hashfleet/agent.yaml is unchanged');
    expect(readFileSync(join(root, 'etc/hashfleet/agent.yaml'), 'utf8')).toBe(installed);
    expect(existsSync(join(root, 'etc/hashfleet/.agent.yaml.new'))).toBe(false);
  });

  it('the installed unit passes systemd-analyze verify', () => {
    if (!existsSync('/usr/bin/systemd-analyze')) {
      if (process.env.CI) throw new Error('/usr/bin/systemd-analyze is missing (Debian package systemd)');
      return;
    }
    const copy = join(work, 'hashfleet-agent.service');
    writeFileSync(
      copy,
      readFileSync(join(root, 'etc/systemd/system/hashfleet-agent.service'), 'utf8').replaceAll(
        '/usr/bin/node ',
        `${process.execPath} `,
      ),
    );
    execFileSync('/usr/bin/systemd-analyze', ['verify', copy], { stdio: 'pipe' });
  });

  it('the installed agent runs from its own tree and publishes its birth through a real Mosquitto', async () => {
    if (missingMosquitto.length > 0) {
      if (process.env.CI) throw new Error(`missing ${missingMosquitto.join(', ')}`);
      return;
    }
    broker = centreBrokerIn(join(work, 'broker'), port);
    writeFileSync(join(work, 'broker/passwd'), readFileSync(join(work, 'passwd')));
    await broker.start();
    const controller = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      username: 'controller',
      password: controllerPassword,
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    try {
      await controller.subscribeAsync(topics.birth('ctr-install'), { qos: 1 });
      const birth = new Promise<string>((resolve) =>
        controller.on('message', (_t, p) => resolve(p.toString())),
      );
      const app = join(root, 'opt/hashfleet');
      // As the unit runs it (its ExecStart: the agent install.sh built, no loader): from the install
      // directory, with no NODE_PATH to reach this checkout and no NODE_OPTIONS to bring tsx in.
      const { NODE_PATH: _np, NODE_OPTIONS: _no, ...env } = process.env;
      const unit = readFileSync(join(root, 'etc/systemd/system/hashfleet-agent.service'), 'utf8');
      const [node, ...unitArgs] = /^ExecStart=(.*)$/m.exec(unit)![1]!.split(' ');
      expect([node, ...unitArgs]).toEqual([
        '/usr/bin/node',
        'agent/dist/cli.mjs',
        'run',
        '/etc/hashfleet/agent.yaml',
      ]);
      agent = spawn(process.execPath, [...unitArgs.slice(0, -1), join(root, 'etc/hashfleet/agent.yaml')], {
        cwd: app,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      agent.stdout?.on('data', (c: Buffer) => {
        log += c.toString();
      });
      agent.stderr?.on('data', (c: Buffer) => {
        log += c.toString();
      });
      const exited = new Promise<string>((resolve) =>
        agent!.once('exit', (code) => resolve(`exited ${code}: ${log}`)),
      );
      const first = await Promise.race([
        birth.then((b) => ({ birth: b })),
        exited.then((e) => ({ exited: e })),
      ]);
      expect(first).toMatchObject({ birth: expect.stringContaining('"agentId":"ctr-install"') });
    } finally {
      await controller.endAsync(true);
    }
  });
});

describe('deploy shell scripts', () => {
  const shellcheck = '/usr/bin/shellcheck';
  const itWithShellcheck = existsSync(shellcheck) || process.env.CI ? it : it.skip;
  itWithShellcheck('install.sh and add-user.sh pass shellcheck', () => {
    const scripts = ['deploy/agent/install.sh', 'deploy/mosquitto/add-user.sh'].map((p) => join(repo, p));
    expect(() => execFileSync(shellcheck, scripts, { stdio: 'pipe' })).not.toThrow();
  });
});
