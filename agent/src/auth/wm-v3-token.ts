import { createHash } from 'node:crypto';

/**
 * Whatsminer API v3 write token (docs/reference.md §3, WM wm-api-v3.js):
 * base64(sha256(cmd + password + salt + ts)) cut to 8 characters.
 */
export function wmV3Token(cmd: string, password: string, salt: string, ts: number): string {
  return createHash('sha256').update(`${cmd}${password}${salt}${ts}`).digest('base64').slice(0, 8);
}

/** The salt from a `get.device.info` reply (`msg.salt`), or null. */
export function saltOf(reply: string): string | null {
  try {
    const v = JSON.parse(reply) as { msg?: { salt?: unknown } };
    return typeof v.msg?.salt === 'string' ? v.msg.salt : null;
  } catch {
    return null;
  }
}
