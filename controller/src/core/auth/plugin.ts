import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { roleGuards } from '../http/responses.js';
import type { Db } from '../storage/db.js';
import type { Principal, Role } from './roles.js';
import { resolveToken } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** A preHandler that lets through only the given roles (401 without a token, 403 with another role). */
    authorize(...roles: Role[]): preHandlerAsyncHookHandler;
  }
  interface FastifyContextConfig {
    /** Reachable without a token (health, readiness, metrics, docs, UI static files). */
    public?: boolean;
  }
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** Failed authentications an address may make per window before it is locked out for the rest of it. */
export const AUTH_FAILURES = { max: 20, windowMs: 60_000 } as const;

/**
 * Whether the request is under `/api/`, decided on the route the router matched (its pattern, as
 * the router decoded the path), else on the percent-decoded path: `/%61pi/v1/...` is under it.
 */
function underApi(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route) return route.startsWith('/api/');
  const path = request.url.split('?')[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return true; // undecodable: refused unless authenticated, as an API path would be
  }
  return decoded.replace(/\/{2,}/g, '/').startsWith('/api/');
}

/**
 * Resolves `Authorization: Bearer <token>` on every request into `request.principal`, and
 * refuses requests under `/api/` without a valid token unless the route is marked public.
 */
export function registerAuth(app: FastifyInstance, db: Db): void {
  app.decorateRequest('principal', null);
  // @fastify/rate-limit, registered by app.ts, counts failed authentications per address; an
  // address over the limit is locked out (429, even with a valid token) until its window ends.
  const failure = app.createRateLimit({ max: AUTH_FAILURES.max, timeWindow: AUTH_FAILURES.windowMs });
  const lockedUntil = new Map<string, number>();
  const tooMany = (reply: FastifyReply, until: number) => {
    const retryS = Math.max(1, Math.ceil((until - Date.now()) / 1000));
    return reply
      .code(429)
      .header('retry-after', String(retryS))
      .send({ error: 'too_many_requests', message: `too many failed authentications: retry in ${retryS} s` });
  };
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const locked = lockedUntil.get(request.ip);
    if (locked !== undefined) {
      if (locked > Date.now()) return tooMany(reply, locked);
      lockedUntil.delete(request.ip);
    }
    const header = request.headers.authorization;
    const match = header ? BEARER.exec(header) : null;
    if (match) request.principal = await resolveToken(db, match[1]!);
    const isPublic = request.routeOptions.config?.public === true;
    if (!isPublic && underApi(request) && !request.principal) {
      const limit = await failure(request);
      if (!limit.isAllowed && limit.isExceeded) {
        const until = Date.now() + limit.ttl;
        if (lockedUntil.size > 100_000) lockedUntil.clear(); // bounded: an address flood cannot grow it
        lockedUntil.set(request.ip, until);
        request.log.warn({ ip: request.ip }, `${request.ip}: too many failed authentications, locked out`);
        return tooMany(reply, until);
      }
      return reply.code(401).send({
        error: 'unauthorized',
        message: header ? 'invalid or revoked API token' : 'missing Authorization: Bearer <token>',
      });
    }
  });
  // A role guard answers before the body is validated, so a role that may not call a route gets
  // 403, never 400 and the request schema: guards given as preHandler run in preValidation instead.
  app.addHook('onRoute', (route) => {
    const pre = [route.preHandler].flat().filter((h) => h !== undefined);
    const guards = pre.filter((h) => roleGuards.has(h));
    if (guards.length === 0) return;
    const rest = pre.filter((h) => !roleGuards.has(h));
    route.preHandler = rest.length ? rest : undefined;
    route.preValidation = [...guards, ...[route.preValidation].flat().filter((h) => h !== undefined)];
  });
  app.decorate('authorize', (...roles: Role[]): preHandlerAsyncHookHandler => {
    const guard: preHandlerAsyncHookHandler = async (request, reply) => {
      const p = request.principal;
      if (!p) {
        return reply
          .code(401)
          .send({ error: 'unauthorized', message: 'missing Authorization: Bearer <token>' });
      }
      if (!roles.includes(p.role)) {
        return reply.code(403).send({
          error: 'forbidden',
          message: `role ${p.role} may not ${request.method} ${request.routeOptions.url}; requires one of: ${roles.join(', ')}`,
          requiredRoles: roles,
        });
      }
    };
    roleGuards.add(guard);
    return guard;
  });
}
