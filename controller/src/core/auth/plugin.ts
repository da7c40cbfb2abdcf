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

/**
 * Resolves `Authorization: Bearer <token>` on every request into `request.principal`, and
 * refuses requests under `/api/` without a valid token unless the route is marked public.
 */
export function registerAuth(app: FastifyInstance, db: Db): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers.authorization;
    const match = header ? BEARER.exec(header) : null;
    if (match) request.principal = await resolveToken(db, match[1]!);
    const isPublic = request.routeOptions.config?.public === true;
    if (!isPublic && request.url.startsWith('/api/') && !request.principal) {
      return reply.code(401).send({
        error: 'unauthorized',
        message: header ? 'invalid or revoked API token' : 'missing Authorization: Bearer <token>',
      });
    }
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
