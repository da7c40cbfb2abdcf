import type { AgentConfig } from '../config.js';
import { TransportError } from '../transport/errors.js';
import { httpExchange } from '../transport/http.js';

/**
 * VNish web API: `POST /api/v1/unlock {"pw": password}` -> `{"token"}`, then `Authorization: Bearer`.
 * Tokens are cached per miner and fetched again when missing.
 */
export function bearerTokens(
  config: AgentConfig,
): (ip: string, password: string, deadlineMs: number) => Promise<string> {
  const cache = new Map<string, string>();
  return async (ip, password, deadlineMs) => {
    const cached = cache.get(ip);
    if (cached) return cached;
    const reply = await httpExchange(
      ip,
      config.miners.ports.http,
      'POST',
      '/api/v1/unlock',
      JSON.stringify({ pw: password }),
      { kind: 'none' },
      deadlineMs,
    );
    let token: unknown;
    try {
      token = (JSON.parse(reply.body) as { token?: unknown }).token;
    } catch {
      token = undefined;
    }
    if (reply.status !== 200 || typeof token !== 'string') {
      throw new TransportError('auth', `unlock refused (HTTP ${reply.status})`);
    }
    if (cache.size > 10_000) cache.clear();
    cache.set(ip, token);
    return token;
  };
}
