import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { FirmwareImageRef } from '@hashfleet/contracts';
import type { AuthScheme, UpgradePath } from '@hashfleet/firmware-profiles';
import type { Accounts } from '../auth/accounts.js';
import { fromSocketError, TransportError } from '../transport/errors.js';
import { digestHeader, parseChallenge } from '../transport/http.js';
import { type RequestContext, realPort } from '../transport/request.js';
import { type SshTarget, sshExec } from '../transport/ssh.js';

/** A firmware upgrade a profile can carry out. */
export type Upgrade = Extract<UpgradePath, { ok: true }>['upgrade'];

/** The fetched image is not the one the command names: refused, and nothing reaches the miner. */
export class BadImage extends Error {}

/**
 * Time allowed to move an image: a base for the exchange plus 1 s per MB (a container's LAN moves
 * one far faster; the allowance only bounds a stalled transfer).
 */
export const transferMs = (sizeBytes: number): number => 30_000 + Math.ceil(sizeBytes / 1_000_000) * 1000;

/**
 * Fetches the image the command names (issue 20 item 4) from the controller with the agent's token
 * and checks it before anything is sent: more bytes than the command's size stop the download, and
 * a size or SHA-256 other than the command's is a BadImage. A path without a host has no
 * controller to come from here: the controller sends absolute URLs.
 */
export async function fetchImage(image: FirmwareImageRef, token: string | undefined): Promise<Buffer> {
  if (!/^https?:\/\//.test(image.url)) {
    throw new TransportError(
      'protocol',
      `image ${image.url}: this agent knows no controller URL to fetch a path from; the command must carry an absolute URL`,
    );
  }
  const signal = AbortSignal.timeout(transferMs(image.sizeBytes));
  let res: Response;
  try {
    res = await fetch(image.url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal });
  } catch (err) {
    throw signal.aborted
      ? new TransportError('timeout', `image ${image.url}: no answer in time`)
      : new TransportError('refused', `image ${image.url}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) {
    throw new TransportError(
      res.status === 401 || res.status === 403 ? 'auth' : 'protocol',
      `image ${image.url}: HTTP ${res.status}`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > image.sizeBytes) {
      await reader.cancel();
      throw new BadImage(`image ${image.url}: more than the command's ${image.sizeBytes} bytes`);
    }
    chunks.push(Buffer.from(value));
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.length !== image.sizeBytes)
    throw new BadImage(`image ${image.url}: ${bytes.length} bytes, the command names ${image.sizeBytes}`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== image.sha256)
    throw new BadImage(`image ${image.url}: SHA-256 ${sha256} is not the command's ${image.sha256}`);
  return bytes;
}

/** Where and as whom the agent logs in over SSH: the site's account, else the profile's default user. */
export function sshTargetOf(
  miner: { ip: string; accounts: Accounts },
  auth: AuthScheme,
  ctx: RequestContext,
): SshTarget {
  const ssh = miner.accounts.ssh!;
  return {
    host: miner.ip,
    port: ctx.ports.ssh,
    user: ssh.user ?? ('defaultUser' in auth ? auth.defaultUser : 'root'),
    password: ssh.password?.reveal(),
    privateKey: ssh.privateKey?.reveal(),
    knownHosts: ctx.knownHosts,
  };
}

/** multipart/form-data (RFC 7578): the text fields, then the image as a file part. */
export function multipartBody(
  fields: Record<string, string>,
  file: { field: string; fileName: string; bytes: Buffer },
): { body: Buffer; contentType: string } {
  const boundary = `----hashfleet${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.fileName}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

type Reply = { status: number; body: string; challenge: string | undefined };

function post(
  host: string,
  port: number,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  signal: AbortSignal,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host,
        port,
        method: 'POST',
        path,
        headers: { ...headers, 'content-length': String(body.length) },
        signal,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          if (text.length < 4096) text += c.toString('utf8');
        });
        res.on('end', () => {
          const www = res.headers['www-authenticate'];
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            challenge: Array.isArray(www) ? www.find((c) => /^digest/i.test(c)) : www,
          });
        });
        res.on('error', (err) => reject(fromSocketError(err)));
      },
    );
    r.on('error', (err) =>
      reject(signal.aborted ? new TransportError('timeout', 'timeout') : fromSocketError(err)),
    );
    r.end(body);
  });
}

/** The miner's words when it refused the upload, or null when it took it. */
const refusalOf = (reply: Reply): string | null =>
  reply.status >= 200 && reply.status <= 299
    ? null
    : `HTTP ${reply.status} ${reply.body.trim().slice(0, 200)}`.trim();

/**
 * Sends a checked image to the miner with its profile's transport and returns the miner's answer.
 * HTTP digest needs a challenge first: an empty POST fetches it, so the image crosses the wire once.
 * A refusal is a TransportError of kind `protocol` (or `auth`) with the miner's words.
 */
export async function sendImage(
  upgrade: Upgrade,
  image: Buffer,
  miner: { ip: string; accounts: Accounts },
  ctx: RequestContext,
  deadlineMs: number,
): Promise<string> {
  if (upgrade.kind === 'ssh-stream') {
    const r = await sshExec(sshTargetOf(miner, upgrade.auth, ctx), upgrade.command, deadlineMs, image);
    if (r.exitCode !== null && r.exitCode !== 0)
      throw new TransportError(
        'protocol',
        `exit status ${r.exitCode}${r.stdout.trim() ? `: ${r.stdout.trim()}` : ''}`,
      );
    // The miner reboots into the new image: a connection closed before the exit status is that.
    return r.closedEarly ? 'connection closed (rebooting)' : `exit 0 ${r.stdout.trim()}`.trim();
  }
  const web = miner.accounts.web!;
  const port = realPort(ctx.ports, 'http', upgrade.port);
  const { body, contentType } = multipartBody(upgrade.fields, {
    field: upgrade.field,
    fileName: upgrade.fileName,
    bytes: image,
  });
  const signal = AbortSignal.timeout(deadlineMs);
  const headers: Record<string, string> = { 'content-type': contentType };
  let reply: Reply;
  try {
    if (upgrade.auth.kind === 'vnish-bearer') {
      headers['authorization'] = `Bearer ${await ctx.bearer(miner.ip, web.password.reveal(), deadlineMs)}`;
      reply = await post(miner.ip, port, upgrade.path, headers, body, signal);
    } else {
      const probe = await post(miner.ip, port, upgrade.path, headers, Buffer.alloc(0), signal);
      if (probe.status !== 401) reply = await post(miner.ip, port, upgrade.path, headers, body, signal);
      else {
        if (!probe.challenge) throw new TransportError('auth', 'HTTP 401 without a Digest challenge');
        const user = web.user ?? ('defaultUser' in upgrade.auth ? upgrade.auth.defaultUser : 'root');
        headers['authorization'] = digestHeader(
          parseChallenge(probe.challenge),
          'POST',
          upgrade.path,
          user,
          web.password.reveal(),
        );
        reply = await post(miner.ip, port, upgrade.path, headers, body, signal);
      }
    }
  } catch (err) {
    if (signal.aborted) throw new TransportError('timeout', `upload: timeout after ${deadlineMs} ms`);
    throw err;
  }
  const refusal = refusalOf(reply);
  if (refusal)
    throw new TransportError(reply.status === 401 || reply.status === 403 ? 'auth' : 'protocol', refusal);
  return `HTTP ${reply.status} ${reply.body.trim().slice(0, 200)}`.trim();
}
