import type { Detection, DetectReplies } from '@hashfleet/firmware-profiles';
import { detectFirmware } from '@hashfleet/firmware-profiles/registry';
import { forEachBounded } from './poll/pool.js';
import { TransportError } from './transport/errors.js';
import { type RequestContext, rpcBody } from './transport/request.js';
import { rpcExchange, tcpProbe } from './transport/rpc.js';
import { wmV3Exchange } from './transport/wm-v3.js';

export type ProbeResult =
  | { ip: string; status: 'found'; detection: Detection }
  | { ip: string; status: 'unknown'; error: string }
  | { ip: string; status: 'none' };

const rpcReq = (command: string) => rpcBody({ transport: 'rpc', port: 4028, command, format: 'json' });

async function tryOr<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch {
    return null;
  }
}

/**
 * Identifies what answers at one address: a TCP connect to the RPC and v3 ports first (cheap, and
 * most of a range is empty), then `version` + `devdetails` over RPC and `get.device.info` over v3,
 * handed to the profiles' detection.
 */
export async function probeAddress(ctx: RequestContext, ip: string, timeoutMs: number): Promise<ProbeResult> {
  const [rpcOpen, v3Open] = await Promise.all([
    tryOr(tcpProbe(ip, ctx.ports.rpc, timeoutMs).then(() => true)),
    tryOr(tcpProbe(ip, ctx.ports.wmV3, timeoutMs).then(() => true)),
  ]);
  if (!rpcOpen && !v3Open) return { ip, status: 'none' };
  const replies: DetectReplies = { version: null, devdetails: null, deviceInfo: null };
  if (rpcOpen) {
    // Sequential: cgminer serves one API client at a time (Canaan manual §1).
    replies.version = await tryOr(rpcExchange(ip, ctx.ports.rpc, rpcReq('version'), timeoutMs));
    replies.devdetails = await tryOr(rpcExchange(ip, ctx.ports.rpc, rpcReq('devdetails'), timeoutMs));
  }
  if (v3Open) {
    replies.deviceInfo = await tryOr(
      wmV3Exchange(ip, ctx.ports.wmV3, JSON.stringify({ cmd: 'get.device.info' }), timeoutMs),
    );
  }
  let detection: Detection | null = null;
  try {
    detection = detectFirmware(replies);
  } catch (err) {
    return { ip, status: 'unknown', error: `detect: ${(err as Error).message}` };
  }
  if (!detection) {
    const answered = replies.version ?? replies.devdetails ?? replies.deviceInfo;
    return {
      ip,
      status: 'unknown',
      error: answered
        ? `no profile recognises the replies (${describeReplies(replies)})`
        : new TransportError('empty', 'port open, no reply').message,
    };
  }
  return { ip, status: 'found', detection };
}

function describeReplies(r: DetectReplies): string {
  const size = (v: string | null) => (v === null ? 'none' : `${v.length} bytes`);
  return `version: ${size(r.version)}, devdetails: ${size(r.devdetails)}, deviceInfo: ${size(r.deviceInfo)}`;
}

/**
 * A scan starts with this many probes at once and grows to its concurrency (forEachBounded's ramp):
 * at full concurrency from the start, a starting agent's first miner answered 170-250 ms after the
 * scan began and its first poll took 400-500 ms more, both behind 512 connects (issue 15, launch ->
 * first sample < 2 s; launched agent, 5,000 simulated miners, load 5.5-6.7).
 */
export const SCAN_RAMP = { from: 16, everyMs: 100 };

/** Probes every address with bounded concurrency, reporting each result as it completes. */
export async function scan(
  ctx: RequestContext,
  ips: Iterable<string>,
  opts: { concurrency: number; timeoutMs: number },
  onResult: (r: ProbeResult) => void,
): Promise<void> {
  await forEachBounded(
    ips,
    opts.concurrency,
    async (ip) => {
      onResult(await probeAddress(ctx, ip, opts.timeoutMs));
    },
    SCAN_RAMP,
  );
}
