import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveToken } from '../auth/tokens.js';
import type { Db } from '../storage/db.js';
import type { BrokerUser } from './acl.js';

/** The controller's broker password: configured, else generated once into the data dir. */
export function controllerBrokerPassword(dataDir: string, configured: string | null): string {
  if (configured) return configured;
  const file = join(dataDir, 'broker-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(24).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** A login refused for its client id, not its credentials (CONNACK "identifier rejected"). */
export type ClientIdRefused = { refused: string };

/**
 * Broker login: `controller` with its secret, or an agent id with that agent's API token. An
 * agent may use its own id as client id, or another id that is no agent's: never another agent's,
 * which would take over that agent's connection and session (issue 17; Mosquitto's TLS listener
 * has use_username_as_clientid for the same reason).
 */
export function brokerAuthenticator(db: Db, controllerUser: string, controllerPassword: string) {
  return async (
    username: string,
    password: string,
    clientId?: string,
  ): Promise<BrokerUser | ClientIdRefused | null> => {
    if (username === controllerUser)
      return same(password, controllerPassword) ? { kind: 'controller' } : null;
    const p = await resolveToken(db, password);
    if (!(p && p.role === 'agent' && p.name === username)) return null;
    if (clientId !== undefined && clientId !== username && (await agentExists(db, clientId)))
      return { refused: `client id ${clientId} is agent ${clientId}'s` };
    return { kind: 'agent', agentId: username };
  };
}

async function agentExists(db: Db, agentId: string): Promise<boolean> {
  const row = await db.get("SELECT 1 AS one FROM api_tokens WHERE role = 'agent' AND name = ? LIMIT 1", [
    agentId,
  ]);
  return row !== undefined;
}
