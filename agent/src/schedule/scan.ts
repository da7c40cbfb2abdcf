import type { AgentConfig } from '../config.js';
import { type ProbeResult, scan } from '../discovery.js';
import type { AgentMetrics } from '../metrics.js';
import type { Poller } from '../poll/poller.js';
import { addresses } from '../targets.js';
import type { RequestContext } from '../transport/request.js';

/**
 * Scans the configured ranges and hands every miner found to the poller as it answers (so it joins
 * the next cycle); an address that answers with no known firmware is counted. Returns what
 * answered, found or not.
 */
export async function scanInto(
  ctx: RequestContext,
  config: Pick<AgentConfig, 'miners' | 'discovery'>,
  poller: Pick<Poller, 'upsert'>,
  metrics: Pick<AgentMetrics, 'error'>,
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  await scan(ctx, addresses(config.miners.ranges), config.discovery, (r) => {
    if (r.status === 'none') return;
    results.push(r);
    if (r.status === 'found') {
      const d = r.detection;
      poller.upsert({
        ip: r.ip,
        profile: d.profile,
        port: d.port,
        model: d.model,
        firmwareVersion: d.firmwareVersion,
      });
    } else metrics.error('discovery', 'unknown-firmware');
  });
  return results;
}
