import type { Audit } from '../core/audit.js';
import type { Principal } from '../core/auth/roles.js';
import type { InfluxPoint, InfluxSink } from '../core/influx/sink.js';
import type { Db } from '../core/storage/db.js';
import { hashrateThs, workByHour } from '../energy/index.js';
import { type AttributedHashrate, attributedHashrate, attributeHours, ratio } from './attribution.js';
import { UNITS_PER_HSS } from './hss.js';
import { type CloseSummary, closeStoredPeriod } from './ledger.js';
import { readHours } from './load-inputs.js';
import { parsePeriodId } from './period.js';
import {
  AccountingError,
  addStakeEntry,
  createNode,
  createStaker,
  getStaker,
  ruleAt,
  stakeEntriesUntil,
} from './register.js';
import { buildTimeline, weightsBetween } from './stake-timeline.js';
import { parseStakesCsv } from './stakes-csv.js';

/** Thin orchestration shared by the routes, the CLI and the demo seed. */
export interface AccountingDeps {
  db: Db;
  audit: Audit;
  influx: InfluxSink | null;
  now(): number;
}

/** Imports a stakes CSV all-or-nothing; returns how many entries were appended. */
export async function importStakes(
  deps: AccountingDeps,
  csv: string,
  source: string,
  actor: Principal,
): Promise<{ entries: number; unchanged: number }> {
  const { rows, errors } = parseStakesCsv(csv, source);
  if (errors.length) throw new AccountingError(errors.join('\n'));
  return deps.db.tx(async (db) => {
    const now = deps.now();
    let entries = 0;
    for (const r of rows) {
      try {
        await createStaker(db, { id: r.stakerId, name: r.stakerName }, now);
        await createNode(db, { id: r.nodeId, name: r.nodeId, kind: r.nodeKind }, now);
        const { created } = await addStakeEntry(
          db,
          {
            stakerId: r.stakerId,
            nodeId: r.nodeId,
            amountUnits: r.amountUnits,
            effectiveAtMs: r.effectiveAtMs,
            source,
            idempotencyKey: r.idempotencyKey,
            enteredBy: actor.name,
          },
          now,
        );
        if (created) entries++;
      } catch (e) {
        if (e instanceof AccountingError)
          throw new AccountingError(`${source}:${r.line}: ${e.message}`, e.status);
        throw e;
      }
    }
    await deps.audit.record({
      actor,
      action: 'accounting.stakes.import',
      subject: source,
      details: { rows: rows.length, entries },
    });
    return { entries, unchanged: rows.length - entries };
  });
}

export interface AttributionView {
  from: string;
  to: string;
  fleet: { hourStart: string; fleetThs: number }[];
  hours: { hourStart: string; nodeId: string; share: number; attributedThs: number }[];
  /** `attributedHashrate.ths`: the one definition (attribution.ts) over the whole window. */
  periodAttributedThs: number;
  attributedHashrate: AttributedHashrate;
  /** The same definition per node: the window's work x this staker's stake-time in the node / all. */
  byNode: Record<string, number>;
}

/** A staker's attributed hashrate per hour and node, and over the whole window. */
export async function stakerAttribution(
  db: Db,
  stakerId: string,
  fromMs: number,
  toMs: number,
): Promise<AttributionView> {
  const staker = await getStaker(db, stakerId);
  if (!staker) throw new AccountingError(`staker ${stakerId}: not found`, 404);
  if (!(toMs > fromMs) || toMs - fromMs > 92 * 86_400_000) {
    throw new AccountingError('attribution: need from < to, at most 92 days apart');
  }
  const from = Math.floor(fromMs / 3_600_000) * 3_600_000;
  const rule = await ruleAt(db, from);
  const { entries } = await stakeEntriesUntil(db, toMs);
  const timeline = buildTimeline(entries, await nodesOf(db), rule.minNodeCollateralUnits);
  const work = workByHour(await readHours(db, from, toMs));
  const { fleet, rows } = attributeHours(timeline, work, new Set([staker.holder]));
  const w = weightsBetween(timeline, from, toMs);
  const diff1 = work.reduce((s, h) => s + h.diff1Shares, 0);
  const attributed = attributedHashrate(diff1, from, toMs, w.byHolder.get(staker.holder) ?? 0n, w.total);
  const byNode: Record<string, number> = {};
  for (const [key, weight] of w.byHolding) {
    const h = timeline.holdings.get(key)!;
    if (h.holder !== staker.holder || weight === 0n) continue;
    byNode[h.nodeId] = (byNode[h.nodeId] ?? 0) + attributed.fleetThs * ratio(weight, w.total);
  }
  return {
    from: new Date(from).toISOString(),
    to: new Date(toMs).toISOString(),
    fleet: fleet.map((f) => ({ hourStart: new Date(f.hourStartMs).toISOString(), fleetThs: f.fleetThs })),
    hours: rows.map((r) => ({
      hourStart: new Date(r.hourStartMs).toISOString(),
      nodeId: r.nodeId,
      share: r.share,
      attributedThs: r.attributedThs,
    })),
    periodAttributedThs: attributed.ths,
    attributedHashrate: attributed,
    byNode,
  };
}

export interface FleetAttributionView {
  from: string;
  to: string;
  /** Accepted difficulty-1 shares in the window, from the hourly aggregates. */
  diff1Shares: number;
  /** Effective hashrate over the window: diff1 x 2^32 / seconds. */
  effectiveThs: number;
  hours: { hourStart: string; diff1Shares: number; fleetThs: number; eligibleHssSeconds: string }[];
  stakers: { stakerId: string; attributedThs: number }[];
  nodes: { nodeId: string; attributedThs: number }[];
}

/** The fleet's work and effective hashrate in a window, and what of it is attributed to each staker and node. */
export async function fleetAttribution(db: Db, fromMs: number, toMs: number): Promise<FleetAttributionView> {
  if (!(toMs > fromMs) || toMs - fromMs > 92 * 86_400_000) {
    throw new AccountingError('attribution: need from < to, at most 92 days apart');
  }
  const from = Math.floor(fromMs / 3_600_000) * 3_600_000;
  const rule = await ruleAt(db, from);
  const { entries, holderOf } = await stakeEntriesUntil(db, toMs);
  const timeline = buildTimeline(entries, await nodesOf(db), rule.minNodeCollateralUnits);
  const work = workByHour(await readHours(db, from, toMs));
  const { fleet } = attributeHours(timeline, work, null);
  const diff1 = work.reduce((s, w) => s + w.diff1Shares, 0);
  // The one definition (attribution.ts): the window's work x each share of the window's stake-time.
  const w = weightsBetween(timeline, from, toMs, false);
  const windowThs = hashrateThs(diff1, (toMs - from) / 1000);
  const sum = {
    byHolder: new Map([...w.byHolder].map(([h, x]) => [h, windowThs * ratio(x, w.total)])),
    byNode: new Map([...w.byNode].map(([n, x]) => [n, windowThs * ratio(x, w.total)])),
  };
  return {
    from: new Date(from).toISOString(),
    to: new Date(toMs).toISOString(),
    diff1Shares: diff1,
    effectiveThs: hashrateThs(diff1, (toMs - from) / 1000),
    hours: fleet.map((f, i) => ({
      hourStart: new Date(f.hourStartMs).toISOString(),
      diff1Shares: work[i]!.diff1Shares,
      fleetThs: f.fleetThs,
      eligibleHssSeconds: (f.eligibleUnitsS / UNITS_PER_HSS).toString(),
    })),
    stakers: [...sum.byHolder]
      .map(([holder, attributedThs]) => ({ stakerId: holderOf.get(holder) ?? holder, attributedThs }))
      .sort((a, b) => (a.stakerId < b.stakerId ? -1 : 1)),
    nodes: [...sum.byNode]
      .map(([nodeId, attributedThs]) => ({ nodeId, attributedThs }))
      .sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1)),
  };
}

async function nodesOf(db: Db) {
  return db.all<{ id: string; kind: 'solo' | 'shared' }>('SELECT id, kind FROM acct_nodes');
}

/**
 * Beyond this many staker-node holdings a per-staker series would swamp the time-series store
 * (one series per staker and node): the hours are then written per node, with staker="*".
 */
export const MAX_STAKER_SERIES = 10_000;

/** Writes `staker_hashrate` (tags staker, node; fields hashrate_ths, share) for each hour of a period. */
export async function writeAttribution(
  deps: AccountingDeps,
  periodId: string,
  maxStakerSeries = MAX_STAKER_SERIES,
): Promise<number> {
  if (!deps.influx) return 0;
  const period = parsePeriodId(periodId);
  const rule = await ruleAt(deps.db, period.startMs);
  const { entries, holderOf } = await stakeEntriesUntil(deps.db, period.endMs);
  const timeline = buildTimeline(entries, await nodesOf(deps.db), rule.minNodeCollateralUnits);
  const work = workByHour(await readHours(deps.db, period.startMs, period.endMs));
  const points: InfluxPoint[] = [];
  if (timeline.holdings.size > maxStakerSeries) {
    for (const h of work) {
      const w = weightsBetween(timeline, h.hourStartMs, h.hourStartMs + 3_600_000, false);
      const fleetThs = hashrateThs(h.diff1Shares, 3600);
      for (const [node, weight] of w.byNode) {
        const share = ratio(weight, w.total);
        points.push({
          measurement: 'staker_hashrate',
          tags: { staker: '*', node },
          fields: { hashrate_ths: fleetThs * share, share },
          at: h.hourStartMs,
        });
      }
    }
  } else {
    for (const r of attributeHours(timeline, work, null).rows) {
      points.push({
        measurement: 'staker_hashrate',
        tags: { staker: holderOf.get(r.holder) ?? r.holder, node: r.nodeId },
        fields: { hashrate_ths: r.attributedThs, share: r.share },
        at: r.hourStartMs,
      });
    }
  }
  deps.influx.write(points);
  return points.length;
}

/** Closes a period and, when it was closed now, writes its attribution to InfluxDB. */
export async function closeAndPublish(
  deps: AccountingDeps,
  periodId: string,
  actor: Principal,
  opts: { override?: string | undefined } = {},
): Promise<CloseSummary> {
  const { summary } = await closeStoredPeriod(deps, periodId, actor, opts);
  if (!summary.alreadyClosed) await writeAttribution(deps, periodId);
  return summary;
}
