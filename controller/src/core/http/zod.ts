import type { FastifyInstance, FastifySchema } from 'fastify';
import { z } from 'zod';
import { strictResponses } from './responses.js';

/**
 * Zod on every route without a type-provider dependency: route schemas hold zod types; the
 * validator parses with them (so handlers get coerced, defaulted values), and the OpenAPI
 * transform turns them into JSON Schema for /docs with zod 4's own `z.toJSONSchema`.
 * `fastify-type-provider-zod` (7.0.0) would do the same three jobs; it is not used because this
 * file already does them in one place, it adds handler type inference only, and its npm entry
 * declares no Node engines range to check against ours. Response schemas: see `responses.ts`.
 */
export function useZod(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const zs = schema as unknown as z.ZodType;
    return (data: unknown) => {
      const r = zs.safeParse(data);
      if (r.success) return { value: r.data };
      const where = httpPart === 'querystring' ? 'query' : (httpPart ?? 'request');
      const msg = r.error.issues
        .map((i) => `${where}.${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      return { error: Object.assign(new Error(msg), { statusCode: 400 }) };
    };
  });
  // Serialised as they are (nothing dropped, bigint as a string), not through fast-json-stringify,
  // which would drop every field a schema forgot; under HASHFLEET_STRICT_RESPONSES=1 the wire form
  // is checked against the declared schema so a schema cannot drift from what the route sends.
  app.setSerializerCompiler(({ schema, method, url, httpStatus }) => {
    const zs = isZod(schema) ? schema : null;
    return (data) => {
      const text = JSON.stringify(data instanceof Error ? errorBody(data) : data, jsonReplacer);
      if (zs && strictResponses()) {
        const r = zs.safeParse(text === undefined ? undefined : JSON.parse(text));
        if (!r.success) {
          const issues = r.error.issues
            .slice(0, 5)
            .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
            .join('; ');
          throw new Error(
            `${method} ${url} ${httpStatus}: body does not match its response schema: ${issues}`,
          );
        }
      }
      return text;
    };
  });
}

/** A thrown error as fastify's default error body (its fields are not enumerable on the error). */
function errorBody(err: Error & { statusCode?: number; code?: string; error?: string }) {
  return { statusCode: err.statusCode, code: err.code, error: err.error, message: err.message };
}

/** bigint (satoshis) goes out as a JSON string, never a lossy number. */
export const jsonReplacer = (_key: string, value: unknown): unknown =>
  typeof value === 'bigint' ? value.toString() : value;

const isZod = (v: unknown): v is z.ZodType => !!v && typeof v === 'object' && '_zod' in (v as object);

function toJson(v: unknown, io: 'input' | 'output'): unknown {
  return isZod(v) ? z.toJSONSchema(v, { io, unrepresentable: 'any' }) : v;
}

/** @fastify/swagger `transform`: zod -> JSON Schema for the OpenAPI document. */
export function zodToOpenApi({ schema, url }: { schema: FastifySchema; url: string }) {
  if (!schema) return { schema, url };
  const out: Record<string, unknown> = { ...schema };
  for (const part of ['body', 'querystring', 'params', 'headers'] as const) {
    if (schema[part]) out[part] = toJson(schema[part], 'input');
  }
  if (schema.response && typeof schema.response === 'object') {
    const response: Record<string, unknown> = {};
    for (const [code, s] of Object.entries(schema.response as Record<string, unknown>)) {
      response[code] = toJson(s, 'output');
    }
    out.response = response;
  }
  return { schema: out as FastifySchema, url };
}
