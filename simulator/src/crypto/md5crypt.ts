import { createHash } from 'node:crypto';

/**
 * FreeBSD/Linux `$1$` MD5-crypt (Poul-Henning Kamp's algorithm), which btminer's API v2 token
 * scheme is built on (docs/reference.md §2). Node's crypto has no crypt(3), hence this file.
 */
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const md5 = (...parts: (Buffer | string)[]): Buffer => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};

const to64 = (value: number, n: number): string => {
  let s = '';
  let v = value;
  for (let i = 0; i < n; i++) {
    s += ITOA64[v & 0x3f];
    v >>>= 6;
  }
  return s;
};

/** Returns `$1$<salt>$<hash>`. */
export function md5crypt(password: string, rawSalt: string): string {
  const pw = Buffer.from(password, 'utf8');
  const salt = Buffer.from(
    rawSalt
      .replace(/^\$1\$/, '')
      .split('$')[0]!
      .slice(0, 8),
    'utf8',
  );
  const alt = md5(pw, salt, pw);
  const ctx = createHash('md5');
  ctx.update(pw);
  ctx.update('$1$');
  ctx.update(salt);
  for (let left = pw.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(16, left)));
  for (let i = pw.length; i; i >>>= 1) ctx.update(i & 1 ? Buffer.from([0]) : pw.subarray(0, 1));
  let final: Buffer = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const parts: Buffer[] = [];
    parts.push(i & 1 ? pw : final);
    if (i % 3) parts.push(salt);
    if (i % 7) parts.push(pw);
    parts.push(i & 1 ? final : pw);
    final = md5(...parts);
  }
  const f = final;
  const hash =
    to64((f[0]! << 16) | (f[6]! << 8) | f[12]!, 4) +
    to64((f[1]! << 16) | (f[7]! << 8) | f[13]!, 4) +
    to64((f[2]! << 16) | (f[8]! << 8) | f[14]!, 4) +
    to64((f[3]! << 16) | (f[9]! << 8) | f[15]!, 4) +
    to64((f[4]! << 16) | (f[10]! << 8) | f[5]!, 4) +
    to64(f[11]!, 2);
  return `$1$${salt.toString('utf8')}$${hash}`;
}

/** The hash field (4th `$`-separated part) of an md5crypt result. */
export const md5cryptHash = (password: string, salt: string): string =>
  md5crypt(password, salt).split('$')[3]!;
