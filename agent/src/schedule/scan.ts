import type { AgentConfig } from '../config.js';
import { type ProbeResult, scan } from '../discovery.js';
import type { AgentMetrics } from '../metrics.js';
import type { Poller, Target } from '../poll/poller.js';
import { addresses } from '../targets.js';
import type { RequestContext } from '../transport/request.js';

/**
 * Scans the configured ranges and hands every miner found to the poller as it answers (so it joins
 * the next cycle, and `onNew` hears of one the poller did not know); an address that answers with
 * no known firmware is counted. Returns what answered, found or not.
 */
export async function scanInto(
  ctx: RequestContext,
  config: Pick<AgentConfig, 'miners' | 'discovery'>,
  poller: Pick<Poller, 'upsert' | 'targets'>,
  metrics: Pick<AgentMetrics, 'error'>,
  onNew?: (target: Target) => void,
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  await scan(ctx, addresses(config.miners.ranges), config.discovery, (r) => {
    if (r.status === 'none') return;
    results.push(r);
    if (r.status === 'found') {
      const d = r.detection;
      const known = poller.targets.has(r.ip);
      const target = poller.upsert({
        ip: r.ip,
        profile: d.profile,
        port: d.port,
        model: d.model,
        firmwareVersion: d.firmwareVersion,
      });
      if (target && !known) onNew?.(target);
    } else metrics.error('discovery', 'unknown-firmware');
  });
  return results;
}
