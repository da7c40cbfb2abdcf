import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { md5cryptHash } from './md5crypt.js';

/** What `get_token` answers (fixture whatsminer/m3x-get_token.json): Msg {time, salt, newsalt}. */
export type WmV2Challenge = { time: string; salt: string; newsalt: string };

export function parseChallenge(reply: string): WmV2Challenge | null {
  try {
    const msg = (JSON.parse(reply.replace(/\0+$/, '')) as { Msg?: Record<string, unknown> }).Msg;
    if (!msg || typeof msg['salt'] !== 'string' || typeof msg['newsalt'] !== 'string') return null;
    return { time: String(msg['time'] ?? ''), salt: msg['salt'], newsalt: msg['newsalt'] };
  } catch {
    return null;
  }
}

/**
 * Whatsminer API v2 privileged envelope (docs/reference.md §2): key = sha256(md5crypt(password, salt)),
 * host_sign = md5crypt(md5crypt(password, salt) + time, newsalt); the command plus `token` is JSON,
 * NUL-padded to 16 bytes, AES-256-ECB, base64, sent as `{"enc":1,"data":...}`.
 */
export function sealCommand(password: string, challenge: WmV2Challenge, command: Record<string, unknown>) {
  const passwdMd5 = md5cryptHash(password, challenge.salt);
  const key = createHash('sha256').update(passwdMd5).digest();
  const token = md5cryptHash(passwdMd5 + challenge.time, challenge.newsalt);
  const plain = Buffer.from(JSON.stringify({ ...command, token }), 'utf8');
  const padded = Buffer.alloc(Math.ceil(plain.length / 16) * 16 || 16);
  plain.copy(padded);
  const cipher = createCipheriv('aes-256-ecb', key, null);
  cipher.setAutoPadding(false);
  const data = Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
  return { body: JSON.stringify({ enc: 1, data }), key };
}

/** Opens an `{"enc":"..."}` reply; a reply that is not encrypted (an error) is returned as is. */
export function openReply(key: Buffer, reply: string): string {
  let enc: unknown;
  try {
    enc = (JSON.parse(reply.replace(/\0+$/, '')) as { enc?: unknown }).enc;
  } catch {
    return reply;
  }
  if (typeof enc !== 'string') return reply;
  const decipher = createDecipheriv('aes-256-ecb', key, null);
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(Buffer.from(enc, 'base64')), decipher.final()])
    .toString('utf8')
    .replace(/\0+$/, '');
}
