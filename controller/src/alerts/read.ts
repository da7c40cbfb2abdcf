import { findModel } from '@hashfleet/firmware-profiles';
import { ACCEPTED_STATES, type CommandedWindow, commandedWindows, sqlStates } from '../commands/index.js';
import type { Db } from '../core/storage/db.js';
import { driftSince } from '../desired/index.js';
import { type LatestColumns, latestSelect, listColumn, type Nullable, poolOf } from '../fleet/index.js';
import { workerPattern } from './evaluate.js';
import { inPages, yieldToLoop } from './pace.js';
import type { AgentSnapshot, FleetSnapshot, LatestSample, MinerSnapshot, PduSnapshot } from './snapshot.js';

type MinerRow = {
  id: string;
  model: string | null;
  status: string;
  site_id: string | null;
  container_id: string | null;
  slot_id: string | null;
  rack: string | null;
  slot: string | null;
} & Nullable<LatestColumns>;

/**
 * A miner's latest sample from its miner_latest columns (fleet/latest-row.ts); null for a miner
 * with no row. Only the boards and fans lists are parsed.
 */
export function latestFromRow(r: Nullable<LatestColumns>): LatestSample | null {
  if (r.at === null) return null;
  const implausible = listColumn<NonNullable<LatestSample['implausible']>[number]>(r.implausible);
  return {
    at: Number(r.at),
    receivedAt: Number(r.received_at ?? r.at),
    online: Number(r.online) === 1,
    error: r.error,
    state: r.state ?? 'error',
    agentId: r.agent_id,
    hashrateThs: r.hashrate_ths,
    expectedThs: r.expected_ths,
    chipTempMaxC: r.chip_temp_max_c,
    boardTempMaxC: r.board_temp_max_c,
    fansRpm: listColumn<number>(r.fans_rpm),
    boards: listColumn<LatestSample['boards'][number]>(r.boards),
    powerW: r.power_w,
    powerProvenance: r.power_provenance,
    hardwareErrors: r.hardware_errors === null ? null : Number(r.hardware_errors),
    uptimeS: r.uptime_s === null ? null : Number(r.uptime_s),
    pool: poolOf(r),
    implausible,
  };
}

export const MINERS_SQL = `SELECT m.id, m.model, m.status, m.site_id, m.container_id, m.slot_id, s.rack, s.slot,
  ${latestSelect('l')}
  FROM miners m LEFT JOIN slots s ON s.id = m.slot_id LEFT JOIN miner_latest l ON l.miner_id = m.id`;

/** A miner's place and inventory status (the snapshot's miner fields other than its latest sample). */
export type PlacementRow = Pick<
  MinerRow,
  'id' | 'model' | 'status' | 'site_id' | 'container_id' | 'slot_id' | 'rack' | 'slot'
>;

/** Each miner with its latest sample, parsed; the order is the fleet's miners in the source's order. */
export type MinerSource = (db: Db) => Promise<{
  rows: PlacementRow[];
  /** The latest sample of `rows[i]`. */
  latest: (row: PlacementRow, i: number) => LatestSample | null;
  /**
   * A source that keeps its rows between reads answers these from the row itself, without a
   * lookup by key (100,000 a tick each): the slot's outlet and the known-good worker (else the
   * snapshot source's maps are asked), and the snapshot object of the previous read to refill in
   * place (`keep` hands it a new one).
   */
  outlet?: (row: PlacementRow) => OutletRow | undefined;
  known?: (row: PlacementRow) => KnownWorker | undefined;
  kept?: (row: PlacementRow) => MinerSnapshot | undefined;
  keep?: (row: PlacementRow, m: MinerSnapshot) => void;
}>;

/** The whole fleet in one query, every stored sample parsed (the full read each tick). */
export const fullMinerSource: MinerSource = async (db) => {
  const rows = await db.all<MinerRow>(MINERS_SQL);
  const parsed = rows.map(latestFromRow);
  return { rows, latest: (_, i) => parsed[i] ?? null };
};

export type PduRow = {
  pdu_id: string;
  container_id: string;
  at: number;
  sample_json: string;
  site_id: string | null;
};
export const PDUS_SQL = `SELECT p.pdu_id, p.container_id, p.at, p.sample_json, c.site_id
  FROM pdu_latest p LEFT JOIN containers c ON c.id = p.container_id`;

export type OutletRow = { slot_id: string | null; pdu_id: string; outlet: number };
const OUTLETS_SQL = 'SELECT slot_id, pdu_id, outlet FROM pdu_outlets WHERE slot_id IS NOT NULL';
export type WorkerRow = { miner_id: string; pool_url: string; worker: string; source: string; at: number };
const WORKERS_SQL = 'SELECT miner_id, pool_url, worker, source, at FROM alert_known_workers';

export type KnownWorker = NonNullable<MinerSnapshot['knownWorker']>;
export const knownWorkerOfRow = (r: WorkerRow): KnownWorker => ({
  poolUrl: r.pool_url,
  worker: r.worker,
  source: r.source,
  at: Number(r.at),
});
/** A lookup by key (a Map, or a view of one the source keeps). */
export type Lookup<V> = { get(key: string): V | undefined };

/**
 * Where the per-miner rows of a snapshot come from (the miners with their samples, the outlet of
 * each slot, the known-good worker of each miner), and whether the reads are paced (a turn of the
 * event loop between them).
 */
export type SnapshotSource = {
  miners: MinerSource;
  outlets: (db: Db) => Promise<Lookup<OutletRow>>;
  workers: (db: Db) => Promise<Lookup<KnownWorker>>;
  /** The PDUs parsed, when the source keeps them (else every stored sample is read and parsed). */
  pdus?: (db: Db) => Promise<PduRead[]>;
  paced: boolean;
};

/** Every row read from the tables each tick, all at once (the full read). */
export const FULL_SOURCE: SnapshotSource = {
  miners: fullMinerSource,
  outlets: async (db) => {
    const bySlot = new Map<string, OutletRow>();
    for (const r of await db.all<OutletRow>(OUTLETS_SQL)) if (r.slot_id !== null) bySlot.set(r.slot_id, r);
    return bySlot;
  },
  workers: async (db) =>
    new Map((await db.all<WorkerRow>(WORKERS_SQL)).map((r) => [r.miner_id, knownWorkerOfRow(r)])),
  paced: false,
};

/** The snapshot's queries: all at once, or paced, one after another with a turn of the loop before each. */
async function reads<T extends readonly (() => unknown)[]>(
  paced: boolean,
  thunks: T,
): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  if (!paced) return (await Promise.all(thunks.map((f) => f()))) as never;
  const out: unknown[] = [];
  for (const f of thunks) {
    await yieldToLoop();
    out.push(await f());
  }
  return out as never;
}

/**
 * Reads the fleet's latest state in bulk (one query per table, whatever the fleet size; the miners
 * and the rows kept per miner from `source`: the whole tables by default, the leader's copy in `latest-cache.ts`):
 * miners with slot and latest sample, outlet readings by slot, the last control command and
 * known-good worker per miner, PDUs and agents, and at `now` each miner's open commanded window. Hashrate history is read separately
 * (`readRecentHashrate`) for the miners that need it.
 *
 * Long because it issues one query per table at once and joins the rows in memory by miner; the joins
 * share the maps the queries fill.
 */
export async function readSnapshot(
  db: Db,
  now?: number,
  source: SnapshotSource = FULL_SOURCE,
): Promise<FleetSnapshot> {
  const { paced } = source;
  const [
    minerSet,
    outletOf,
    controlRows,
    known,
    pduReads,
    agentRows,
    containerRows,
    safetyRows,
    patternRows,
    windows,
    poolRows,
  ] = await reads(paced, [
    () => source.miners(db),
    () => source.outlets(db),
    () =>
      db.all<{ miner_id: string; op: string; created_at: number }>(
        `SELECT miner_id, op, created_at FROM commands
       WHERE miner_id IS NOT NULL AND op IN ('sleep', 'wake', 'poll.stop', 'poll.resume')
         AND state IN ('sent', ${sqlStates(ACCEPTED_STATES)}) ORDER BY created_at`,
      ),
    () => source.workers(db),
    // The source's parsed PDUs, or every stored sample (paced: a page of 250 PDUs at a time, each
    // stored sample holds every outlet's reading).
    (): Promise<(PduRow | PduRead)[]> =>
      source.pdus
        ? source.pdus(db)
        : paced
          ? inPages<PduRow>(
              (after) =>
                db.all<PduRow>(`${PDUS_SQL} WHERE p.pdu_id > ? ORDER BY p.pdu_id LIMIT 250`, [
                  after?.pdu_id ?? '',
                ]),
              250,
            )
          : db.all<PduRow>(PDUS_SQL),
    () =>
      db.all<{
        id: string;
        site_id: string | null;
        container_id: string | null;
        state: string;
        last_seen_at: number | null;
        metrics_json: string | null;
      }>('SELECT id, site_id, container_id, state, last_seen_at, metrics_json FROM agents'),
    () => db.all<{ id: string; site_id: string }>('SELECT id, site_id FROM containers'),
    // Rare rows (index events_kind_at): a miner its agent slept on its own stays paused.
    () =>
      db.all<{ miner_id: string; at: number; details_json: string }>(
        `SELECT miner_id, at, details_json FROM events
         WHERE kind = 'safety.action' AND miner_id IS NOT NULL ORDER BY at`,
      ),
    () => db.all<{ site_id: string; pattern: string }>('SELECT site_id, pattern FROM alert_worker_patterns'),
    // Without the time there is no telling which commanded windows are open: none are read.
    () => (now === undefined ? new Map<string, CommandedWindow>() : commandedWindows(db, now)),
    // Pool changes on their way (sent, or accepted and not yet seen): the new worker is expected.
    () =>
      db.all<{ miner_id: string; action_json: string }>(
        `SELECT miner_id, action_json FROM commands
       WHERE op = 'pool.set' AND miner_id IS NOT NULL AND state IN ('sent', 'acknowledged') ORDER BY created_at`,
      ),
  ] as const);
  const poolPending = new Map<string, { url: string; user: string }>();
  for (const r of poolRows) {
    try {
      const a = JSON.parse(r.action_json) as { url?: unknown; user?: unknown };
      if (typeof a.url === 'string' && typeof a.user === 'string')
        poolPending.set(r.miner_id, { url: a.url, user: a.user });
    } catch {
      // A stored action that does not parse announces no worker.
    }
  }

  const pdus: PduSnapshot[] = [];
  /** Each PDU's time and its outlets' readings by outlet number. */
  const outletPower = new Map<string, PduRead>();
  for (const [i, r] of pduReads.entries()) {
    if (paced && i > 0 && i % 250 === 0) await yieldToLoop();
    const read = 'pdu' in r ? r : pduFromRow(r);
    outletPower.set(read.pdu.id, read);
    pdus.push(read.pdu);
  }
  const lastControl = new Map<string, { op: string; at: number }>();
  for (const r of controlRows) lastControl.set(r.miner_id, { op: r.op, at: r.created_at });
  const lastSafety = new Map<string, { action: string; at: number }>();
  for (const r of safetyRows) {
    let d: { action?: unknown; status?: unknown } = {};
    try {
      d = JSON.parse(r.details_json) as typeof d;
    } catch {
      // An unreadable event explains nothing: the miner is judged as usual.
    }
    // A failed or refused action changed nothing on the miner.
    if (d.status === 'succeeded' && typeof d.action === 'string')
      lastSafety.set(r.miner_id, { action: d.action, at: Number(r.at) });
  }
  if (paced) await yieldToLoop();
  const drift = await driftSince(db);
  const workerPatterns = new Map<string, RegExp[]>();
  for (const r of patternRows)
    workerPatterns.set(r.site_id, [...(workerPatterns.get(r.site_id) ?? []), workerPattern(r.pattern)]);

  const models = new Map<string, ReturnType<typeof findModel>>();
  const miners: MinerSnapshot[] = [];
  const rows = minerSet.rows;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    // Paced: a turn of the event loop every 2,500 miners.
    if (paced && i > 0 && i % 2_500 === 0) await yieldToLoop();
    let info = r.model === null ? null : models.get(r.model);
    if (info === undefined && r.model !== null) {
      info = findModel(r.model);
      models.set(r.model, info);
    }
    // A kept snapshot object (the leader's copy) is refilled field by field: no object a miner a tick.
    const kept = minerSet.kept?.(r);
    const m = kept ?? emptyMiner(r.id);
    if (!kept) minerSet.keep?.(r, m);
    const o = minerSet.outlet ? minerSet.outlet(r) : r.slot_id === null ? undefined : outletOf.get(r.slot_id);
    const pdu = o ? outletPower.get(o.pdu_id) : undefined;
    const reading = o ? pdu?.byOutlet.get(o.outlet) : undefined;
    m.siteId = r.site_id;
    m.containerId = r.container_id;
    m.slotId = r.slot_id;
    m.rack = r.rack;
    m.slot = r.slot;
    m.model = info?.model ?? r.model;
    m.modelInfo = info ?? null;
    m.status = r.status;
    m.latest = minerSet.latest(r, i);
    m.recentThs = null;
    m.outlet = o ? sameOutlet(m.outlet, o, reading?.powerW ?? null, reading ? pdu!.at : 0) : null;
    m.lastControl = lastControl.get(r.id) ?? null;
    m.lastSafety = lastSafety.get(r.id) ?? null;
    m.knownWorker = (minerSet.known ? minerSet.known(r) : known.get(r.id)) ?? null;
    m.commanded = windows.get(r.id) ?? null;
    m.poolPending = poolPending.get(r.id) ?? null;
    m.drift = drift.get(r.id) ?? null;
    miners.push(m);
  }

  const agents: AgentSnapshot[] = agentRows.map((r) => {
    let metrics: { spoolMessages?: number; spoolDropped?: number } | null = null;
    try {
      metrics = r.metrics_json ? JSON.parse(r.metrics_json) : null;
    } catch {
      metrics = null;
    }
    return {
      id: r.id,
      siteId: r.site_id,
      containerId: r.container_id,
      state: r.state,
      lastSeenAt: r.last_seen_at,
      spoolMessages: metrics?.spoolMessages ?? null,
      spoolDropped: metrics?.spoolDropped ?? null,
    };
  });
  return {
    miners,
    pdus,
    agents,
    containerSites: new Map(containerRows.map((r) => [r.id, r.site_id])),
    workerPatterns,
  };
}

/** A PDU's parsed reading: its snapshot and its outlets by number. */
export type PduRead = { pdu: PduSnapshot; at: number; byOutlet: Map<number, PduSnapshot['outlets'][number]> };

/** Parses a stored PDU sample (one that does not parse gives a PDU without figures). */
export function pduFromRow(r: PduRow): PduRead {
  let sample: {
    totalPowerW?: number | null;
    outlets?: { outlet: number; powerW: number | null; currentA: number | null; state: string }[];
    sensors?: { kind: string; location: string; value: number }[];
    phases?: { phase: number; currentA: number | null; ratedCurrentA?: number | null }[] | null;
  } = {};
  try {
    sample = JSON.parse(r.sample_json);
  } catch {
    // Unreadable stored sample: the PDU is judged as having no figures.
  }
  const outlets = (sample.outlets ?? []).map((o) => ({
    outlet: o.outlet,
    powerW: o.powerW ?? null,
    currentA: o.currentA ?? null,
    state: o.state,
  }));
  const byOutlet = new Map<number, PduSnapshot['outlets'][number]>();
  for (const o of outlets) byOutlet.set(o.outlet, o);
  const pdu: PduSnapshot = {
    id: r.pdu_id,
    containerId: r.container_id,
    siteId: r.site_id,
    at: r.at,
    totalPowerW: sample.totalPowerW ?? null,
    outlets,
    phases: sample.phases?.length
      ? sample.phases.map((p) => ({
          phase: p.phase,
          currentA: p.currentA ?? null,
          ratedCurrentA: p.ratedCurrentA ?? null,
        }))
      : null,
    inletTempsC: (sample.sensors ?? [])
      .filter((s) => s.kind === 'temperature' && s.location === 'inlet')
      .map((s) => s.value),
  };
  return { pdu, at: r.at, byOutlet };
}

/** A miner's snapshot object before its fields are filled (one shape for every miner). */
const emptyMiner = (id: string): MinerSnapshot => ({
  id,
  siteId: null,
  containerId: null,
  slotId: null,
  rack: null,
  slot: null,
  model: null,
  modelInfo: null,
  status: '',
  latest: null,
  recentThs: null,
  outlet: null,
  lastControl: null,
  lastSafety: null,
  knownWorker: null,
  commanded: null,
  poolPending: null,
  drift: null,
});

/** The miner's outlet as read now: the previous tick's object when nothing in it changed. */
function sameOutlet(prev: MinerSnapshot['outlet'], o: OutletRow, powerW: number | null, at: number) {
  if (prev && prev.pduId === o.pdu_id && prev.outlet === o.outlet && prev.powerW === powerW && prev.at === at)
    return prev;
  return { pduId: o.pdu_id, outlet: o.outlet, powerW, at };
}

/**
 * Hashrate of the last `windowMs` for the given miners (1-minute history, plus the latest sample,
 * which history may not hold yet). One query; a long id list is read in chunks.
 */
export async function readRecentHashrate(db: Db, miners: MinerSnapshot[], since: number): Promise<void> {
  if (miners.length === 0) return;
  const byId = new Map(miners.map((m) => [m.id, m]));
  for (const m of miners) m.recentThs = [];
  const ids = [...byId.keys()];
  for (let i = 0; i < ids.length; i += 500) {
    // A turn of the event loop between chunks (the tick runs on the main thread).
    if (i > 0) await yieldToLoop();
    const part = ids.slice(i, i + 500);
    const rows = await db.all<{ miner_id: string; at: number; hashrate_ths: number | null }>(
      `SELECT miner_id, at, hashrate_ths FROM miner_history
       WHERE minute >= ? AND miner_id IN (${part.map(() => '?').join(', ')})`,
      [Math.floor(since / 60_000) * 60_000, ...part],
    );
    for (const r of rows) {
      const m = byId.get(r.miner_id)!;
      // Not before its last wake or resume, nor its last commanded downtime: the zeros of a sleep
      // or a restart are not a fault of its hashing.
      const from = Math.max(since, m.lastControl?.at ?? 0, m.commanded?.since ?? 0);
      if (r.hashrate_ths !== null && r.at >= from && r.at !== m.latest?.at) m.recentThs!.push(r.hashrate_ths);
    }
  }
  for (const m of miners) if (m.latest?.hashrateThs != null) m.recentThs!.push(m.latest.hashrateThs);
}
