import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Production runs JavaScript built by tools/build.mjs (issue 15 item 5): the build writes the files
 * the systemd units, the Dockerfile and `npm start` name, and each runs under plain Node with no
 * TypeScript loader (and, on a Node that strips types, with stripping off, so no .ts file can
 * load): the agent checks a config, the controller starts on SQLite and serves the web UI it
 * bundles from controller/ui (found from the bundle through its rewritten import.meta), the demo
 * prints its help.
 */
const repo = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
// No NODE_OPTIONS: nothing may bring the loader in behind the test's back.
const { NODE_OPTIONS: _no, ...env } = process.env;
const plain = process.allowedNodeEnvironmentFlags.has('--experimental-strip-types')
  ? ['--no-experimental-strip-types']
  : [];
const node = (args: string[]) => run(process.execPath, [...plain, ...args], { cwd: repo, env });

const execStart = (unit: string, key = 'ExecStart') =>
  new RegExp(`^${key}=(.*)$`, 'm').exec(readFileSync(join(repo, unit), 'utf8'))?.[1]?.split(' ');

describe('tools/build.mjs and what it builds', () => {
  let work = '';
  let controller: ChildProcess | null = null;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'hashfleet-shipped-'));
    const built = await run(process.execPath, ['tools/build.mjs'], { cwd: repo, env });
    expect(built.stdout).toMatch(/agent\/dist\/cli\.mjs/);
  }, 180_000);

  afterAll(async () => {
    if (controller && controller.exitCode === null) {
      const exited = new Promise((r) => controller!.once('exit', r));
      controller.kill('SIGTERM');
      await exited;
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the units, the Dockerfile and npm start run what the build writes, without the loader', () => {
    for (const key of ['ExecStartPre', 'ExecStart'])
      expect(execStart('deploy/agent/hashfleet-agent.service', key)?.slice(0, 2)).toEqual([
        '/usr/bin/node',
        'agent/dist/cli.mjs',
      ]);
    expect(execStart('deploy/hashfleet-controller.service')?.slice(0, 2)).toEqual([
      '/usr/bin/node',
      'controller/dist/cli.mjs',
    ]);
    expect(readFileSync(join(repo, 'deploy/Dockerfile'), 'utf8')).toContain(
      'ENTRYPOINT ["node", "controller/dist/cli.mjs"]',
    );
    const scripts = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: object })
      .scripts;
    expect(scripts).toMatchObject({
      prestart: 'node tools/build.mjs demo',
      start: 'node demo/dist/main.mjs',
    });
    const install = readFileSync(join(repo, 'deploy/agent/install.sh'), 'utf8');
    expect(install).toContain('node tools/build.mjs agent');
    expect(install).toContain('node agent/dist/cli.mjs check-config');
  });

  it('the built agent checks a config', async () => {
    writeFileSync(join(work, 'token'), 'secret\n');
    const file = join(work, 'agent.yaml');
    writeFileSync(
      file,
      [
        'agentId: ctr-shipped',
        'siteId: sichuan',
        'containerId: ctr-shipped',
        `spool: { dir: ${join(work, 'spool')} }`,
        `mqtt: { url: "mqtt://127.0.0.1:1", token: { file: ${join(work, 'token')} } }`,
        '',
      ].join('\n'),
    );
    const { stdout } = await node(['agent/dist/cli.mjs', 'check-config', file]);
    expect(stdout).toMatch(/ok — agent ctr-shipped at sichuan\/ctr-shipped/);
  });

  it('the built controller starts on SQLite and serves its web UI', async () => {
    const file = join(work, 'controller.yaml');
    writeFileSync(
      file,
      `dataDir: ${join(work, 'data')}\nhttp: { host: 127.0.0.1, port: 0 }\nmqtt: { embeddedPort: 0 }\nlog: { level: info }\n`,
    );
    controller = spawn(process.execPath, [...plain, 'controller/dist/cli.mjs', '--config', file, 'run'], {
      cwd: repo,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    controller.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: controller!.stdout! }).on('line', (l) => {
        const m = /hashfleet controller: API (http:\/\/\S+),/.exec(l);
        if (m) resolve(m[1]!);
      });
      controller!.once('exit', (code) => reject(new Error(`controller exited ${code}: ${stderr}`)));
    });
    const page = await fetch(`${url}/`);
    const html = await page.text();
    expect(page.status, html).toBe(200);
    const script = /src="\/ui\/(app\.\w+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${url}/ui/${script}`);
    expect(js.status).toBe(200);
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
  });

  it('the built demo prints its help', async () => {
    const { stdout } = await node(['demo/dist/main.mjs', '--help']);
    expect(stdout).toContain('Usage: npm start -- [flags]');
  });
});
