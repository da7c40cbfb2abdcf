/**
 * The API's replies as the UI reads them, and the few adapters from reply to view. Keeping every
 * assumption about a reply's shape here means one file changes when a route changes.
 */
import type { GridRack } from './components/grid.js';
import type { PduPhasesReply } from './phases.js';

export interface ContainerSummary {
  id: string;
  name: string;
  siteId: string;
  hashrateThs: number;
  expectedThs: number;
  powerW: number;
  efficiencyJPerTh: number | null;
  online: number;
  hashing: number;
  total: number;
}

/** One slot of `GET /containers/:id` (controller/src/fleet/routes/containers.ts). */
export interface SlotReply {
  slotId: string;
  slot: string;
  minerId: string | null;
  serial?: string | null;
  assetCode?: string | null;
  model: string | null;
  /**
   * Miner state from its last sample; `not_answering` when it has none recent, `expected` while
   * its agent has not yet had a cycle to find it (issue 19 item 1).
   */
  state: string | null;
  online: boolean;
  hashrateThs: number | null;
  expectedThs: number | null;
  powerW: number | null;
  chipTempMaxC: number | null;
  lastSeenAt: number | null;
  outlet: { pduId: string; outlet: number; powerW?: number | null } | null;
}

export interface ContainerDetail {
  id: string;
  name: string;
  siteId: string;
  racks: { rack: string; slots: SlotReply[] }[];
  pdus?: PduPhasesReply[];
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** An offline miner shows as such whatever its last reported state was. */
function statusOf(s: SlotReply): string | null {
  if (s.minerId === null) return null;
  if (s.state === 'not_answering') return 'notAnswering';
  if (s.state === 'expected') return 'expected';
  if (s.online === false) return 'offline';
  return s.state ?? null;
}

/** R2 before R10, S9 before S10: names sort the way people count. */
const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

export function gridOf(c: ContainerDetail): GridRack[] {
  const racks = [...c.racks].sort((a, b) => natural(a.rack, b.rack));
  return racks.map((r) => ({
    rack: r.rack,
    slots: [...r.slots]
      .sort((a, b) => natural(a.slot, b.slot))
      .map((s) => ({
        slot: s.slot,
        minerId: s.minerId ?? null,
        model: s.model ?? null,
        serial: s.serial ?? null,
        assetCode: s.assetCode ?? null,
        outletW: num(s.outlet?.powerW),
        status: statusOf(s),
        chipTempMaxC: num(s.chipTempMaxC),
        hashrateThs: num(s.hashrateThs),
        expectedHashrateThs: num(s.expectedThs),
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

/** The miner's last sample as the agent published it (contracts MinerSample). */
export interface SampleReply {
  ip?: string;
  at?: number;
  state: string;
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
  uptimeS: number | null;
}

export interface MinerDetail {
  id: string;
  serial: string | null;
  model: string | null;
  profile: string | null;
  firmwareVersion: string | null;
  status: string;
  siteId: string | null;
  containerId: string | null;
  rack: string | null;
  slot: string | null;
  state: string | null;
  online: boolean;
  lastSeenAt: number | null;
  hashrateThs: number | null;
  expectedThs: number | null;
  chipTempMaxC: number | null;
  powerW: number | null;
  powerProvenance: string | null;
  sample: SampleReply | null;
}

export interface HistoryPoint {
  at: number;
  hashrateThs: number | null;
}

export interface MinerEvent {
  id: string;
  at: number;
  kind: string;
  minerId?: string | null;
  agentId?: string | null;
  details?: unknown;
  containerId?: string | null;
  /** The miner's names (controller/src/fleet/names.ts), so no one reads its id. */
  serial?: string | null;
  assetCode?: string | null;
  model?: string | null;
  rack?: string | null;
  slot?: string | null;
}

/** `GET /miners` pages its list. */
export interface MinerPage<T> {
  total: number;
  limit: number;
  offset: number;
  miners: T[];
}

export function historyOf(reply: { points: { at: number; hashrateThs: number | null }[] }): HistoryPoint[] {
  return reply.points.map((p) => ({ at: p.at, hashrateThs: num(p.hashrateThs) }));
}

export interface SiteRollup {
  id: string;
  name: string;
  timezone: string;
  capacityMw: number | null;
  tariffNowUsdPerKwh: number | null;
  hashrateThs: number;
  expectedThs: number;
  powerW: number;
  powerProvenance: Record<string, number>;
  efficiencyJPerTh: number | null;
  online: number;
  hashing: number;
  total: number;
  hottest: { minerId: string; rack: string | null; slot: string | null; chipTempMaxC: number }[];
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

/** One row of `GET /miners` (controller/src/fleet/routes/miners.ts). */
export interface MinerSummary {
  id: string;
  serial: string | null;
  model: string | null;
  status: string;
  siteId: string | null;
  containerId: string | null;
  rack: string | null;
  slot: string | null;
}

/**
 * How a person names a miner: where it stands (container rack/slot), else its serial, else its
 * model. The internal id is never shown; it stays in links and data attributes.
 */
export function minerName(m: {
  containerId?: string | null;
  rack?: string | null;
  slot?: string | null;
  serial?: string | null;
  assetCode?: string | null;
  model?: string | null;
}): string {
  if (m.rack && m.slot) return [m.containerId, `${m.rack}/${m.slot}`].filter(Boolean).join(' ');
  return m.assetCode ?? m.serial ?? m.model ?? '–';
}

/** Internal ids (UUIDs) are for links; a person reads the name beside them. */
export const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
