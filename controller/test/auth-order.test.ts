import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_FAILURES } from '../src/core/auth/plugin.js';
import { testApp } from './helpers.js';

/**
 * Proves authorisation is decided on the route, not the raw URL, and before the body is validated
 * (issue 17 item 7): `/%61pi/...` reaches the same 401 as `/api/...` (before: the global check
 * compared the raw URL, so a route relying on it answered 200 unauthenticated), and a role that
 * may not call a write route gets 403 however wrong its body (before: 400 and the request schema).
 */
let t: Awaited<ReturnType<typeof testApp>>;
let doc: { paths: Record<string, Record<string, { requestBody?: unknown }>> };

beforeAll(async () => {
  t = await testApp();
  // A route guarded by the global check only, as every /api/ route is before its own role check.
  t.app.get('/api/v1/test/global-only', { schema: { hide: true } }, async () => ({ secret: true }));
  await t.app.ready();
  doc = t.app.swagger() as never;
});
afterAll(async () => t?.close());

describe('authorisation on the normalised route', () => {
  it.each(['/api/v1/test/global-only', '/%61pi/v1/test/global-only', '/%61%70%69/v1/test/global-only?x=1'])(
    '%s without a token: 401',
    async (url) => {
      const r = await t.app.inject({ url });
      expect(r.statusCode).toBe(401);
      expect(r.json().error).toBe('unauthorized');
    },
  );

  it('a miss under an encoded /api/ is refused without a token too', async () => {
    expect((await t.app.inject({ url: '/%61pi/v1/no-such-route' })).statusCode).toBe(401);
  });
});

describe('403 before body validation', () => {
  it('every write route with a body answers a role it refuses 403, not 400, to a malformed body', async () => {
    const checked: string[] = [];
    const wrong: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const [method, op] of Object.entries(ops)) {
        if (!['post', 'put', 'patch'].includes(method) || !op.requestBody) continue;
        const url = path.replace(/\{[^}]+\}/g, 'x');
        const r = await t.app.inject({
          method: method.toUpperCase() as 'POST',
          url,
          headers: t.auth('agent'),
          payload: { unexpected: [1, 2, 3] },
        });
        checked.push(`${method} ${path}`);
        if (r.statusCode === 400) wrong.push(`${method.toUpperCase()} ${path}: 400 ${r.body.slice(0, 80)}`);
      }
    }
    expect(checked.length).toBeGreaterThan(20);
    expect(wrong).toEqual([]);
  });

  it('a technician adding a worker pattern with a malformed body: 403 naming the roles', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/alerts/known-worker-patterns',
      headers: t.auth('technician'),
      payload: { pattern: 42 },
    });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ error: 'forbidden' });
  });
});

describe('failed authentication is rate limited per address (@fastify/rate-limit)', () => {
  it(`answers 429 after ${AUTH_FAILURES.max} failures in a window, locks the address out even with a valid token, and leaves others alone`, async () => {
    const from = (remoteAddress: string, authorization?: string) =>
      t.app.inject({
        url: '/api/v1/miners',
        remoteAddress,
        headers: authorization ? { authorization } : {},
      });
    const codes: number[] = [];
    for (let i = 0; i < AUTH_FAILURES.max + 2; i++)
      codes.push((await from('10.9.9.9', `Bearer guess-${i}`)).statusCode);
    expect(codes).toEqual([...Array(AUTH_FAILURES.max).fill(401), 429, 429]);
    const locked = await from('10.9.9.9', t.auth('operator').authorization);
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(locked.json().message).toMatch(/^too many failed authentications: retry in \d+ s$/);
    expect((await from('10.9.9.10', t.auth('operator').authorization)).statusCode).toBe(200);
    expect((await from('10.9.9.10', 'Bearer wrong')).statusCode).toBe(401);
  });
});
