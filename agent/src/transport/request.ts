import type { MinerRequest } from '@hashfleet/firmware-profiles';
import { accountsFor, missingAccount } from '../auth/accounts.js';
import type { AgentConfig } from '../config.js';
import { TransportError } from './errors.js';
import { type HttpAuth, httpExchange } from './http.js';
import { rpcExchange } from './rpc.js';
import { type KnownHosts, sshExec } from './ssh.js';
import { wmV3Exchange } from './wm-v3.js';

/** What a request needs beyond itself: real ports, site credentials, trusted SSH host keys. */
export type RequestContext = {
  ports: AgentConfig['miners']['ports'];
  credentials: AgentConfig['credentials'];
  knownHosts: KnownHosts;
  /** Bearer tokens by miner IP (VNish unlock with the web password), obtained on demand. */
  bearer: (ip: string, password: string, deadlineMs: number) => Promise<string>;
};

/** The miner a request goes to; its profile picks its accounts (credentials.byProfile). */
export type MinerAddress = { ip: string; profileId: string };

/** The standard port a profile names, moved to where this site really serves it. */
export function realPort(
  ports: RequestContext['ports'],
  transport: MinerRequest['transport'],
  port: number,
): number {
  if (transport === 'rpc' && port === 4028) return ports.rpc;
  if (transport === 'wm-v3' && port === 4433) return ports.wmV3;
  if (transport === 'http' && port === 80) return ports.http;
  return port;
}

/** Bodies of requests already sent: a profile's poll steps are the same objects every cycle. */
const rpcBodies = new WeakMap<Extract<MinerRequest, { transport: 'rpc' }>, string>();

/**
 * The bytes of an RPC request: JSON `{"command":..}` (or btminer's `cmd`), or text `cmd|param`.
 * Requests are data that nothing changes once made (profiles' poll steps, filled command steps),
 * so each one's body is built once.
 */
export function rpcBody(req: Extract<MinerRequest, { transport: 'rpc' }>): string {
  let body = rpcBodies.get(req);
  if (body === undefined) {
    body = buildRpcBody(req);
    rpcBodies.set(req, body);
  }
  return body;
}

function buildRpcBody(req: Extract<MinerRequest, { transport: 'rpc' }>): string {
  if (req.format === 'text')
    return req.parameter === undefined ? req.command : `${req.command}|${req.parameter}`;
  const body: Record<string, unknown> = { [req.key ?? 'command']: req.command, ...req.fields };
  if (req.parameter !== undefined) body['parameter'] = req.parameter;
  return JSON.stringify(body);
}

function webAccount(ctx: RequestContext, miner: MinerAddress): { user: string; password: string } {
  const web = accountsFor(ctx.credentials, miner.profileId).web;
  if (!web) throw new TransportError('auth', missingAccount('web', miner.profileId));
  return { user: web.user ?? 'root', password: web.password.reveal() };
}

async function httpAuth(
  ctx: RequestContext,
  miner: MinerAddress,
  auth: string,
  deadlineMs: number,
): Promise<HttpAuth> {
  switch (auth) {
    case 'digest':
      return { kind: 'digest', ...webAccount(ctx, miner) };
    case 'basic':
      return { kind: 'basic', ...webAccount(ctx, miner) };
    case 'bearer-vnish':
      return {
        kind: 'bearer',
        token: await ctx.bearer(miner.ip, webAccount(ctx, miner).password, deadlineMs),
      };
    default:
      return { kind: 'none' };
  }
}

/**
 * Sends one request and returns the raw reply body. Throws a TransportError (never anything else)
 * within `deadlineMs` of the call.
 */
export async function sendRequest(
  ctx: RequestContext,
  miner: MinerAddress,
  req: MinerRequest,
  deadlineMs: number,
): Promise<string> {
  const { ip } = miner;
  switch (req.transport) {
    case 'rpc':
      return rpcExchange(ip, realPort(ctx.ports, 'rpc', req.port), rpcBody(req), deadlineMs);
    case 'wm-v3': {
      const body: Record<string, unknown> = { cmd: req.cmd };
      if (req.param !== undefined) body['param'] = req.param;
      return wmV3Exchange(ip, realPort(ctx.ports, 'wm-v3', req.port), JSON.stringify(body), deadlineMs);
    }
    case 'http': {
      const started = Date.now();
      const auth = await httpAuth(ctx, miner, req.auth, deadlineMs);
      const left = Math.max(1, deadlineMs - (Date.now() - started));
      const body = req.body === undefined ? undefined : JSON.stringify(req.body);
      const reply = await httpExchange(
        ip,
        realPort(ctx.ports, 'http', req.port),
        req.method,
        req.path,
        body,
        auth,
        left,
      );
      if (reply.status < 200 || reply.status > 299) {
        throw new TransportError(
          reply.status === 401 || reply.status === 403 ? 'auth' : 'protocol',
          `HTTP ${reply.status}`,
        );
      }
      return reply.body;
    }
    case 'ssh': {
      const ssh = accountsFor(ctx.credentials, miner.profileId).ssh;
      if (!ssh) throw new TransportError('auth', missingAccount('ssh', miner.profileId));
      const result = await sshExec(
        {
          host: ip,
          port: ctx.ports.ssh,
          user: ssh.user ?? 'root',
          password: ssh.password?.reveal(),
          privateKey: ssh.privateKey?.reveal(),
          knownHosts: ctx.knownHosts,
        },
        req.command,
        deadlineMs,
      );
      if (result.exitCode !== null && result.exitCode !== 0) {
        throw new TransportError('protocol', `exit status ${result.exitCode}`);
      }
      return result.stdout;
    }
  }
}
