import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_TOPIC_KINDS, TOPIC_ROOT, topics } from '@hashfleet/contracts';
import { commandKeyDir } from '@hashfleet/controller/commands/keys';
import { loadControllerConfig } from '@hashfleet/controller/core/config';
import { INFLUX_DATABASE } from '@hashfleet/dashboards';
import { influxDatasource } from '@hashfleet/dashboards/datasource';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

/**
 * The deploy files agree with the code and with each other: the example config loads with the
 * controller's own loader, compose's environment reaches the config, Grafana's datasource is the
 * one the dashboards point at, the ACL and the bridge cover exactly the contracts' topics. Docker
 * is not available here, so compose.yaml is checked as data, not run.
 */

const repo = fileURLToPath(new URL('../..', import.meta.url));
const deploy = join(repo, 'deploy');
const read = (path: string) => readFileSync(join(deploy, path), 'utf8');

interface ComposeService {
  environment?: Record<string, string>;
  volumes?: string[];
  command?: string[];
  ports?: string[];
  depends_on?: Record<string, unknown> | string[];
}
const compose = YAML.parse(read('compose.yaml'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};

/** systemd unit as key -> values (a key may repeat). */
function unit(path: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of read(path).split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe('deploy/controller.example.yaml', () => {
  it("loads with the controller's config loader", () => {
    const config = loadControllerConfig(join(deploy, 'controller.example.yaml'), {});
    expect(config.storage.url).toMatch(/^postgres:\/\//);
    expect(config.mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(config.influx?.bucket).toBe(INFLUX_DATABASE);
  });

  it('holds no secrets: passwords and tokens come from the environment', () => {
    const raw = YAML.parse(read('controller.example.yaml')) as {
      mqtt: object;
      influx: object;
      storage: { url: string };
    };
    expect(raw.mqtt).not.toHaveProperty('password');
    expect(raw.influx).not.toHaveProperty('token');
    expect(raw.storage.url).not.toMatch(/:[^@/]+@/);
  });
});

describe('deploy/compose.yaml', () => {
  it('runs two controller replicas, PostgreSQL, Mosquitto, InfluxDB and Grafana', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining([
        'controller-1',
        'controller-2',
        'postgres',
        'mosquitto',
        'influxdb',
        'grafana',
      ]),
    );
  });

  it("gives each replica its own MQTT client id and data volume, and its environment reaches the controller's config", () => {
    const ids = new Set<string>();
    const volumes = new Set<string>();
    for (const name of ['controller-1', 'controller-2']) {
      const env = compose.services[name]!.environment!;
      ids.add(env.HASHFLEET_MQTT_CLIENT_ID!);
      for (const v of compose.services[name]!.volumes ?? [])
        if (v.endsWith(':/var/lib/hashfleet-controller')) volumes.add(v);
      // Compose's ${VAR:?} substitution, done by hand with placeholder values.
      const resolved = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{([A-Z_]+)[^}]*\}/g, (_, n) => `<${n}>`)]),
      );
      const config = loadControllerConfig(join(deploy, 'controller.example.yaml'), resolved);
      expect(config.http.host).toBe('0.0.0.0');
      expect(config.storage.url).toBe('postgres://hashfleet:<POSTGRES_PASSWORD>@postgres:5432/hashfleet');
      expect(config.mqtt.url).toBe('mqtt://mosquitto:1883');
      expect(config.mqtt.password).toBe('<CONTROLLER_MQTT_PASSWORD>');
      expect(config.mqtt.clientId).toBe(env.HASHFLEET_MQTT_CLIENT_ID);
      expect(config.influx?.url).toBe('http://influxdb:8086');
    }
    expect(ids.size).toBe(2);
    expect(volumes.size).toBe(2);
  });

  it('names only variables that compose.env.example lists, and bind-mounts only files that exist', () => {
    const listed = new Set(
      read('compose.env.example')
        .split('\n')
        .map((l) => /^([A-Z_]+)=/.exec(l)?.[1])
        .filter(Boolean),
    );
    const used = new Set([...read('compose.yaml').matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1]!));
    expect([...used].filter((v) => !listed.has(v))).toEqual([]);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.')) {
          expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty(source);
          continue;
        }
        expect(existsSync(join(deploy, source)), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it('mounts the Grafana provisioning whose datasource is the one every dashboard queries', () => {
    const grafana = compose.services.grafana!;
    const datasources = YAML.parse(read('grafana/provisioning/datasources/influxdb.yaml')) as {
      datasources: { uid: string; type: string; jsonData: { dbName: string } }[];
    };
    expect(datasources.datasources).toHaveLength(1);
    expect(datasources.datasources[0]).toMatchObject({
      uid: influxDatasource.uid,
      type: influxDatasource.type,
      jsonData: { dbName: INFLUX_DATABASE },
    });
    const provider = YAML.parse(read('grafana/provisioning/dashboards/hashfleet.yaml')) as {
      providers: { options: { path: string } }[];
    };
    expect(grafana.volumes).toContain(`./grafana/dashboards:${provider.providers[0]!.options.path}:ro`);
    expect(grafana.volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    // Grafana expands ${VAR} in provisioning files from its environment.
    const needed = [
      ...read('grafana/provisioning/datasources/influxdb.yaml').matchAll(/\$\{([A-Z_]+)\}/g),
    ].map((m) => m[1]!);
    for (const v of needed) expect(grafana.environment, `grafana env ${v}`).toHaveProperty(v);
  });
});

describe('deploy/compose.yaml: consistency', () => {
  const replicas = ['controller-1', 'controller-2'];
  /** Compose's ${VAR:?} substitution, done by hand with placeholder values. */
  const resolved = (env: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{([A-Z_]+)[^}]*\}/g, (_, n) => `<${n}>`)]),
    );

  it("every HASHFLEET_* variable of a replica is one the controller's loader reads (its value reaches the config)", () => {
    for (const name of replicas) {
      const env = resolved(compose.services[name]!.environment!);
      const load = (vars: Record<string, string>) =>
        JSON.stringify(loadControllerConfig(join(deploy, 'controller.example.yaml'), vars));
      // A variable the loader reads makes a difference when its value does.
      const other = (v: string) => (/^\d+$/.test(v) ? String(Number(v) + 1) : `${v}-x`);
      const ignored = Object.entries(env).filter(([k, v]) => load({ [k]: v }) === load({ [k]: other(v) }));
      expect(ignored.map(([k]) => `${name}: ${k}`)).toEqual([]);
    }
  });

  it("the replicas share one command-key directory, at their data dir's keys/, and keep their own data dir", () => {
    const config = loadControllerConfig(join(deploy, 'controller.example.yaml'), {});
    const mounts = replicas.map((name) =>
      (compose.services[name]!.volumes ?? [])
        .map((v) => v.split(':'))
        .filter(([src]) => !src!.startsWith('.')),
    );
    const keys = mounts.map((m) => m.find(([, target]) => target === commandKeyDir(config.dataDir))?.[0]);
    expect(keys[0]).toBeDefined();
    expect(keys[1]).toBe(keys[0]);
    const data = mounts.map((m) => m.find(([, target]) => target === config.dataDir)?.[0]);
    expect(new Set(data).size).toBe(2);
    // The image creates the mount point owned by the user the controller runs as, so a fresh
    // named volume there is writable.
    expect(read('Dockerfile')).toContain(commandKeyDir(config.dataDir));
  });

  it('publishes distinct host ports, each onto the port its service listens on', () => {
    const listens: Record<string, string> = {
      'controller-1': compose.services['controller-1']!.environment!.HASHFLEET_HTTP_PORT!,
      'controller-2': compose.services['controller-2']!.environment!.HASHFLEET_HTTP_PORT!,
      mosquitto: /^listener (\d+)$/m.exec(read('mosquitto/mosquitto.conf'))![1]!,
      grafana: '3000',
    };
    const hostPorts: string[] = [];
    for (const [name, service] of Object.entries(compose.services)) {
      for (const mapping of service.ports ?? []) {
        const parts = mapping.split(':');
        expect(parts.at(-1), `${name}: ${mapping}`).toBe(listens[name]);
        hostPorts.push(parts.at(-2)!);
      }
    }
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    expect(Object.keys(listens).every((name) => compose.services[name]?.ports?.length)).toBe(true);
  });

  it('depends only on services it defines, and declares exactly the named volumes it uses', () => {
    const used = new Set<string>();
    for (const [name, service] of Object.entries(compose.services)) {
      const deps = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      for (const dep of deps) expect(compose.services, `${name} depends on ${dep}`).toHaveProperty(dep);
      for (const v of service.volumes ?? []) if (!v.startsWith('.')) used.add(v.split(':')[0]!);
    }
    expect([...used].sort()).toEqual(Object.keys(compose.volumes).sort());
  });
});

describe('deploy/hashfleet-controller.service', () => {
  const service = unit('hashfleet-controller.service');
  const one = (key: string) => service.get(key)?.[0];

  it('is hardened: its own user, read-only system, one state directory, restarted on failure', () => {
    expect(one('DynamicUser') === 'yes' || Boolean(one('User'))).toBe(true);
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('Restart')).toBe('on-failure');
    expect(one('StateDirectory')).toBe('hashfleet-controller');
  });

  it('gives the controller the same node options in the unit and the image', () => {
    // The scale rehearsal runs its replicas with the unit's (controller/bench/scale/replicas.ts).
    const options = (service.get('Environment') ?? [])
      .filter((e) => e.startsWith('NODE_OPTIONS='))
      .map((e) => e.slice('NODE_OPTIONS='.length));
    expect(options).toEqual(['--max-semi-space-size=64']);
    expect(read('Dockerfile')).toContain(`ENV NODE_OPTIONS=${options[0]}`);
  });

  it('points the data directory at its StateDirectory and runs the config path compose mounts', () => {
    const env = (service.get('Environment') ?? []).map((e) => e.split('='));
    const dataDir = env.find(([k]) => k === 'HASHFLEET_DATA_DIR')?.[1];
    expect(dataDir).toBe(`/var/lib/${one('StateDirectory')}`);
    expect(YAML.parse(read('controller.example.yaml')).dataDir).toBe(dataDir);
    // ExecStart runs, from WorkingDirectory (the checkout), the controller CLI as tools/build.mjs
    // writes it (deploy/test/shipped.test.ts builds it and runs it without the loader).
    const exec = one('ExecStart')!.split(' ');
    expect(exec.slice(0, 2)).toEqual(['/usr/bin/node', 'controller/dist/cli.mjs']);
    expect(exec.slice(2)).toEqual(['--config', '/etc/hashfleet/controller.yaml', 'run']);
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toContain('RUN node tools/build.mjs controller');
    expect(dockerfile).toContain(`ENTRYPOINT ["node", "${exec[1]}"]`);
    expect(dockerfile).toContain('CMD ["--config", "/etc/hashfleet/controller.yaml", "run"]');
    expect(compose.services['controller-1']!.volumes).toContain(
      './controller.example.yaml:/etc/hashfleet/controller.yaml:ro',
    );
    // Where systemd is installed, let it check the unit too (syntax, directives, executable), with
    // node at this machine's path: /usr/bin/node is Debian's, CI images may have it elsewhere.
    // CI installs it (.ci/run), so there a missing systemd-analyze is an error, not a pass.
    if (!existsSync('/usr/bin/systemd-analyze')) {
      if (process.env.CI) throw new Error('/usr/bin/systemd-analyze is missing (Debian package systemd)');
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'hashfleet-unit-'));
      try {
        const copy = join(dir, 'hashfleet-controller.service');
        writeFileSync(
          copy,
          read('hashfleet-controller.service').replace('/usr/bin/node ', `${process.execPath} `),
        );
        execFileSync('/usr/bin/systemd-analyze', ['verify', copy], { stdio: 'pipe' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});

describe('deploy/mosquitto', () => {
  const agentTopics = AGENT_TOPIC_KINDS.map((kind) => `${TOPIC_ROOT}/agents/%u/${kind}`);

  it("the ACL lets an agent write exactly the contracts' topic kinds and read only its commands, safety rules and acks", () => {
    const rules = read('mosquitto/acl')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(rules.filter((r) => r.startsWith('pattern write ')).map((r) => r.slice(14))).toEqual(agentTopics);
    expect(rules.filter((r) => r.startsWith('pattern read'))).toEqual([
      `pattern read ${topics.commands('%u')}`,
      `pattern read ${topics.safety('%u')}`,
      `pattern read ${topics.acks('%u')}`,
    ]);
    expect(rules.filter((r) => !r.startsWith('pattern '))).toEqual([
      'user controller',
      `topic read ${TOPIC_ROOT}/agents/+/#`,
      `topic write ${topics.commands('+')}`,
      `topic write ${topics.safety('+')}`,
      `topic write ${topics.acks('+')}`,
    ]);
  });

  it("the site bridge forwards exactly the contracts' agent topics out and commands, safety rules and acks in, at QoS 1", () => {
    const bridged = read('mosquitto/site-bridge.conf')
      .split('\n')
      .filter((l) => l.startsWith('topic '));
    expect(bridged).toEqual([
      ...AGENT_TOPIC_KINDS.map((kind) => `topic ${TOPIC_ROOT}/agents/+/${kind} out 1`),
      `topic ${topics.commands('+')} in 1`,
      `topic ${topics.safety('+')} in 1`,
      `topic ${topics.acks('+')} in 1`,
    ]);
  });
});
