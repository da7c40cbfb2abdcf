import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal, Role } from '../../core/auth/roles.js';
import { jsonReplacer } from '../../core/http/zod.js';
import { AccountingError } from '../register.js';

/** What every accounting route shares: roles, parameter schemas, JSON with bigints, errors. */
export const MONEY: Role[] = ['operator', 'admin'];
export const MONEY_OR_STAKER: Role[] = ['operator', 'admin', 'staker'];

export const Id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"');
export const PeriodParam = z.object({ id: z.string().min(1).max(40) });
export const StakerParam = z.object({ id: Id });
export const Sats = z
  .union([z.string().regex(/^\d{1,19}$/), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));
export const IsoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

export function send(reply: FastifyReply, code: number, data: unknown) {
  return reply.code(code).type('application/json; charset=utf-8').send(JSON.stringify(data, jsonReplacer));
}

/** Runs a parser of request text; its error becomes a 400 naming the field. */
export function input<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw new AccountingError(`${what}: ${(e as Error).message}`);
  }
}

export function fail(reply: FastifyReply, err: unknown) {
  if (err instanceof AccountingError)
    return send(reply, err.status, { error: 'accounting', message: err.message });
  throw err;
}

/** A staker token may read only its own staker; staff with money roles read any. */
export function ownOnly(request: FastifyRequest, reply: FastifyReply, stakerId: string): boolean {
  const p = request.principal as Principal;
  if (p.role === 'staker' && p.stakerId !== stakerId) {
    void send(reply, 403, {
      error: 'forbidden',
      message: `staker tokens see only their own data (asked for ${stakerId})`,
    });
    return false;
  }
  return true;
}
