import { z } from 'zod';
import { created, errors, JsonObject } from '../../core/http/responses.js';

/**
 * Response schemas of the accounting routes. Their bodies are documents (statements,
 * attribution, reconciliation, canonical inputs and outputs) written by `send` as JSON text with
 * satoshis as decimal strings; each is shaped in the header of accounting/routes.ts and open here.
 */

const refusals = errors(400, 403, 404, 409);

/** 200 with `body`, and the refusals of AccountingError and the staker guard. */
export const ok = (body: z.ZodType) => ({ 200: body, ...refusals });
/** 201 with `body` (a new entry, version or period close). */
export const made = (body: z.ZodType) => ({ 201: created(body), ...refusals });

export const Doc = JsonObject;
export const Docs = z.array(JsonObject);
export const Canonical = JsonObject.describe(
  'The stored canonical document, byte for byte: sha256 of this body is the published hash',
);
const Csv = {
  description: 'Statements as CSV',
  content: { 'text/csv': { schema: { type: 'string' } } },
};

/** 200 as text/csv, and the refusals. */
export const csv = { 200: Csv, ...refusals };
