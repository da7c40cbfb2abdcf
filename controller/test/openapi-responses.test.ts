import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { testApp } from './helpers.js';

/**
 * Every HTTP response declared (issue 14 item 7). Proves: each route in the OpenAPI document
 * (`/docs`) has a success response with a schema, and a schema for every status its handler
 * replies with (read from the handler's code: `.code(NNN)`, `notFound(`, the error helpers), plus
 * 400 where it validates input, 401 under /api/ and 403 where a role guard runs; and that with
 * HASHFLEET_STRICT_RESPONSES=1 a reply with an undeclared status, or a body off its schema,
 * becomes a 500 naming the route.
 */

/** Statuses an error helper can reply with, by the call that shows in a handler's code. */
const HELPERS: [RegExp, number[]][] = [
  [/\bnotFound\)?\(/, [404]],
  [/\bsendError\)?\(/, [400, 403, 404, 409]], // commands/http-errors.ts: CommandError codes
  [/\bfail\)?\(reply, e\)/, [400, 404, 409]], // tickets' TicketError, relocation's RelocationError
];

type Op = {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  parameters?: unknown[];
  requestBody?: unknown;
};

let t: Awaited<ReturnType<typeof testApp>>;
let doc: { paths: Record<string, Record<string, Op>> };

beforeAll(async () => {
  process.env.HASHFLEET_STRICT_RESPONSES = '1';
  t = await testApp();
  t.app.get(
    '/api/v1/test/undeclared',
    { schema: { response: { 200: z.object({ ok: z.boolean() }) } } },
    async (_req, reply) => reply.code(418 as 200).send({ ok: true }),
  );
  t.app.get(
    '/api/v1/test/drifted',
    { schema: { response: { 200: z.object({ ok: z.boolean() }) } } },
    async () => ({ ok: 'yes' }),
  );
  await t.app.ready();
  doc = t.app.swagger() as never;
});
afterAll(async () => {
  delete process.env.HASHFLEET_STRICT_RESPONSES;
  await t?.close();
});

function statusesUsed(handler: string): number[] {
  const out = new Set<number>();
  // `.code(404)`, `.code(x ? 502 : 202)`, and the alerts' `fail(reply, 409, …)` (tsx writes an
  // imported call as `(0, mod.fail)(…)`).
  for (const m of handler.matchAll(/\.code\(([^()]*)\)/g))
    for (const n of m[1]!.matchAll(/\b[1-5]\d\d\b/g)) out.add(Number(n[0]));
  for (const m of handler.matchAll(/\bfail\)?\(reply, (\d{3})/g)) out.add(Number(m[1]));
  // accounting's `send(reply, 201, …)`, `send(reply, r.created ? 201 : 200, …)`
  for (const m of handler.matchAll(/\bsend\)?\(reply, ([^,]*),/g))
    for (const n of m[1]!.matchAll(/\b[1-5]\d\d\b/g)) out.add(Number(n[0]));
  for (const [re, codes] of HELPERS) if (re.test(handler)) for (const c of codes) out.add(c);
  return [...out];
}

describe('OpenAPI document', () => {
  it('declares a schema for every status of every route', () => {
    const problems: string[] = [];
    let routes = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (path.startsWith('/api/v1/test/')) continue;
      for (const [method, op] of Object.entries(ops)) {
        routes++;
        const name = `${method.toUpperCase()} ${path}`;
        const responses = op.responses ?? {};
        const has = (s: number | string) => {
          const r = responses[String(s)];
          return !!r && (String(s) === '204' || Object.values(r.content ?? {}).some((c) => !!c.schema));
        };
        const success = Object.keys(responses).filter((s) => s.startsWith('2'));
        if (!success.length || !success.every(has)) problems.push(`${name}: no success response schema`);
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        const handler = t.app.routeHandlers.get(`${method.toUpperCase()} ${url}`);
        if (!handler) {
          problems.push(`${name}: no handler recorded`);
          continue;
        }
        const needed = new Set(statusesUsed(String(handler)));
        if (op.parameters?.length || op.requestBody) needed.add(400);
        if (path.startsWith('/api/')) needed.add(401);
        for (const s of needed) if (!has(s)) problems.push(`${name}: status ${s} used but not declared`);
      }
    }
    expect(routes).toBeGreaterThan(90);
    expect(problems).toEqual([]);
  });

  it('documents 201 and 202 with what they mean', () => {
    const described = Object.values(doc.paths)
      .flatMap((ops) => Object.values(ops))
      .flatMap((op) => Object.entries(op.responses ?? {}))
      .filter(([s]) => s === '201' || s === '202') as [string, { description?: string }][];
    expect(described.length).toBeGreaterThan(0);
    for (const [s, r] of described) expect(r.description, s).toMatch(s === '201' ? /^Created/ : /^Accepted/);
  });

  it('declares 403 on a role-guarded route and none on /me, which every token may read', () => {
    expect(doc.paths['/api/v1/commands/{id}/approve']!.post!.responses!['403']).toBeDefined();
    expect(doc.paths['/api/v1/me']!.get!.responses!['403']).toBeUndefined();
  });
});

describe('strict responses', () => {
  it('turns an undeclared status into a 500 naming the route, and counts it', async () => {
    const res = await t.app.inject({ url: '/api/v1/test/undeclared', headers: t.auth('admin') });
    expect(res.statusCode).toBe(500);
    expect(res.json().message).toBe(
      'GET /api/v1/test/undeclared: status 418 is not declared in its response schema',
    );
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.body).toContain(
      'hashfleet_http_undeclared_responses_total{route="GET /api/v1/test/undeclared",status="418"} 1',
    );
  });

  it('refuses a body that does not match its schema', async () => {
    const res = await t.app.inject({ url: '/api/v1/test/drifted', headers: t.auth('admin') });
    expect(res.statusCode).toBe(500);
  });
});
