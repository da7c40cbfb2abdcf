import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { allMigrations } from '@hashfleet/controller/core/app';
import { createToken } from '@hashfleet/controller/core/auth/tokens';
import { openDb } from '@hashfleet/controller/core/storage/db';
import { migrate } from '@hashfleet/controller/core/storage/migrate';
import { waitFor } from '@hashfleet/demo/wait';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, pgReachable, pgSchemaUrl } from '../controller/test/helpers.js';
import { freePort, MOSQUITTO, type Mosquitto, startMosquitto } from '../controller/test/servers.js';

/**
 * Two controller replicas (separate processes) share one Mosquitto shared subscription and one
 * PostgreSQL. Under load, replica A is killed with SIGKILL: B keeps ingesting; A is restarted (as
 * systemd would) and its persistent session hands back what A had in flight. Every sample is in
 * the hourly aggregates exactly once.
 */
const ready = existsSync(MOSQUITTO) && (await pgReachable(PG_URL));
const runOrSkip = !ready && !process.env.CI ? describe.skip : describe;
const CLI = fileURLToPath(new URL('../controller/bin/hashfleet-controller.mjs', import.meta.url));
const MESSAGES = 600;
const SAMPLES_PER_MESSAGE = 5;
const AGENT = 'agent-load';

type Replica = { name: string; url: string; proc: ChildProcess; log: string };

runOrSkip('two controller replicas, one killed under load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-replicas-'));
  const dbUrl = pgSchemaUrl(PG_URL);
  let broker: Mosquitto;
  let agentToken = '';
  const replicas = new Map<string, Replica>();

  async function startReplica(name: string, port?: number): Promise<Replica> {
    const httpPort = port ?? (await freePort());
    const r: Replica = { name, url: `http://127.0.0.1:${httpPort}`, proc: null as never, log: '' };
    r.proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'run'], {
      env: {
        ...process.env,
        HASHFLEET_DATA_DIR: join(dir, name),
        HASHFLEET_DB_URL: dbUrl,
        HASHFLEET_MQTT_URL: broker.url,
        HASHFLEET_MQTT_PASSWORD: 'controller-secret',
        HASHFLEET_MQTT_CLIENT_ID: `ctl-${name}`,
        HASHFLEET_HTTP_PORT: String(httpPort),
        HASHFLEET_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const capture = (d: Buffer) => {
      r.log = (r.log + d.toString()).slice(-4000);
    };
    r.proc.stdout?.on('data', capture);
    r.proc.stderr?.on('data', capture);
    await waitFor(`replica ${name} ready`, async () => {
      if (r.proc.exitCode !== null) throw new Error(`replica ${name} exited: ${r.log}`);
      return (await fetch(`${r.url}/ready`).catch(() => null))?.ok ?? false;
    });
    replicas.set(name, r);
    return r;
  }

  const applied = async (r: Replica): Promise<number> => {
    const text = await (await fetch(`${r.url}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('hashfleet_ingest_messages_total{kind="telemetry",result="applied"}'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  beforeAll(async () => {
    if (!ready) throw new Error(`need ${MOSQUITTO} and PostgreSQL at ${PG_URL}`);
    const db = await openDb(dbUrl);
    await migrate(db, allMigrations(), Date.now);
    agentToken = await createToken(db, {
      role: 'agent',
      name: AGENT,
      places: [{ siteId: exampleTelemetry.siteId, containerId: 'load-c1' }],
    });
    await db.close();
    broker = await startMosquitto(join(dir, 'mosquitto'), {
      controller: 'controller-secret',
      [AGENT]: agentToken,
    });
    await startReplica('a');
    await startReplica('b');
  });

  afterAll(async () => {
    for (const r of replicas.values()) {
      if (r.proc.exitCode === null) {
        const exited = new Promise((res) => r.proc.once('exit', res));
        r.proc.kill('SIGTERM');
        await exited;
      }
    }
    await broker?.stop();
    const db = await openDb(PG_URL);
    await db
      .run(`DROP SCHEMA IF EXISTS ${new URL(dbUrl).searchParams.get('schema')} CASCADE`)
      .catch(() => {});
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shares the load, survives SIGKILL of one replica, and counts every sample once', async () => {
    const publisher = await mqtt.connectAsync(broker.url, {
      username: AGENT,
      password: agentToken,
      clientId: AGENT,
    });
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const message = (seq: number): Telemetry => ({
      ...exampleTelemetry,
      agentId: AGENT,
      bootId: 'replica-test-boot',
      seq,
      sentAt: Date.now(),
      containerId: 'load-c1',
      samples: Array.from({ length: SAMPLES_PER_MESSAGE }, (_, i) => ({
        ...exampleSample,
        minerKey: `m${i}`,
        serial: `LOAD-${i}`,
        mac: null,
        slot: { rack: 'R01', slot: String(i + 1) },
        at: hour + seq * 1000 + i,
        work: { diff1Shares: 1, sinceAt: null, counterReset: false },
      })),
      unreachable: [],
      agent: null,
    });
    const a = replicas.get('a')!;
    const b = replicas.get('b')!;
    let appliedByBAtKill = 0;
    for (let seq = 0; seq < MESSAGES; seq++) {
      await publisher.publishAsync(topics.telemetry(AGENT), JSON.stringify(message(seq)), { qos: 1 });
      if (seq === MESSAGES / 3) {
        // Both replicas took part before the kill (shared subscription).
        await waitFor(
          'both replicas ingesting',
          async () => (await applied(a)) > 0 && (await applied(b)) > 0,
        );
        appliedByBAtKill = await applied(b);
        a.proc.kill('SIGKILL');
      }
      if (seq === (2 * MESSAGES) / 3) {
        await waitFor('b carries on after the kill', async () => (await applied(b)) > appliedByBAtKill + 10);
        // systemd restarts the killed replica; its persistent session returns what it had in flight.
        await startReplica('a');
      }
    }
    await publisher.endAsync();
    const db = await openDb(dbUrl);
    try {
      await waitFor(
        'every sample in the aggregates',
        async () => {
          const row = await db.get<{ samples: number }>(
            "SELECT COALESCE(SUM(samples), 0) AS samples FROM container_hourly WHERE container_id = 'load-c1'",
          );
          return (row?.samples ?? 0) >= MESSAGES * SAMPLES_PER_MESSAGE;
        },
        { timeoutMs: 60_000, everyMs: 500 },
      );
      // Give any redelivery a moment to (not) count twice.
      await new Promise((r) => setTimeout(r, 1000));
      const total = await db.get<{ samples: number; shares: number }>(
        "SELECT SUM(samples) AS samples, SUM(diff1_shares) AS shares FROM container_hourly WHERE container_id = 'load-c1'",
      );
      expect(total).toEqual({
        samples: MESSAGES * SAMPLES_PER_MESSAGE,
        shares: MESSAGES * SAMPLES_PER_MESSAGE,
      });
      const seen = await db.get<{ n: number }>(
        "SELECT COUNT(*) AS n FROM ingest_seen WHERE agent_id = ? AND kind = 'telemetry'",
        [AGENT],
      );
      expect(seen?.n).toBe(MESSAGES);
    } finally {
      await db.close();
    }
  });
});
