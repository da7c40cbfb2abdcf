import type { FastifyInstance, FastifySchema } from 'fastify';
import { z } from 'zod';

/**
 * Zod on every route without a type-provider dependency: route schemas hold zod types; the
 * validator parses with them (so handlers get coerced, defaulted values), and the OpenAPI
 * transform turns them into JSON Schema for /docs.
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
  app.setSerializerCompiler(() => (data) => JSON.stringify(data, jsonReplacer));
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
