import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { md5cryptHash } from './md5crypt.js';

/**
 * Whatsminer API v2 privileged envelope (docs/reference.md §2, after pyasic rpc/btminer.py):
 * key = sha256(md5crypt(password, salt) hash), AES-256-ECB over the NUL-padded JSON, base64.
 * Exported for both sides so tests can act as a client exactly as the agent will.
 */
export function wmV2Key(password: string, salt: string): Buffer {
  return createHash('sha256').update(md5cryptHash(password, salt)).digest();
}

/** host_sign: md5crypt(host_passwd_md5 + time, newsalt) hash. */
export function wmV2Sign(password: string, salt: string, time: string, newsalt: string): string {
  return md5cryptHash(md5cryptHash(password, salt) + time, newsalt);
}

export function wmV2Encrypt(key: Buffer, plain: string): string {
  const data = Buffer.from(plain, 'utf8');
  const padded = Buffer.alloc(Math.ceil(data.length / 16) * 16 || 16);
  data.copy(padded);
  const cipher = createCipheriv('aes-256-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

/** Decrypts and strips the NUL padding; throws when the key is wrong or the data malformed. */
export function wmV2Decrypt(key: Buffer, b64: string): string {
  const decipher = createDecipheriv('aes-256-ecb', key, null);
  decipher.setAutoPadding(false);
  const out = Buffer.concat([decipher.update(Buffer.from(b64, 'base64')), decipher.final()]);
  return out.toString('utf8').replace(/\0+$/, '');
}

/** Whatsminer API v3 per-command token: base64(sha256(cmd + password + salt + ts))[0:8] (docs/reference.md §3). */
export function wmV3Token(cmd: string, password: string, salt: string, ts: number): string {
  return createHash('sha256').update(`${cmd}${password}${salt}${ts}`).digest('base64').slice(0, 8);
}

/** AES-256-ECB with PKCS7 of a v3 parameter (set.miner.pools), key = sha256(cmd+password+salt+ts). */
export function wmV3DecryptParam(
  cmd: string,
  password: string,
  salt: string,
  ts: number,
  b64: string,
): string {
  const key = createHash('sha256').update(`${cmd}${password}${salt}${ts}`).digest();
  const decipher = createDecipheriv('aes-256-ecb', key, null);
  return Buffer.concat([decipher.update(Buffer.from(b64, 'base64')), decipher.final()]).toString('utf8');
}

/** Client side of wmV3DecryptParam: what the agent sends as `param` of set.miner.pools. */
export function wmV3EncryptParam(
  cmd: string,
  password: string,
  salt: string,
  ts: number,
  plain: string,
): string {
  const key = createHash('sha256').update(`${cmd}${password}${salt}${ts}`).digest();
  const cipher = createCipheriv('aes-256-ecb', key, null);
  return Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}
