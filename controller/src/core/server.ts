import type { FastifyInstance } from 'fastify';
import { features } from '../features.js';
import { pruneSeen } from '../fleet/index.js';
import { type BuildOptions, buildApp } from './app.js';
import { brokerAuthenticator, controllerBrokerPassword } from './broker/credentials.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './broker/embedded.js';
import type { ControllerConfig } from './config.js';
import { startJobs } from './jobs.js';
import { connectLink, type MqttLink } from './mqtt/link.js';
import type { Db } from './storage/db.js';

/** A shutdown step at least this long is logged (at warn) with its name and duration. */
const SLOW_STOP_STEP_MS = 2_000;

export type RunningController = {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:8080 */
  url: string;
  /** The embedded broker's URL when embedded, else the configured external URL. */
  mqttUrl: string;
  app: FastifyInstance;
  db: Db;
  /** Ed25519 public key (PEM, SPKI) agents verify commands with. */
  commandPublicKey: string;
  stop(): Promise<void>;
  /** The shutdown step running now (null before stop() and after it ended). */
  stopStep(): string | null;
};

/** Turns EADDRINUSE into an error naming the port and the setting that changes it. */
export function explainListenError(err: unknown, what: string, port: number, key: string): Error {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') {
    return new Error(
      `${what}: port ${port} is already in use; set ${key} to another port (0 picks a free one)`,
    );
  }
  if (e?.code === 'EACCES')
    return new Error(`${what}: no permission to listen on port ${port}; change ${key}`);
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Starts the whole controller: app (database + migrations), the embedded broker when no MQTT URL
 * is configured, the broker link (ingest and commands), housekeeping, and the HTTP listener.
 * stop() closes in reverse order: no new messages, in-flight ones finish, then storage closes.
 */
export async function startController(
  config: ControllerConfig,
  // `now`: a manual clock for end-to-end tests (ingest receipt times, command expiry, jobs).
  opts: BuildOptions = {},
): Promise<RunningController> {
  const app = await buildApp(config, opts);
  const ctx = app.hashfleet;
  // Each step named, so a stop that takes long says which step held it (a replica that outlives
  // its SIGTERM is a finding: deploy/ units give it a bounded stop time before SIGKILL).
  const cleanups: [string, () => Promise<void>][] = [['http server', async () => app.close()]];
  let step: string | null = null;
  const stop = async () => {
    while (cleanups.length) {
      const [name, run] = cleanups.pop()!;
      step = name;
      const started = performance.now();
      await run().catch((err: Error) => app.log.error({ err }, `shutdown step '${name}' failed`));
      const ms = performance.now() - started;
      if (ms >= SLOW_STOP_STEP_MS) app.log.warn(`shutdown step '${name}' took ${(ms / 1000).toFixed(1)} s`);
    }
    step = null;
  };
  try {
    const password = controllerBrokerPassword(config.dataDir, config.mqtt.password);
    let broker: EmbeddedBroker | null = null;
    if (!config.mqtt.url) {
      broker = await startEmbeddedBroker({
        host: config.mqtt.embeddedHost,
        port: config.mqtt.embeddedPort,
        authenticate: brokerAuthenticator(ctx.db, config.mqtt.username, password),
        onRefused: (what) => app.log.warn(`broker: ${what}`),
        now: () => ctx.now(),
      }).catch((err) => {
        throw explainListenError(
          err,
          'embedded broker',
          config.mqtt.embeddedPort,
          'mqtt.embeddedPort (HASHFLEET_MQTT_PORT)',
        );
      });
      const b = broker;
      cleanups.push(['embedded broker', () => b.close()]);
    }
    const mqttUrl = broker?.url ?? config.mqtt.url!;
    const link: MqttLink = await connectLink({
      url: mqttUrl,
      username: config.mqtt.username,
      password,
      clientId: config.mqtt.clientId,
      protocolVersion: broker ? 4 : config.mqtt.protocolVersion,
      sharedGroup: broker ? null : config.mqtt.sharedGroup,
      ingest: ctx.ingest,
      log: app.log,
      onInflight: (n) => ctx.metrics.ingestQueue.set(n),
      now: () => ctx.now(),
    });
    ctx.commands.attach((topic, payload) => link.publish(topic, payload));
    ctx.publish = (topic, payload, opts) => link.publish(topic, payload, opts);
    ctx.readiness.set('mqtt', () => (link.connected() ? null : `not connected to ${mqttUrl}`));
    cleanups.push([
      'mqtt link and ingest',
      async () => {
        ctx.commands.attach(null);
        delete ctx.publish;
        ctx.ingest.stop();
        await link.close();
      },
    ]);

    const housekeeping = setInterval(() => {
      const now = ctx.now();
      void pruneSeen(ctx.db, now - config.ingest.dedupeRetentionH * 3_600_000).catch(() => {});
      void ctx.db
        .run('DELETE FROM miner_history WHERE minute < ?', [
          now - config.ingest.historyRetentionH * 3_600_000,
        ])
        .catch(() => {});
    }, 60_000);
    housekeeping.unref();
    cleanups.push(['housekeeping', async () => clearInterval(housekeeping)]);

    // Features' background jobs; stopped (in-flight runs finished, locks released) before storage closes.
    const jobs = await startJobs({
      jobs: features.flatMap((f) => f.jobs?.(ctx) ?? []),
      storageUrl: config.storage.url!,
      logger: app.log,
      registry: ctx.metrics.registry,
      now: ctx.now,
    });
    cleanups.push(['background jobs', () => jobs.stop()]);
    // Ingest stops taking batches before the jobs are waited for: the batch being written ends at
    // its next message (rolled back, sent again by its agent) instead of running on meanwhile.
    cleanups.push(['ingest', async () => ctx.ingest.stop()]);

    try {
      await app.listen({ host: config.http.host, port: config.http.port });
    } catch (err) {
      throw explainListenError(err, 'http', config.http.port, 'http.port (HASHFLEET_HTTP_PORT)');
    }
    // The HTTP server must stop before the link and storage it serves from.
    cleanups.push([
      'idle http connections',
      async () => {
        app.server.closeIdleConnections?.();
      },
    ]);
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.http.port;
    let stopped = false;
    return {
      url: `http://${config.http.host}:${port}`,
      mqttUrl,
      app,
      db: ctx.db,
      commandPublicKey: ctx.commands.publicKeyPem,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stop();
      },
      stopStep: () => step,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
