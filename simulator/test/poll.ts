import type { MinerRequest, PollStep, RawReplies } from '@hashfleet/firmware-profiles';
import { rpc, wmV3 } from './client.js';

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
 * HTTP and SSH steps are not simulated and come back null (the profiles mark them optional).
 */
export async function pollOnce(ip: string, steps: PollStep[]): Promise<RawReplies> {
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
      } else raw[step.key] = null;
    } catch {
      raw[step.key] = null;
    }
  }
  return raw;
}
