import type { DesiredSpec, Scope } from './schema.js';

/** An active desired state as resolution sees it. */
export type ActiveState = { versionId: string; version: number; scope: Scope; spec: DesiredSpec };

/** Where a miner is: what scopes match on and what worker patterns fill in. */
export type MinerPlace = {
  minerId: string;
  siteId: string | null;
  containerId: string | null;
  model: string | null;
  rack: string | null;
  slot: string | null;
};

type Managed = 'pool' | 'power' | 'sleepWindows' | 'firmware';
const MANAGED: Managed[] = ['pool', 'power', 'sleepWindows', 'firmware'];

/** A miner's desired state, field by field, each with the version it came from. */
export type Effective = {
  [K in Managed]?: { value: NonNullable<DesiredSpec[K]>; versionId: string; tolerancePct: number };
};

/** Most specific first: a saved selection names the miner, a container holds it, then model, then site. */
const RANK: Record<Scope['kind'], number> = { selection: 0, container: 1, model: 2, site: 3 };

export function scopeMatches(scope: Scope, m: MinerPlace): boolean {
  switch (scope.kind) {
    case 'site':
      return m.siteId === scope.siteId;
    case 'container':
      return m.containerId === scope.containerId;
    case 'model':
      return m.model === scope.model;
    case 'selection':
      return scope.minerIds.includes(m.minerId);
  }
}

/**
 * A miner's effective desired state: each field from the most specific matching scope that sets
 * it (selection > container > model > site). Pure.
 */
export function resolveDesired(states: ActiveState[], m: MinerPlace): Effective {
  const matching = states
    .filter((s) => scopeMatches(s.scope, m))
    .sort((a, b) => RANK[a.scope.kind] - RANK[b.scope.kind]);
  const out: Effective = {};
  for (const field of MANAGED) {
    const from = matching.find((s) => s.spec[field] !== undefined);
    if (from)
      (out as Record<string, unknown>)[field] = {
        value: from.spec[field],
        versionId: from.versionId,
        tolerancePct: from.spec.powerTolerancePct,
      };
  }
  return out;
}

/** The worker a miner should use: its slot's own name, else the pattern filled from its place. */
export function workerFor(
  pool: { workerPattern: string; slotWorkers?: Record<string, string> },
  m: MinerPlace,
): string {
  const own = m.rack && m.slot ? pool.slotWorkers?.[`${m.rack}/${m.slot}`] : undefined;
  if (own) return own;
  return pool.workerPattern
    .replaceAll('{site}', m.siteId ?? '')
    .replaceAll('{container}', m.containerId ?? '')
    .replaceAll('{rack}', m.rack ?? '')
    .replaceAll('{slot}', m.slot ?? '');
}
