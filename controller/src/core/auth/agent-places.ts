import type { Db } from '../storage/db.js';

/** A container and its site: what an agent credential may speak for. */
export type AgentPlace = { siteId: string; containerId: string };

/**
 * Binds an agent to the places it may speak for (the agent registry; issue 17 item 1): replaces
 * its earlier list. Set by `token create --role agent --site S --container C` and by
 * `broker add-agent ... --site S --container C`.
 */
export async function bindAgentPlaces(db: Db, agentId: string, places: AgentPlace[], now: number) {
  await db.tx(async (tx) => {
    await tx.run('DELETE FROM agent_places WHERE agent_id = ?', [agentId]);
    for (const p of places)
      await tx.run(
        'INSERT INTO agent_places (agent_id, site_id, container_id, created_at) VALUES (?, ?, ?, ?)',
        [agentId, p.siteId, p.containerId, now],
      );
  });
}

export async function agentPlaces(db: Db, agentId: string): Promise<AgentPlace[]> {
  const rows = await db.all<{ site_id: string; container_id: string }>(
    'SELECT site_id, container_id FROM agent_places WHERE agent_id = ? ORDER BY container_id',
    [agentId],
  );
  return rows.map((r) => ({ siteId: r.site_id, containerId: r.container_id }));
}

/**
 * Whether `agentId` may speak for `claimed`, given every registry row naming the agent or the
 * claimed container:
 * - `own`: the agent is bound to that container at that site;
 * - `foreign_place`: the agent is bound elsewhere, or the container (or that container at
 *   another site) belongs to another agent;
 * - `unbound`: neither the agent nor the container is in the registry (a deployment that has not
 *   bound its agents yet); accepted and counted, so an operator sees who still needs binding.
 */
export type PlaceVerdict = 'own' | 'foreign_place' | 'unbound';

export function placeVerdict(
  agentId: string,
  rows: { agentId: string; siteId: string; containerId: string }[],
  claimed: AgentPlace,
): PlaceVerdict {
  const mine = rows.filter((r) => r.agentId === agentId);
  if (mine.some((r) => r.containerId === claimed.containerId && r.siteId === claimed.siteId)) return 'own';
  if (mine.length > 0) return 'foreign_place';
  return rows.some((r) => r.containerId === claimed.containerId) ? 'foreign_place' : 'unbound';
}

/** `--site S --container C [--container D]` from CLI arguments; null when neither is given. */
export function placesFromArgs(args: string[]): { places: AgentPlace[] } | { error: string } | null {
  const site = args.flatMap((a, i) => (a === '--site' ? [args[i + 1]] : []));
  const containers = args.flatMap((a, i) => (a === '--container' ? [args[i + 1]] : []));
  if (site.length === 0 && containers.length === 0) return null;
  if (site.length !== 1 || !site[0] || site[0].startsWith('--'))
    return { error: '--site: give exactly one site id with --container' };
  if (containers.length === 0 || containers.some((c) => !c || c.startsWith('--')))
    return { error: '--container: give at least one container id with --site' };
  return { places: (containers as string[]).map((containerId) => ({ siteId: site[0]!, containerId })) };
}
