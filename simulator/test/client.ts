import { connect } from 'node:net';
import ssh2 from 'ssh2';
import { digestAuthorization } from '../src/http/digest.js';

/** A bare cgminer-style client: one request per connection, read until the miner closes. */
export function rpc(host: string, port: number, request: string, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port }, () => socket.write(request));
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(Object.assign(new Error(`miner ${host}: timeout`), { code: 'ETIMEDOUT' }));
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

export const json = (command: string, parameter?: string) =>
  JSON.stringify(parameter === undefined ? { command } : { command, parameter });

/** Parses a reply the way a tolerant client would: strip the NUL, repair bmminer's `}{`. */
export function parse(reply: Buffer): Record<string, unknown> {
  return JSON.parse(reply.toString('latin1').replace(/\0$/, '').replace(/}{/g, '},{')) as Record<
    string,
    unknown
  >;
}

/** Whatsminer v3: send framed requests over one connection, read one frame per request. */
export function wmV3(
  host: string,
  port: number,
  requests: unknown[],
  timeoutMs = 3000,
): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const out: Record<string, unknown>[] = [];
    let buf = Buffer.alloc(0);
    const socket = connect({ host, port }, () => {
      for (const r of requests) {
        const body = Buffer.from(JSON.stringify(r));
        const head = Buffer.alloc(4);
        head.writeUInt32LE(body.length);
        socket.write(Buffer.concat([head, body]));
      }
    });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`miner ${host}: v3 timeout`));
    });
    socket.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) {
        const len = buf.readUInt32LE(0);
        out.push(JSON.parse(buf.subarray(4, 4 + len).toString('utf8')) as Record<string, unknown>);
        buf = buf.subarray(4 + len);
        if (out.length === requests.length) {
          socket.destroy();
          resolve(out);
        }
      }
    });
    socket.on('error', reject);
  });
}

/** HTTP with Digest auth (answers the 401 challenge once), as the agent talks to Antminer CGI. */
export async function digestFetch(
  url: string,
  user: string,
  password: string,
  init: { method?: string; body?: string } = {},
): Promise<{ status: number; text: string; challenge: string | null }> {
  const method = init.method ?? 'GET';
  const first = await fetch(url, { method, body: init.body });
  const challenge = first.headers.get('www-authenticate');
  if (first.status !== 401 || !challenge)
    return { status: first.status, text: await first.text(), challenge };
  await first.text();
  const uri = new URL(url).pathname;
  const authorization = digestAuthorization(challenge, method, uri, user, password);
  const second = await fetch(url, { method, body: init.body, headers: { authorization } });
  return { status: second.status, text: await second.text(), challenge };
}

/** Runs one command over SSH as root; resolves with its exit code. */
export function sshExec(
  ip: string,
  port: number,
  password: string,
  command: string,
  hostKey?: string | null,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.on('ready', () => {
      c.exec(command, (err, stream) => {
        if (err) return reject(err);
        stream.resume();
        stream.stderr.resume();
        stream.on('exit', (code: number) => {
          c.end();
          resolve(code);
        });
      });
    });
    c.on('error', reject);
    c.connect({
      host: ip,
      port,
      username: 'root',
      password,
      readyTimeout: 5000,
      hostVerifier: (key: Buffer) => !hostKey || `ssh-rsa ${key.toString('base64')}` === hostKey,
    });
  });
}
