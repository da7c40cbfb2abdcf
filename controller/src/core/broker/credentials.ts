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

/** Broker login: `controller` with its secret, or an agent id with that agent's API token. */
export function brokerAuthenticator(db: Db, controllerUser: string, controllerPassword: string) {
  return async (username: string, password: string): Promise<BrokerUser | null> => {
    if (username === controllerUser)
      return same(password, controllerPassword) ? { kind: 'controller' } : null;
    const p = await resolveToken(db, password);
    return p && p.role === 'agent' && p.name === username ? { kind: 'agent', agentId: username } : null;
  };
}
