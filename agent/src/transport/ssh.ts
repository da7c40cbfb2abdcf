import { readFileSync } from 'node:fs';
import { fromSocketError, TransportError } from './errors.js';

/** Host keys by host, from an OpenSSH known_hosts file (plain host patterns; hashed entries skipped). */
export type KnownHosts = Map<string, Buffer[]>;

export function parseKnownHosts(text: string): KnownHosts {
  const hosts: KnownHosts = new Map();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#') || trimmed.startsWith('|')) continue;
    const [names, , key] = trimmed.split(/\s+/);
    if (!names || !key) continue;
    for (const name of names.split(',')) {
      // `[host]:port` entries are keyed by host only; one box serves one key per host here.
      const host = name.replace(/^\[([^\]]+)\](:\d+)?$/, '$1');
      const list = hosts.get(host) ?? [];
      list.push(Buffer.from(key, 'base64'));
      hosts.set(host, list);
    }
  }
  return hosts;
}

export function loadKnownHosts(path: string | undefined): KnownHosts {
  if (!path) return new Map();
  return parseKnownHosts(readFileSync(path, 'utf8'));
}

export type SshTarget = {
  host: string;
  port: number;
  user: string;
  password?: string;
  privateKey?: string;
  knownHosts: KnownHosts;
};

export type SshResult = { exitCode: number | null; stdout: string; closedEarly: boolean };

/**
 * Runs one command line. The host key must be in known_hosts: an unknown or changed key is
 * refused before any credential is sent. `closedEarly` is true when the connection dropped before
 * an exit status (a reboot does that).
 */
export async function sshExec(
  target: SshTarget,
  command: string,
  deadlineMs: number,
  /** Bytes for the command's standard input, then end of file (a firmware image, commands/upgrade.ts). */
  input?: Buffer,
): Promise<SshResult> {
  // Loaded by the first SSH command, not at start (issue 15): a fleet without SSH firmware never loads ssh2.
  const { Client } = await import('ssh2');
  return new Promise((resolve, reject) => {
    const client = new Client();
    let done = false;
    let hostKeyRejected = false;
    let stdout = '';
    let exitCode: number | null = null;
    let started = false;
    const finish = (err: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.end();
      if (err) reject(err);
      else resolve({ exitCode, stdout: stdout.slice(0, 4096), closedEarly: exitCode === null });
    };
    const timer = setTimeout(
      () => finish(new TransportError('timeout', `ssh: timeout after ${deadlineMs} ms`)),
      deadlineMs,
    );
    client.on('ready', () => {
      client.exec(command, (err, stream) => {
        if (err) return finish(new TransportError('protocol', `ssh exec: ${err.message}`));
        started = true;
        stream.on('data', (d: Buffer) => {
          if (stdout.length < 65_536) stdout += d.toString('utf8');
        });
        stream.stderr.on('data', () => {});
        stream.on('exit', (code: number | null) => {
          exitCode = code;
        });
        stream.on('close', () => finish(null));
        if (input) stream.end(input);
      });
    });
    client.on('error', (err: Error & { level?: string }) => {
      if (hostKeyRejected)
        return finish(new TransportError('host-key', `ssh: host key of ${target.host} not trusted`));
      if (err.level === 'client-authentication')
        return finish(new TransportError('auth', 'ssh: authentication failed'));
      if (started) return finish(null);
      finish(fromSocketError(err));
    });
    client.on('close', () => {
      if (started) finish(null);
      else finish(new TransportError('reset', 'ssh: connection closed before the command ran'));
    });
    client.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      password: target.password,
      privateKey: target.privateKey,
      readyTimeout: deadlineMs,
      hostVerifier: (key: Buffer) => {
        const trusted = target.knownHosts.get(target.host) ?? [];
        const ok = trusted.some((k) => k.equals(key));
        if (!ok) hostKeyRejected = true;
        return ok;
      },
    });
  });
}
