import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Mosquitto 2's password file, written without mosquitto_passwd: one `user:hash` line per user,
 * hash `$7$<iterations>$<salt>$<key>` = PBKDF2-HMAC-SHA512 over the password with a 12-byte salt,
 * 64-byte key, both standard base64 (what `mosquitto_passwd -H sha512-pbkdf2`, its default, writes;
 * interop/deploy-agent-credentials.test.ts proves a real Mosquitto accepts it).
 */
const ITERATIONS = 101;
const SALT_BYTES = 12;
const KEY_BYTES = 64;

export function mosquittoPasswordHash(password: string, salt: Buffer = randomBytes(SALT_BYTES)): string {
  const key = pbkdf2Sync(password, salt, ITERATIONS, KEY_BYTES, 'sha512');
  return `$7$${ITERATIONS}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `password` matches a `$7$` hash (as Mosquitto checks it). Other schemes never match. */
export function checkMosquittoPassword(hash: string, password: string): boolean {
  const m = /^\$7\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(hash);
  if (!m) return false;
  const expected = Buffer.from(m[3]!, 'base64');
  const actual = pbkdf2Sync(password, Buffer.from(m[2]!, 'base64'), Number(m[1]), expected.length, 'sha512');
  return timingSafeEqual(expected, actual);
}

/** Mosquitto splits a line at the first ":", so a username with one could never log in. */
export function checkUsername(user: string): string | null {
  if (!user) return 'empty username';
  if (/[:\s]/.test(user)) return `username "${user}": must not contain ":" or white space`;
  return null;
}

/** The password file with `user`'s line set to `hash` (replaced in place, else appended). */
export function setPasswordEntry(fileText: string, user: string, hash: string): string {
  const lines = fileText.split('\n').filter((line) => line.trim() !== '');
  const entry = `${user}:${hash}`;
  const at = lines.findIndex((line) => line.slice(0, line.indexOf(':')) === user && line.includes(':'));
  if (at >= 0) lines[at] = entry;
  else lines.push(entry);
  return `${lines.join('\n')}\n`;
}

/** A broker password: 32 characters of base64url (192 bits). */
export function newBrokerPassword(): string {
  return randomBytes(24).toString('base64url');
}
