/**
 * Alerts as the controller's engine reports them (`GET /alerts`, rules and hysteresis live
 * server-side), and how the views present them. `problemsOf` is the old client-side check on the
 * miner list; only the overview's tile still counts with it.
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
  value: number | null;
  threshold: number | null;
  message: string;
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

/** Kind names as a technician reads them. */
export const KIND_LABELS: Record<string, string> = {
  offline: 'Offline',
  hashrate_low: 'Hashrate low',
  chip_overtemp: 'Chip too hot',
  board_overtemp: 'Board too hot',
  fan_failed: 'Fan failed',
  board_missing: 'Hash board missing',
  hw_errors: 'Hardware errors',
  pool_not_allowed: 'Pool not allowed',
  worker_changed: 'Worker changed',
  inlet_hot: 'Inlet too hot',
  outlet_overload: 'Outlet overloaded',
  phase_overload: 'PDU overloaded',
  power_mismatch: 'Power ≠ meter',
  agent_offline: 'Agent offline',
  spool_filling: 'Agent spool filling',
};

export interface MinerRow {
  id: string;
  siteId?: string | null;
  containerId?: string | null;
  rack?: string | null;
  slot?: string | null;
  status?: string | null;
  state?: string | null;
  online?: boolean | null;
  chipTempMaxC?: number | null;
  hashrateThs?: number | null;
  expectedThs?: number | null;
  lastSeenAt?: number | null;
  error?: string | null;
}

export type Severity = 'critical' | 'warning';

export interface Problem {
  minerId: string;
  rule: string;
  severity: Severity;
  detail: string;
  row: MinerRow;
}

interface Rule {
  id: string;
  severity: Severity;
  test: (m: MinerRow) => string | null;
}

export const HOT_C = 85;
export const SLOW_RATIO = 0.7;

export const RULES: Rule[] = [
  {
    id: 'offline',
    severity: 'critical',
    test: (m) =>
      m.online === false || m.status === 'offline' ? `no sample${m.error ? `: ${m.error}` : ''}` : null,
  },
  {
    id: 'error',
    severity: 'critical',
    test: (m) => ((m.state ?? m.status) === 'error' ? (m.error ?? 'miner reports error') : null),
  },
  {
    id: 'hot',
    severity: 'warning',
    test: (m) =>
      m.chipTempMaxC !== null && m.chipTempMaxC !== undefined && m.chipTempMaxC >= HOT_C
        ? `chip ${m.chipTempMaxC.toFixed(0)} °C ≥ ${HOT_C} °C`
        : null,
  },
  {
    id: 'slow',
    severity: 'warning',
    test: (m) => {
      const h = m.hashrateThs;
      const e = m.expectedThs;
      if (m.online === false || h === null || h === undefined || !e) return null;
      return h / e < SLOW_RATIO ? `${((h / e) * 100).toFixed(0)} % of expected hashrate` : null;
    },
  },
];

export function problemsOf(miners: MinerRow[]): Problem[] {
  const out: Problem[] = [];
  for (const m of miners) {
    for (const r of RULES) {
      const detail = r.test(m);
      if (detail !== null) out.push({ minerId: m.id, rule: r.id, severity: r.severity, detail, row: m });
    }
  }
  const rank = { critical: 0, warning: 1 };
  return out.sort((a, b) => rank[a.severity] - rank[b.severity] || a.minerId.localeCompare(b.minerId));
}
