import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { ControllerConfig } from './config.js';
import type { Db } from './storage/db.js';

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

/** Builds the app, listens, and returns a handle whose stop() closes everything gracefully. */
export async function startController(config: ControllerConfig): Promise<RunningController> {
  const app = await buildApp(config);
  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    await app.close();
    throw explainListenError(err, 'http', config.http.port, 'http.port (HASHFLEET_HTTP_PORT)');
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const url = `http://${config.http.host}:${port}`;
  let stopped = false;
  return {
    url,
    mqttUrl: config.mqtt.url ?? '',
    app,
    db: app.hashfleet.db,
    commandPublicKey: '',
    async stop() {
      if (stopped) return;
      stopped = true;
      await app.close();
    },
  };
}
