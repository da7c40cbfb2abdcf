import type { FastifyReply } from 'fastify';
import { CommandError } from './service.js';

const ERROR_NAMES = { 400: 'bad_request', 403: 'forbidden', 404: 'not_found', 409: 'conflict' } as const;

/** A refusal from the command layer as an HTTP answer; anything else is fastify's to handle. */
export function sendError(reply: FastifyReply, err: unknown) {
  if (err instanceof CommandError) {
    return reply.code(err.statusCode).send({ error: ERROR_NAMES[err.statusCode], message: err.message });
  }
  throw err;
}
