/**
 * The API's replies as the UI reads them, and the few adapters from reply to view. Keeping every
 * assumption about a reply's shape here means one file changes when a route changes.
 */
import type { GridRack } from './components/grid.js';

export interface ContainerSummary {
  id: string;
  name?: string;
  siteId: string;
}

export interface SlotReply {
  slot: string;
  minerId: string | null;
  state?: string | null;
  status?: string | null;
  online?: boolean | null;
  hashrateThs?: number | null;
  expectedHashrateThs?: number | null;
  expectedThs?: number | null;
  powerW?: number | null;
  chipTempMaxC?: number | null;
}

export interface ContainerDetail {
  id: string;
  name?: string;
  siteId: string;
  racks: { rack: string; slots: SlotReply[] }[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** An offline miner shows as such whatever its last reported state was. */
function statusOf(s: SlotReply): string | null {
  if (s.minerId === null) return null;
  if (s.online === false) return 'offline';
  return s.status ?? s.state ?? null;
}

export function gridOf(c: ContainerDetail): GridRack[] {
  return c.racks.map((r) => ({
    rack: r.rack,
    slots: r.slots.map((s) => ({
      slot: s.slot,
      minerId: s.minerId ?? null,
      status: statusOf(s),
      chipTempMaxC: num(s.chipTempMaxC),
      hashrateThs: num(s.hashrateThs),
      expectedHashrateThs: num(s.expectedHashrateThs ?? s.expectedThs),
      powerW: num(s.powerW),
    })),
  }));
}

export interface BoardReply {
  index: number;
  hashrateThs: number | null;
  expectedHashrateThs: number | null;
  chips: number | null;
  chipTempC: number | null;
  boardTempC: number | null;
}

export interface SampleReply {
  ip?: string;
  at?: number;
  state?: string;
  hashrate5sThs: number | null;
  hashrateAvgThs: number | null;
  expectedHashrateThs: number | null;
  chipTempMaxC: number | null;
  inletTempC: number | null;
  outletTempC: number | null;
  powerW: number | null;
  powerProvenance: string | null;
  fansRpm: number[];
  boards: BoardReply[];
  pool: { url: string; user: string } | null;
}

export interface MinerDetail {
  id: string;
  serial?: string | null;
  model?: string | null;
  profile?: string | null;
  firmwareVersion?: string | null;
  status?: string | null;
  ip?: string | null;
  at?: number | null;
  latest: SampleReply | null;
}

export interface HistoryPoint {
  at: number;
  hashrateThs: number | null;
}

export interface MinerEvent {
  id?: string;
  at: number;
  kind: string;
  minerId?: string | null;
  details?: unknown;
}

/** Lists come either bare or wrapped (`{ items: [...] }`); the UI accepts both. */
export function listOf<T>(reply: unknown): T[] {
  if (Array.isArray(reply)) return reply as T[];
  if (reply && typeof reply === 'object') {
    for (const key of ['items', 'points', 'events', 'data']) {
      const v = (reply as Record<string, unknown>)[key];
      if (Array.isArray(v)) return v as T[];
    }
  }
  return [];
}

export function historyOf(reply: unknown): HistoryPoint[] {
  return listOf<Record<string, unknown>>(reply).map((p) => ({
    at: num(p['at']) ?? num(p['t']) ?? 0,
    hashrateThs: num(p['hashrateThs']),
  }));
}

export interface ContainerRollup {
  id: string;
  name?: string;
  hashrateThs: number | null;
  powerW: number | null;
  minersOnline: number | null;
  minersTotal: number | null;
}

export interface SiteRollup {
  id: string;
  name?: string;
  hashrateThs: number | null;
  powerW: number | null;
  minersTotal: number | null;
  minersOnline: number | null;
  minersHashing: number | null;
  tariffNowUsdPerKwh: number | null;
  alerts?: number | null;
  containers?: ContainerRollup[];
}

/** Accounting replies (controller/src/accounting/routes.ts). Satoshis are decimal strings. */
export interface StakeEntry {
  seq: number;
  stakerId: string;
  nodeId: string;
  amountHss: string;
  effectiveAt: string | number;
  source: string;
}

export interface StakerDetail {
  id: string;
  name: string;
  holder: string;
  stakes: StakeEntry[];
}

export interface Attribution {
  from: string;
  to: string;
  periodAttributedThs: number;
  byNode: Record<string, number>;
  fleet: { hourStart: string | number; fleetThs: number }[];
  hours: { hourStart: string | number; nodeId: string; share: number; attributedThs: number }[];
}

export interface Statement {
  periodId: string;
  stakeShare: number;
  attributedThs: number;
  payoutSats: string;
  adjustmentSats: string;
  totalSats: string;
  ruleVersion: number;
  inputsSha256: string;
  outputsSha256: string;
  inputsUrl: string;
  outputsUrl: string;
}

export interface PeriodClose {
  periodId: string;
  startMs: number;
  endMs: number;
  ruleVersion: number;
  inputsSha256: string;
  outputsSha256: string;
  netSats: string;
  stakerPoolSats: string;
  lossCarriedOutSats: string;
  closedBy: string;
  closedAt: number;
}
