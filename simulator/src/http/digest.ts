import { createHash, randomBytes } from 'node:crypto';

/**
 * HTTP Digest authentication (RFC 7616 with MD5, qop=auth, and RFC 2069 without qop), as the
 * Antminer web UI asks for it: realm `antMiner Configuration`, user `root` (docs/reference.md §4).
 */
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

export function parseDigest(header: string | undefined): Record<string, string> | null {
  if (!header?.startsWith('Digest ')) return null;
  const out: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) out[m[1]!] = m[2] ?? m[3] ?? '';
  return out;
}

export class DigestRealm {
  private readonly nonces = new Set<string>();
  constructor(readonly realm: string) {}

  challenge(): string {
    const nonce = randomBytes(16).toString('hex');
    this.nonces.add(nonce);
    // Bounded: an old nonce simply earns a fresh challenge.
    if (this.nonces.size > 4096) this.nonces.delete(this.nonces.values().next().value!);
    return `Digest realm="${this.realm}", nonce="${nonce}", qop="auth", algorithm=MD5`;
  }

  verify(header: string | undefined, method: string, user: string, password: string): boolean {
    const d = parseDigest(header);
    if (
      !d ||
      d.username !== user ||
      d.realm !== this.realm ||
      !d.nonce ||
      !this.nonces.has(d.nonce) ||
      !d.uri
    )
      return false;
    const ha1 = md5(`${user}:${this.realm}:${password}`);
    const ha2 = md5(`${method}:${d.uri}`);
    const expected = d.qop
      ? md5(`${ha1}:${d.nonce}:${d.nc}:${d.cnonce}:${d.qop}:${ha2}`)
      : md5(`${ha1}:${d.nonce}:${ha2}`);
    return expected === d.response;
  }
}

/** Client side, for tests and `record`: the Authorization header answering a challenge. */
export function digestAuthorization(
  challenge: string,
  method: string,
  uri: string,
  user: string,
  password: string,
): string {
  const c = parseDigest(challenge) ?? {};
  const cnonce = randomBytes(8).toString('hex');
  const nc = '00000001';
  const ha1 = md5(`${user}:${c.realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = md5(`${ha1}:${c.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${c.realm}", nonce="${c.nonce}", uri="${uri}", qop=auth, nc=${nc}, cnonce="${cnonce}", response="${response}", algorithm=MD5`;
}
