import type { MinerRequest, PollStep, RawReplies } from '@hashfleet/firmware-profiles';
import { digestFetch, rpc, wmV3 } from './client.js';

/** Renders a profile's RPC request as the bytes a poller sends (cgminer JSON/text, btminer `cmd`). */
export function rpcBody(req: Extract<MinerRequest, { transport: 'rpc' }>): string {
  if (req.format === 'text')
    return req.parameter === undefined ? req.command : `${req.command}|${req.parameter}`;
  const body: Record<string, unknown> = { [req.key ?? 'command']: req.command };
  if (req.parameter !== undefined) body.parameter = req.parameter;
  const fields = (req as { fields?: Record<string, unknown> }).fields;
  if (fields) Object.assign(body, fields);
  return JSON.stringify(body);
}

/**
 * Runs a profile's poll steps against one miner over real TCP, as a bare poller would.
 * Antminer CGI (digest) and VNish web (bearer) requests go to `httpPort`; SSH steps come back null.
 */
export async function pollOnce(ip: string, steps: PollStep[], httpPort?: number): Promise<RawReplies> {
  const raw: RawReplies = {};
  for (const step of steps) {
    const r = step.request;
    try {
      if (r.transport === 'rpc') raw[step.key] = (await rpc(ip, r.port, rpcBody(r))).toString('latin1');
      else if (r.transport === 'wm-v3') {
        const [reply] = await wmV3(ip, r.port, [
          r.param === undefined ? { cmd: r.cmd } : { cmd: r.cmd, param: r.param },
        ]);
        raw[step.key] = JSON.stringify(reply);
      } else if (
        r.transport === 'http' &&
        r.auth === 'digest' &&
        httpPort !== undefined &&
        r.method === 'GET'
      ) {
        const res = await digestFetch(`http://${ip}:${httpPort}${r.path}`, 'root', 'root');
        raw[step.key] = res.status === 200 ? res.text : null;
      } else if (r.transport === 'http' && r.auth === 'bearer-vnish' && httpPort !== undefined) {
        const unlock = await fetch(`http://${ip}:${httpPort}/api/v1/unlock`, {
          method: 'POST',
          body: '{"pw":"admin"}',
        });
        const { token } = (await unlock.json()) as { token: string };
        const res = await fetch(`http://${ip}:${httpPort}${r.path}`, {
          method: r.method,
          headers: { authorization: `Bearer ${token}` },
        });
        raw[step.key] = res.status === 200 ? await res.text() : null;
      } else raw[step.key] = null;
    } catch {
      raw[step.key] = null;
    }
  }
  return raw;
}
