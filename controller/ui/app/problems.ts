/**
 * Alerts as the controller's engine reports them (`GET /alerts`, rules and hysteresis live
 * server-side), and how the views present them.
 */

/** One alert as `GET /api/v1/alerts` returns it. */
export interface AlertRow {
  id: string;
  kind: string;
  severity: Severity;
  state: 'open' | 'resolved';
  subject: string;
  minerId: string | null;
  containerId: string | null;
  siteId: string | null;
  agentId: string | null;
  rack: string | null;
  slot: string | null;
  serial?: string | null;
  assetCode?: string | null;
  model?: string | null;
  /** The message as a catalogue key with its parameters; `message` is the controller's English. */
  messageKey?: string;
  messageParams?: Record<string, string | number | boolean | null>;
  value: number | null;
  threshold: number | null;
  message: string;
  details?: Record<string, unknown>;
  openedAt: number;
  updatedAt: number;
  resolvedAt: number | null;
  ackedAt: number | null;
  ackedBy: string | null;
  silencedUntil: number | null;
}

/** Where to look: container / rack / slot for a miner, else the subject (agent, PDU, outlet). */
export function alertWhere(a: AlertRow): string {
  const place = [a.containerId, a.rack, a.slot].filter(Boolean).join(' / ');
  return a.minerId
    ? place || 'not in a slot'
    : [a.containerId, a.subject.replace(/^container:.*/, '')].filter(Boolean).join(' / ');
}

/** The query string of the alerts list for the chosen filters (empty ones left out). */
export function alertsQuery(f: { state: string; site: string; container: string }): string {
  const q = new URLSearchParams();
  if (f.state) q.set('state', f.state);
  if (f.site) q.set('site', f.site);
  if (f.container) q.set('container', f.container);
  q.set('limit', '1000');
  return `/alerts?${q.toString()}`;
}

export type Severity = 'critical' | 'warning';

/**
 * Miners (or other subjects) with at least one open alert, fleet-wide and per site: a miner with
 * three open alerts is one thing for a technician to look at, not three.
 */
export function openSubjects(alerts: AlertRow[]): { total: number; bySite: Map<string, number> } {
  const all = new Set<string>();
  const perSite = new Map<string, Set<string>>();
  for (const a of alerts) {
    if (a.state !== 'open') continue;
    all.add(a.subject);
    if (!a.siteId) continue;
    const set = perSite.get(a.siteId) ?? new Set<string>();
    set.add(a.subject);
    perSite.set(a.siteId, set);
  }
  return { total: all.size, bySite: new Map([...perSite].map(([site, set]) => [site, set.size])) };
}
