import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/core/app.js';
import type { Role } from '../src/core/auth/roles.js';
import { createToken } from '../src/core/auth/tokens.js';
import { type ControllerConfigInput, loadControllerConfig } from '../src/core/config.js';

export const PG_URL = process.env.HASHFLEET_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether the test PostgreSQL answers on its port (it does on this machine and in CI). */
export async function pgReachable(url = PG_URL): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = new Socket();
    s.setTimeout(500);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.connect(Number(u.port || 5432), u.hostname);
  });
}

/**
 * Whether the PostgreSQL variants of a test run: true when the server answers. When it does not,
 * they skip on a developer's machine (`npm test` needs only Node) but fail under CI=1, where a
 * skipped variant would pass a run that proved nothing on PostgreSQL (.ci/run starts the server).
 */
export async function pgAvailable(url = PG_URL): Promise<boolean> {
  if (await pgReachable(url)) return true;
  if (process.env.CI)
    throw new Error(
      `PostgreSQL at ${url} does not answer and CI is set: start it (.ci/postgres.sh) or set HASHFLEET_TEST_PG`,
    );
  return false;
}

/** A fresh PostgreSQL schema per test run, so runs never see each other's rows. */
export const pgSchemaUrl = (url = PG_URL): string => {
  const u = new URL(url);
  u.searchParams.set('schema', `t_${randomBytes(6).toString('hex')}`);
  return u.toString();
};

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-ctl-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Tests of other features publish as agents they never bind (or call ingest directly), so the
 * test controllers accept unbound agents (a migration setting, `ingest.unboundAgents`); the
 * binding itself is tested with the default in agent-places.test.ts.
 */
export const UNBOUND_AGENTS_ACCEPTED = { ingest: { unboundAgents: 'accept' as const } };

/** An app on in-memory SQLite with a token per role. */
export async function testApp(overrides: ControllerConfigInput = {}, now?: () => number) {
  const { dir, cleanup } = tempDir();
  const config = loadControllerConfig(
    {
      dataDir: dir,
      storage: { url: 'sqlite::memory:' },
      log: { level: 'silent' },
      ...UNBOUND_AGENTS_ACCEPTED,
      ...overrides,
    },
    {},
  );
  const app = await buildApp(config, now ? { now } : {});
  const tokens = {} as Record<Role, string>;
  for (const role of ['admin', 'operator', 'technician', 'staker', 'agent'] as Role[]) {
    tokens[role] = await createToken(app.hashfleet.db, {
      role,
      name: role === 'agent' ? 'c01' : `${role}-1`,
      stakerId: role === 'staker' ? 'staker-1' : null,
    });
  }
  const auth = (role: Role) => ({ authorization: `Bearer ${tokens[role]}` });
  return {
    app,
    config,
    tokens,
    auth,
    async close() {
      await app.close();
      cleanup();
    },
  };
}

/**
 * A whole controller (HTTP on a free port, embedded broker on a free port, silent log) and an agent
 * token for `agentName`, for tests that talk MQTT to it; `overrides` replace top-level config
 * sections. `stop` closes it and removes its data.
 */
export async function embeddedController(agentName: string, overrides: ControllerConfigInput = {}) {
  const { startController } = await import('../src/core/server.js');
  const tmp = tempDir();
  const config = loadControllerConfig(
    {
      dataDir: tmp.dir,
      http: { port: 0 },
      mqtt: { embeddedPort: 0 },
      log: { level: 'silent' },
      ...UNBOUND_AGENTS_ACCEPTED,
      ...overrides,
    },
    {},
  );
  const running = await startController(config);
  const token = await createToken(running.db, { role: 'agent', name: agentName });
  return {
    running,
    token,
    async stop() {
      await running.stop();
      tmp.cleanup();
    },
  };
}

/** The value on the first line of a /metrics text starting with `line` (name, maybe labels); `absent` if none. */
export const metric = (text: string, line: string, absent = Number.NaN): number =>
  Number(
    text
      .split('\n')
      .find((l) => l.startsWith(line))
      ?.split(' ')
      .at(-1) ?? absent,
  );
