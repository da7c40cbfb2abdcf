import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './helpers.js';

describe('API token auth', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await testApp();
    t.app.get('/api/v1/probe-admin', { preHandler: t.app.authorize('admin') }, async () => ({ ok: true }));
  });
  afterAll(async () => t.close());

  it('refuses /api without a token (401) and with an unknown one (401)', async () => {
    expect((await t.app.inject({ url: '/api/v1/me' })).statusCode).toBe(401);
    const bad = await t.app.inject({ url: '/api/v1/me', headers: { authorization: 'Bearer nope' } });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().message).toMatch(/invalid or revoked/);
  });

  it('resolves the principal of a valid token', async () => {
    const res = await t.app.inject({ url: '/api/v1/me', headers: t.auth('staker') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ role: 'staker', stakerId: 'staker-1', name: 'staker-1' });
  });

  it('answers 403 naming the required roles when the role is wrong', async () => {
    const res = await t.app.inject({ url: '/api/v1/probe-admin', headers: t.auth('operator') });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toMatch(/requires one of: admin/);
    expect((await t.app.inject({ url: '/api/v1/probe-admin', headers: t.auth('admin') })).statusCode).toBe(
      200,
    );
  });

  it('stores only token hashes', async () => {
    const rows = await t.app.hashfleet.db.all<{ token_hash: string }>('SELECT token_hash FROM api_tokens');
    for (const token of Object.values(t.tokens)) {
      expect(rows.some((r) => r.token_hash === token)).toBe(false);
    }
  });

  it('serves health, metrics and the OpenAPI docs without a token', async () => {
    expect((await t.app.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/ready' })).json()).toEqual({ status: 'ready' });
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(/hashfleet_ingest_messages_total/);
    const doc = await t.app.inject({ url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    expect(Object.keys(doc.json().paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/me',
        '/api/v1/miners',
        '/api/v1/containers/{id}',
        '/api/v1/miners/{id}/commands',
      ]),
    );
    // zod schemas become JSON Schema in the document (query parameters of the miner search).
    const params = doc.json().paths['/api/v1/miners'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(
      expect.arrayContaining(['siteId', 'containerId', 'status', 'q', 'limit', 'offset']),
    );
    expect((await t.app.inject({ url: '/docs/' })).statusCode).toBe(200);
  });
});
