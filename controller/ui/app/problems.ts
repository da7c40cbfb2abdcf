/**
 * Until the controller has an alerts engine, the Alerts view lists what the API already shows:
 * miners that are offline, in error, hot, or hashing well below expected. Rules are a table.
 */

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
