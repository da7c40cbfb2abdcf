import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topics } from '@hashfleet/contracts';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  addUser,
  Broker,
  deployDir,
  describeWithMosquitto,
  requireMosquitto,
  rewrite,
} from './lib/mosquitto.js';
import { freePort } from './lib/net.js';

/**
 * A site broker running deploy/mosquitto/site-bridge.conf, bridged to a centre running
 * mosquitto.conf with centre-bridges.acl appended (docs/architecture.md §7). Proves that the site keeps
 * accepting its agents' QoS 1 messages while the WAN (the centre) is down, and that the centre's
 * controller receives every one of them once the link is back; and that commands flow in.
 */

const BRIDGE_USER = 'bridge-kz-pavlodar';

async function until(
  what: string,
  condition: () => boolean,
  log: () => string,
  timeoutMs = 60_000,
): Promise<void> {
  for (let waited = 0; !condition(); waited += 50) {
    if (waited > timeoutMs) throw new Error(`${what}: not after ${timeoutMs / 1000} s; ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeWithMosquitto('deploy/mosquitto: a site broker bridged to the centre through a WAN outage', () => {
  let dir = '';
  let centre: Broker;
  let site: Broker;
  const clients: MqttClient[] = [];
  const passwords: Record<string, string> = {};
  const logs = () => `centre: ${centre?.log.slice(-4000)}\nsite: ${site?.log.slice(-4000)}`;

  beforeAll(async () => {
    requireMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'hashfleet-bridge-'));
    for (const d of ['centre', 'site', 'centre/conf.d']) mkdirSync(join(dir, d));
    const [centrePort, sitePort] = [await freePort(), await freePort()];

    passwords.controller = addUser(join(dir, 'centre/passwd'), 'controller');
    passwords[BRIDGE_USER] = addUser(join(dir, 'centre/passwd'), BRIDGE_USER);
    passwords['ctr-k1'] = addUser(join(dir, 'site/passwd'), 'ctr-k1');
    const acl = readFileSync(new URL('acl', deployDir), 'utf8');
    writeFileSync(
      join(dir, 'centre/acl'),
      `${acl}\n${readFileSync(new URL('centre-bridges.acl', deployDir), 'utf8')}`,
    );
    writeFileSync(join(dir, 'site/acl'), acl);

    const common = (d: string) => ({
      password_file: join(dir, d, 'passwd'),
      acl_file: join(dir, d, 'acl'),
      persistence_location: `${join(dir, d)}/`,
      log_dest: 'stderr',
    });
    writeFileSync(
      join(dir, 'centre/mosquitto.conf'),
      rewrite('mosquitto.conf', {
        ...common('centre'),
        listener: `${centrePort} 127.0.0.1`,
        include_dir: join(dir, 'centre/conf.d'),
      }),
    );
    writeFileSync(
      join(dir, 'site/mosquitto.conf'),
      rewrite(
        'site-bridge.conf',
        {
          ...common('site'),
          listener: `${sitePort} 127.0.0.1`,
          address: `127.0.0.1:${centrePort}`,
          remote_password: passwords[BRIDGE_USER]!,
        },
        // The test link is plain TCP on loopback; TLS to the centre is configuration, not behaviour.
        ['bridge_cafile', 'bridge_tls_version'],
      ),
    );
    centre = new Broker('centre', join(dir, 'centre/mosquitto.conf'), centrePort);
    site = new Broker('site', join(dir, 'site/mosquitto.conf'), sitePort);
    await centre.start();
    await site.start();
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await site?.stop();
    await centre?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function client(broker: Broker, username: string, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
    return mqtt
      .connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
        username,
        password: passwords[username],
        protocolVersion: 5,
        reconnectPeriod: 200,
        connectTimeout: 5000,
        ...options,
      })
      .then((c) => {
        clients.push(c);
        return c;
      });
  }

  it('relays telemetry out and commands in, and loses nothing while the centre is down', async () => {
    // The controller keeps a persistent session on the centre, as a replica does.
    const controller = await client(centre, 'controller', {
      clientId: 'controller-1',
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      // As the controller's link does (controller/src/core/mqtt/link.ts): MQTT.js would otherwise skip a
      // SUBSCRIBE it believes still live, and Mosquitto 2.0.11's $share subscription restored after
      // its own restart delivers nothing until one arrives.
      resubscribe: false,
    });
    const received = new Set<string>();
    controller.on('message', (_topic, payload) => received.add(payload.toString()));
    const filter = topics.shared('hashfleet-controller', 'telemetry');
    const subscribe = () => controller.subscribeAsync(filter, { qos: 1 });
    controller.on('connect', () => {
      subscribe().catch(() => undefined);
    });
    await subscribe();

    const agent = await client(site, 'ctr-k1', { clientId: 'ctr-k1' });
    const commands: string[] = [];
    agent.on('message', (_topic, payload) => commands.push(payload.toString()));
    await agent.subscribeAsync(topics.commands('ctr-k1'), { qos: 1 });

    const publish = async (from: number, to: number) => {
      for (let seq = from; seq < to; seq++)
        await agent.publishAsync(topics.telemetry('ctr-k1'), `seq ${seq}`, { qos: 1 });
    };
    const all = (to: number) => Array.from({ length: to }, (_, seq) => `seq ${seq}`);

    // Link up: messages published at the site reach the controller at the centre.
    await publish(0, 50);
    await until('first 50 at the centre', () => all(50).every((m) => received.has(m)), logs);

    // WAN outage: the centre goes away; the site broker still acknowledges its agents' QoS 1.
    await centre.stop();
    await publish(50, 250);
    expect(agent.connected).toBe(true);

    // Link back: the bridge and the controller reconnect; the site's queue drains to the centre.
    await centre.start();
    await until(
      'all 250 at the centre after the outage',
      () => all(250).every((m) => received.has(m)),
      () => `received ${received.size}; ${logs()}`,
    );
    expect(received.size).toBe(250);

    // Commands go the other way, through the same bridge.
    await until('bridge subscribed for commands again', () => controller.connected, logs);
    await controller.publishAsync(topics.commands('ctr-k1'), 'reboot m-0001', { qos: 1 });
    await until('command at the site agent', () => commands.includes('reboot m-0001'), logs);
  });
});
