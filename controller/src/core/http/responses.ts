import type { FastifyInstance, RouteOptions } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';

/**
 * Every response of the API declared (issue 14 item 7). Routes declare their success status and
 * the errors only they return (404, 409, 502 …); `declareResponses` adds the ones every route
 * shares, from what the route is: 400 when it validates a part of the request, 401 under `/api/`
 * unless public, 403 when a role guard (`app.authorize`) runs first, 500 everywhere.
 *
 * A reply whose status has no schema is logged and counted
 * (`hashfleet_http_undeclared_responses_total{route,status}`); with HASHFLEET_STRICT_RESPONSES=1
 * (tests) it becomes a 500 naming the route and status, and every body is checked against its
 * schema (see `useZod`), so a schema cannot drift from what the route sends.
 */

declare module 'fastify' {
  interface FastifyInstance {
    /** Each route's handler by `METHOD url`, for the test that reads which statuses it replies with. */
    routeHandlers: Map<string, RouteOptions['handler']>;
  }
}

/** Every error body: a machine code and a sentence; some carry more (403: `requiredRoles`). */
export const ErrorBody = z.looseObject({ error: z.string(), message: z.string() });

/** The body of a 204: none. */
export const NoContent = z.null().describe('No content');

/** A success response documented with what its status means. */
export const created = <T extends z.ZodType>(s: T) => s.describe('Created');
export const accepted = <T extends z.ZodType>(s: T) =>
  s.describe('Accepted: recorded, still pending (approval, delivery or a result to come)');

/** Pass-through object for open-ended bodies (event details, stored JSON documents). */
export const Json = z.unknown();
export const JsonObject = z.record(z.string(), z.unknown());

/** Money in satoshis: a bigint in the controller, a decimal string on the wire. */
export const Sats = z.string().regex(/^-?\d+$/);

export const strictResponses = () => process.env.HASHFLEET_STRICT_RESPONSES === '1';

/** Role guards made by `app.authorize`, so a route's 403 can be declared from its preHandler. */
export const roleGuards = new WeakSet<object>();

const validates = (s: Record<string, unknown>) =>
  ['body', 'querystring', 'params', 'headers'].some((part) => s[part] !== undefined);

function sharedErrors(route: RouteOptions): Record<string, z.ZodType> {
  const s = (route.schema ?? {}) as Record<string, unknown>;
  const out: Record<string, z.ZodType> = { 500: ErrorBody.describe('Internal error') };
  if (validates(s)) out[400] = ErrorBody.describe('Bad request: names the field and what is wrong');
  const isPublic = (route.config as { public?: boolean } | undefined)?.public === true;
  if (route.url.startsWith('/api/') && !isPublic)
    out[401] = ErrorBody.describe('Missing, invalid or revoked API token');
  const guards = [route.onRequest, route.preValidation, route.preHandler].flat().filter(Boolean);
  if (guards.some((g) => roleGuards.has(g as object)))
    out[403] = ErrorBody.describe("The token's role may not do this (requiredRoles)");
  return out;
}

/** Call before any route is registered. */
export function declareResponses(app: FastifyInstance, registry: Registry): void {
  const undeclared = new Counter({
    name: 'hashfleet_http_undeclared_responses_total',
    help: 'API replies whose status has no response schema, by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const handlers = new Map<string, RouteOptions['handler']>();
  app.decorate('routeHandlers', handlers);
  app.addHook('onRoute', (route) => {
    for (const m of [route.method].flat()) handlers.set(`${m} ${route.url}`, route.handler);
    const schema = (route.schema ?? {}) as Record<string, unknown>;
    if (schema.hide) return;
    const response = (schema.response ?? {}) as Record<string, unknown>;
    route.schema = { ...schema, response: { ...sharedErrors(route), ...response } };
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const opts = reply.routeOptions;
    const schema = opts.schema as Record<string, unknown> | undefined;
    if (!opts.url || schema?.hide || !opts.url.startsWith('/api/')) return payload;
    const declared = (schema?.response ?? {}) as Record<string, unknown>;
    const status = reply.statusCode;
    if (declared[status] || declared[`${String(status)[0]}XX`] || declared.default) return payload;
    const route = `${request.method} ${opts.url}`;
    undeclared.inc({ route, status });
    request.log.error({ route, status }, 'response status not declared in the route schema');
    if (!strictResponses()) return payload;
    reply.code(500).header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify({
      error: 'undeclared_response',
      message: `${route}: status ${status} is not declared in its response schema`,
    });
  });
}

const ERROR_MEANING: Record<number, string> = {
  400: 'Bad request',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Too large',
  415: 'Unsupported media type',
  422: 'Unprocessable',
  502: 'The command could not be sent to its agent (the body is the failed command)',
  503: 'Not available now',
};

/** The route's own error statuses, each with an error body and what it means. */
export function errors<C extends number>(...codes: C[]): Record<C, z.ZodType> {
  return Object.fromEntries(
    codes.map((c) => [c, ErrorBody.describe(ERROR_MEANING[c] ?? 'Error')]),
  ) as unknown as Record<C, z.ZodType>;
}
