/**
 * The browser side of the public HTTP API: the token pasted at login (kept in localStorage) and
 * one fetch helper. The UI has no other way to the data than what any API client has.
 */

const TOKEN_KEY = 'hashfleet.token';
export const API = '/api/v1';

export function savedToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  localStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    message: string,
  ) {
    super(`${path}: ${status} ${message}`);
  }
}

async function call<T>(method: string, path: string, body?: unknown, token = savedToken()): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const message =
      parsed && typeof parsed === 'object' && 'message' in parsed
        ? String((parsed as { message: unknown }).message)
        : res.statusText;
    throw new ApiError(path, res.status, message);
  }
  return parsed as T;
}

export const get = <T>(path: string, token?: string | null) => call<T>('GET', path, undefined, token);

/** The reply body exactly as sent (documents whose hash is checked byte for byte). */
export async function getText(path: string): Promise<string> {
  const token = savedToken();
  const res = await fetch(API + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new ApiError(path, res.status, res.statusText);
  return res.text();
}
export const post = <T>(path: string, body: unknown) => call<T>('POST', path, body);
export const put = <T>(path: string, body: unknown) => call<T>('PUT', path, body);
export const del = <T>(path: string) => call<T>('DELETE', path);

/** Plain-text download (CSV statements) with the bearer token, for a link the user clicks. */
export async function download(path: string, filename: string): Promise<void> {
  const token = savedToken();
  const res = await fetch(API + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new ApiError(path, res.status, res.statusText);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}
