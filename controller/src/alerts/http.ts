import type { FastifyReply } from 'fastify';

/** A refusal of the alerts API (rules, webhooks, silences, known workers). */
export const fail = (reply: FastifyReply, status: number, message: string) =>
  reply.code(status).send({ error: 'alerts', message });
