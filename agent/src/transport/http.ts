import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { fromSocketError, MAX_REPLY_BYTES, TransportError } from './errors.js';

export type HttpAuth =
  | { kind: 'none' }
  | { kind: 'basic'; user: string; password: string }
  | { kind: 'digest'; user: string; password: string }
  | { kind: 'bearer'; token: string };

export type HttpReply = { status: number; body: string };

type RawRequest = {
  host: string;
  port: number;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers: Record<string, string>;
  signal: AbortSignal;
};

function send(
  req: RawRequest,
): Promise<HttpReply & { headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(req.body));
    }
    const r = request(
      { host: req.host, port: req.port, method: req.method, path: req.path, headers, signal: req.signal },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_REPLY_BYTES) {
            res.destroy(new TransportError('too-large', `reply exceeds ${MAX_REPLY_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', (err) => reject(fromSocketError(err)));
      },
    );
    r.on('error', (err) => {
      if (req.signal.aborted) reject(new TransportError('timeout', 'timeout'));
      else reject(fromSocketError(err));
    });
    r.end(req.body);
  });
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Parses `Digest realm="x", nonce="y", qop="auth"` into its parameters. */
export function parseChallenge(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.replace(/^Digest\s+/i, '').matchAll(/(\w+)=("([^"]*)"|[^,\s]+)/g)) {
    out[m[1]!.toLowerCase()] = m[3] ?? m[2]!;
  }
  return out;
}

/** RFC 2617 Digest response (MD5, qop=auth) — Antminer CGI, realm `antMiner Configuration`. */
export function digestHeader(
  challenge: Record<string, string>,
  method: string,
  path: string,
  user: string,
  password: string,
  cnonce = randomBytes(8).toString('hex'),
): string {
  const realm = challenge['realm'] ?? '';
  const nonce = challenge['nonce'] ?? '';
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${path}`);
  const qop = challenge['qop']?.split(',')[0]?.trim();
  const nc = '00000001';
  const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const parts = [
    `username="${user}"`,
    `realm="${realm}"`,
    `nonce="${nonce}"`,
    `uri="${path}"`,
    `response="${response}"`,
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (challenge['opaque']) parts.push(`opaque="${challenge['opaque']}"`);
  return `Digest ${parts.join(', ')}`;
}

/** One HTTP request with auth, under one deadline (both legs of a digest exchange included). */
export async function httpExchange(
  host: string,
  port: number,
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
  auth: HttpAuth,
  deadlineMs: number,
): Promise<HttpReply> {
  const signal = AbortSignal.timeout(deadlineMs);
  const headers: Record<string, string> = {};
  if (auth.kind === 'basic') {
    headers['authorization'] = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
  }
  if (auth.kind === 'bearer') headers['authorization'] = `Bearer ${auth.token}`;
  try {
    const first = await send({ host, port, method, path, body, headers, signal });
    if (first.status !== 401 || auth.kind !== 'digest') return { status: first.status, body: first.body };
    const challenge = first.headers['www-authenticate'];
    const text = Array.isArray(challenge) ? challenge.find((c) => /^digest/i.test(c)) : challenge;
    if (!text || !/^digest/i.test(text))
      throw new TransportError('auth', 'HTTP 401 without a Digest challenge');
    headers['authorization'] = digestHeader(parseChallenge(text), method, path, auth.user, auth.password);
    const second = await send({ host, port, method, path, body, headers, signal });
    if (second.status === 401) throw new TransportError('auth', 'HTTP 401: digest credentials rejected');
    return { status: second.status, body: second.body };
  } catch (err) {
    if (signal.aborted) throw new TransportError('timeout', `timeout after ${deadlineMs} ms`);
    throw fromSocketError(err);
  }
}
