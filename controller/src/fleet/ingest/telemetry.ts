import type { AgentMessage, MinerSample, Telemetry } from '@hashfleet/contracts';
import {
  checkPlausibility,
  findModel,
  type Implausible,
  type ModelInfo,
  withoutImplausible,
} from '@hashfleet/firmware-profiles';
import type { InfluxPoint } from '../../core/influx/sink.js';
import type { Db } from '../../core/storage/db.js';
import { hourlyRows, minerEnergyRows } from '../hourly.js';
import { adoptSilent } from '../inventory/expected.js';
import type { PendingCache } from '../inventory/reconcile.js';
import { LATEST_INSERT_COLUMNS, LATEST_UPDATE, latestRowValues, sampleHashrate } from '../latest-row.js';
import { minerEnergyIncrements, workIncrements } from '../work.js';
import { touchAgent } from './agents.js';
import { Deferred, type Upsert } from './deferred.js';
import type { Applied, IngestDeps } from './deps.js';

// A model name's entry, looked up once per name: findModel normalises the name on every call, and
// ingest asks for each sample several times (plausibility, estimated energy, energy per miner).
const models = new Map<string | null, ModelInfo | null>();
function modelOf(name: string | null): ModelInfo | null {
  let m = models.get(name);
  if (m === undefined) {
    m = findModel(name);
    if (models.size > 10_000) models.clear();
    models.set(name, m);
  }
  return m;
}

const nominalW = (model: string | null) => modelOf(model)?.nominalW ?? null;

async function meteredSlots(db: Db, containerId: string): Promise<Set<string>> {
  const rows = await db.all<{ rack: string; slot: string }>(
    `SELECT s.rack, s.slot FROM pdu_outlets o JOIN slots s ON s.id = o.slot_id WHERE s.container_id = ?`,
    [containerId],
  );
  return new Set(rows.map((r) => `${r.rack}/${r.slot}`));
}

/** The key of a container's metered slots among a batch's reads (Deferred.read). */
const meteredKey = (containerId: string) => `metered-slots\u0000${containerId}`;

/**
 * The metered slots of every container a batch's telemetry names, read in one statement and held
 * as the batch's reads (issue 15 item 1): what each message's own read would return until the
 * batch applies a message other than telemetry, which forgets them (Deferred.flush).
 */
export async function readMeteredSlots(
  db: Db,
  deferred: Deferred,
  msgs: readonly AgentMessage[],
): Promise<void> {
  const containers = [...new Set(msgs.flatMap((m) => (m.kind === 'telemetry' ? [m.containerId] : [])))];
  if (containers.length === 0) return;
  const rows = await db.all<{ container_id: string; rack: string; slot: string }>(
    `SELECT s.container_id, s.rack, s.slot FROM pdu_outlets o JOIN slots s ON s.id = o.slot_id
     WHERE s.container_id IN (${containers.map(() => '?').join(', ')})`,
    containers,
  );
  const sets = new Map(containers.map((c) => [c, new Set<string>()]));
  for (const r of rows) sets.get(r.container_id)?.add(`${r.rack}/${r.slot}`);
  for (const [c, set] of sets) void deferred.read(meteredKey(c), () => Promise.resolve(set));
}

const latestUpsert = (stamp: string): Upsert => ({
  head: `INSERT INTO miner_latest (${LATEST_INSERT_COLUMNS.join(', ')})`,
  columns: LATEST_INSERT_COLUMNS.length,
  tail: `ON CONFLICT (miner_id) DO UPDATE SET ${LATEST_UPDATE}${stamp}
     WHERE excluded.at >= miner_latest.at`,
  // Newest wins, a tie to the later: of a miner's rows in one batch only that one can be left.
  supersedes: (held, next) => (next[1] as number) >= (held[1] as number),
});

/**
 * The upsert of the latest samples per dialect. On SQLite the row's change stamp for the alert
 * tick (alerts/migration.ts 0302: one above the table's highest) is set by the upsert itself, so
 * the trigger, which stamps only rows whose stamp did not change, does not write each row a
 * second time (issue 15 item 1); the subquery is evaluated once per statement, so the rows of one
 * statement share a stamp, as the rows of one PostgreSQL transaction share theirs, and the tick
 * pages by (change_seq, miner_id). PostgreSQL stamps in a BEFORE trigger, which writes nothing more.
 */
const MINER_LATEST: Record<Db['dialect'], Upsert> = {
  sqlite: latestUpsert(',\n       change_seq = (SELECT MAX(change_seq) FROM miner_latest) + 1'),
  postgres: latestUpsert(''),
};

const MINER_HISTORY: Upsert = {
  head: 'INSERT INTO miner_history (miner_id, minute, at, hashrate_ths, chip_temp_max_c, power_w)',
  columns: 6,
  tail: 'ON CONFLICT (miner_id, minute) DO NOTHING',
  // The first row of a miner's minute stays: later ones in the batch change nothing.
  supersedes: () => false,
};

/**
 * Each sample judged against its model's envelope (firmware-profiles/src/plausibility.ts): the
 * implausible figures are set to null in what is stored for roll-ups, baselines and accounting
 * (miner_latest's columns, miner_history, the hourly work and energy rows, the time-series
 * points), and kept with their raw values in the stored sample's `implausible` list.
 */
export function judgeSamples(samples: readonly MinerSample[]): {
  clean: MinerSample[];
  found: Implausible[][];
} {
  const found = samples.map((s) => checkPlausibility(s, modelOf(s.model)));
  return { clean: samples.map((s, i) => withoutImplausible(s, found[i]!)), found };
}

/** Applies a telemetry batch (already deduped) inside the caller's transaction. */
export async function applyTelemetry(
  db: Db,
  raw: Telemetry,
  deps: IngestDeps,
  pending: PendingCache,
): Promise<Applied> {
  const receivedAt = deps.now();
  const { clean, found } = judgeSamples(raw.samples);
  const msg: Telemetry = { ...raw, samples: clean };
  const implausibleOf = new Map<MinerSample, Implausible[]>(clean.map((s, i) => [s, found[i]!]));
  await touchAgent(db, msg, receivedAt, { metrics: msg.agent, deferred: deps.deferred, skewOf: deps.skewOf });
  const minerIds: string[] = [];
  for (const s of msg.samples) {
    minerIds.push(
      await deps.reconciler.resolve(
        db,
        {
          agentId: msg.agentId,
          siteId: msg.siteId,
          containerId: msg.containerId,
          minerKey: s.minerKey,
          serial: s.serial,
          mac: s.mac,
          ip: s.ip,
          model: s.model,
          profile: s.profile,
          firmwareVersion: s.firmwareVersion,
          slot: s.slot,
          at: s.at,
        },
        pending,
      ),
    );
  }

  // Latest per miner: the newest sample of this batch, and never older than what is stored
  // (a spool replay of old data must not overwrite the present).
  const latest = new Map<string, MinerSample>();
  const minute = new Map<string, MinerSample>();
  msg.samples.forEach((s, i) => {
    const id = minerIds[i]!;
    const prev = latest.get(id);
    if (!prev || s.at >= prev.at) latest.set(id, s);
    minute.set(`${id}\u0000${Math.floor(s.at / 60_000)}`, s);
  });
  const out = deps.deferred ?? new Deferred();
  out.add(
    MINER_LATEST[db.dialect],
    [...latest].map(([id, s]) => ({
      key: id,
      values: latestRowValues(id, s, receivedAt, msg.agentId, implausibleOf.get(s) ?? []),
    })),
  );
  out.add(
    MINER_HISTORY,
    [...minute].map(([key, s]) => ({
      key,
      values: [
        key.split('\u0000')[0]!,
        Math.floor(s.at / 60_000) * 60_000,
        s.at,
        sampleHashrate(s),
        s.chipTempMaxC,
        s.powerW,
      ],
    })),
  );

  // What is held must be written before the unreachable entries read and update miner_latest.
  if (msg.unreachable.length) await out.flush(db);
  for (const u of msg.unreachable) {
    // A miner never heard from is known only by its address: the expected asset there takes it.
    await adoptSilent(db, msg.agentId, msg.containerId, u, receivedAt);
    await db.run(
      `UPDATE miner_latest SET online = 0, error = ?, state = 'error'
       WHERE at <= ? AND miner_id = (SELECT miner_id FROM agent_miners WHERE agent_id = ? AND miner_key = ?)`,
      [u.error, u.at, msg.agentId, u.minerKey],
    );
  }

  const increments = workIncrements(msg.samples, {
    meteredSlots: await (deps.deferred
      ? deps.deferred.read(meteredKey(msg.containerId), () => meteredSlots(db, msg.containerId))
      : meteredSlots(db, msg.containerId)),
    nominalW,
    maxIntervalS: deps.config.ingest.maxIntervalS,
  });
  out.add(...hourlyRows(msg.siteId, msg.containerId, increments));
  out.add(
    ...minerEnergyRows(
      msg.siteId,
      msg.containerId,
      minerEnergyIncrements(msg.samples, minerIds, {
        nominalW,
        maxIntervalS: deps.config.ingest.maxIntervalS,
      }),
    ),
  );
  if (!deps.deferred) await out.flush(db);

  // Without a time-series sink nobody writes the points (ingest.ts): not built.
  const points = deps.points === false ? [] : telemetryPoints(msg, minerIds);
  return { points, samples: msg.samples.length, implausible: found.flat().map((f) => f.field) };
}

/** Time-series points of a batch (schema in controller/README.md). */
export function telemetryPoints(msg: Telemetry, minerIds: string[]): InfluxPoint[] {
  const points: InfluxPoint[] = [];
  msg.samples.forEach((s, i) => {
    const miner = minerIds[i]!;
    points.push({
      measurement: 'miner',
      tags: {
        site: msg.siteId,
        container: msg.containerId,
        rack: s.slot?.rack ?? 'none',
        model: s.model ?? 'unknown',
        profile: s.profile,
        miner,
      },
      fields: {
        hashrate_ths: s.hashrate5sThs,
        hashrate_avg_ths: s.hashrateAvgThs,
        expected_ths: s.expectedHashrateThs,
        power_w: s.powerW,
        chip_temp_max_c: s.chipTempMaxC,
        board_temp_max_c: s.boardTempMaxC,
        inlet_temp_c: s.inletTempC,
        outlet_temp_c: s.outletTempC,
        fan_rpm_max: s.fansRpm.length ? Math.max(...s.fansRpm) : null,
        diff1_shares: s.work.diff1Shares,
        online: 1,
      },
      at: s.at,
    });
    for (const b of s.boards) {
      points.push({
        measurement: 'board',
        tags: { site: msg.siteId, container: msg.containerId, miner, board: String(b.index) },
        fields: {
          hashrate_ths: b.hashrateThs,
          chip_temp_c: b.chipTempC,
          board_temp_c: b.boardTempC,
          chips: b.chips,
        },
        at: s.at,
      });
    }
  });
  if (msg.agent) {
    const errors = Object.values(msg.agent.pollErrors).reduce((a, b) => a + b, 0);
    points.push({
      measurement: 'agent',
      tags: { site: msg.siteId, container: msg.containerId, agent: msg.agentId },
      fields: {
        poll_cycle_ms: msg.agent.pollCycleMs,
        poll_errors: errors,
        spool_messages: msg.agent.spoolMessages,
        spool_bytes: msg.agent.spoolBytes,
        spool_dropped: msg.agent.spoolDropped,
        publish_latency_ms: msg.agent.publishLatencyMs,
      },
      at: msg.sentAt,
    });
  }
  return points;
}
