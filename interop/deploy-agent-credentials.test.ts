import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { topics } from '@hashfleet/contracts';
import { checkMosquittoPassword } from '@hashfleet/controller/core/broker/mosquitto-passwd';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  addUser,
  type Broker,
  centreBrokerIn,
  connectMqtt,
  describeWithMosquitto,
  requireMosquitto,
} from './lib/mosquitto.js';
import { freePort } from './lib/net.js';

/**
 * `hashfleet-controller broker add-agent`, run as the operator runs it, writes credentials that a
 * real Mosquitto running the shipped config accepts: the agent logs in with its secret file and
 * publishes under its own topics; a wrong password, and the old one after a re-run, are refused.
 */
const cliPath = fileURLToPath(new URL('../controller/src/core/cli/main.ts', import.meta.url));
const aclPath = fileURLToPath(new URL('../deploy/mosquitto/acl', import.meta.url));
const run = promisify(execFile);

async function addAgent(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', cliPath, 'broker', 'add-agent', ...args],
      {
        env: { ...process.env, HASHFLEET_LOG_LEVEL: 'silent' },
      },
    );
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describeWithMosquitto('deploy: broker credentials for an agent (controller CLI "broker add-agent")', () => {
  let dir = '';
  let port = 0;
  let broker: Broker;
  let controllerPassword = '';
  const clients: MqttClient[] = [];
  const connect = async (username: string, password: string) => {
    const c = await connectMqtt(port, username, password);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    requireMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'hashfleet-agent-creds-'));
    port = await freePort();
    // The controller user comes from mosquitto_passwd (add-user.sh); the tool must keep it.
    controllerPassword = addUser(join(dir, 'passwd'), 'controller');
    const added = await addAgent(
      'ctr-kz-p-017',
      '--passwd',
      join(dir, 'passwd'),
      '--secret',
      join(dir, 'token'),
      '--acl',
      aclPath,
    );
    expect(added).toMatchObject({ code: 0 });
    expect(added.out).toContain('its %u patterns cover ctr-kz-p-017; no per-agent ACL entry is needed');
    broker = centreBrokerIn(dir, port);
    await broker.start();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the secret file (mode 600) and never prints the password', async () => {
    const secret = readFileSync(join(dir, 'token'), 'utf8').trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(join(dir, 'token')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'passwd')).mode & 0o777).toBe(0o600);
    const entry = readFileSync(join(dir, 'passwd'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('ctr-kz-p-017:'))!;
    expect(checkMosquittoPassword(entry.slice('ctr-kz-p-017:'.length), secret)).toBe(true);
  });

  it('Mosquitto accepts the agent with its secret and it publishes under its own topics', async () => {
    const controller = await connect('controller', controllerPassword);
    await controller.subscribeAsync(topics.allOf('telemetry'), { qos: 1 });
    const got = new Promise<string>((resolve) => controller.on('message', (_t, p) => resolve(p.toString())));
    const agent = await connect('ctr-kz-p-017', readFileSync(join(dir, 'token'), 'utf8').trim());
    await agent.publishAsync(topics.telemetry('ctr-kz-p-017'), 'hello', { qos: 1 });
    expect(await got).toBe('hello');
  });

  it('refuses a wrong password, and after a re-run (rotation) the old one, once the broker reloads', async () => {
    await expect(connect('ctr-kz-p-017', 'not-the-password')).rejects.toThrow(
      /not authorized|bad user name or password/i,
    );
    const old = readFileSync(join(dir, 'token'), 'utf8').trim();
    expect(
      (await addAgent('ctr-kz-p-017', '--passwd', join(dir, 'passwd'), '--secret', join(dir, 'token'))).code,
    ).toBe(0);
    const fresh = readFileSync(join(dir, 'token'), 'utf8').trim();
    expect(fresh).not.toBe(old);
    expect(readFileSync(join(dir, 'passwd'), 'utf8').match(/^ctr-kz-p-017:/gm)).toHaveLength(1);
    broker.process!.kill('SIGHUP');
    // SIGHUP is asynchronous: wait until the old password stops working.
    for (let i = 0; i < 100; i++) {
      const stillOld = await connect('ctr-kz-p-017', old).then(
        () => true,
        () => false,
      );
      if (!stillOld) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await expect(connect('ctr-kz-p-017', old)).rejects.toThrow(/not authorized|bad user name or password/i);
    await expect(connect('ctr-kz-p-017', fresh)).resolves.toBeTruthy();
    await expect(connect('controller', controllerPassword)).resolves.toBeTruthy();
  });

  it('refuses ids the ACL does not confine as an agent, naming why, and writes nothing', async () => {
    const before = readFileSync(join(dir, 'passwd'), 'utf8');
    const refused = (id: string) =>
      addAgent(id, '--passwd', join(dir, 'passwd'), '--secret', join(dir, 'x'), '--acl', aclPath);
    const asController = await refused('controller');
    expect(asController.code).toBe(1);
    expect(asController.out).toContain('the ACL has a "user controller" block; that name is not an agent');
    const withSlash = await refused('ctr/x');
    expect(withSlash.code).toBe(1);
    expect(withSlash.out).toContain('agent id "ctr/x": must be letters, digits');
    expect(readFileSync(join(dir, 'passwd'), 'utf8')).toBe(before);
    expect((await addAgent('ctr-a')).code).toBe(2);
  });
});
