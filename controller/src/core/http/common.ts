import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { STAFF } from '../auth/roles.js';

export const READERS = STAFF;
export const EDITORS = ['admin', 'operator'] as const;

export const IdParams = z.object({ id: z.string().min(1).max(200) });

export { ErrorBody } from './responses.js';

export function notFound(reply: FastifyReply, what: string) {
  return reply.code(404).send({ error: 'not_found', message: `${what}: not found` });
}

/** Parses a stored JSON column; a corrupt one becomes null rather than failing the request. */
export function parseJson<T = unknown>(text: string | null | undefined): T | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
