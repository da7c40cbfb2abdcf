import { randomUUID } from 'node:crypto';
import { DONE_STATES, sqlStates } from '../commands/index.js';
import { insertMany } from '../core/storage/bulk.js';
import type { Db, SqlValue } from '../core/storage/db.js';
import {
  evaluateAlerts,
  evaluateAlertsChunked,
  type Observation,
  placeMemo,
  trackingKey,
} from './evaluate.js';
import { createLatestCache, type LatestCacheOptions, type LatestCacheStats } from './latest-cache.js';
import { step, type Tracking, type Transition } from './machine.js';
import type { AlertMetrics } from './metrics.js';
import { type AlertRecord, enqueue, loadWebhooks, notificationFor, webhookPayload } from './notify.js';
import { yieldToLoop } from './pace.js';
import { readRecentHashrate, readSnapshot } from './read.js';
import { indexRules, type RuleIndex } from './rules.js';
import type { AlertSettings } from './settings.js';
import type { FleetSnapshot } from './snapshot.js';
import { type AlertRow, alertFromRow, loadRules, seedDefaultRules } from './store.js';

export type AlertServiceDeps = {
  db: Db;
  offlineAfterMs: number;
  /** Base of the links in notifications, e.g. http://controller:8080 */
  linkBase: string;
  settings: AlertSettings;
  metrics?: AlertMetrics;
  /**
   * `incremental` (the default): the leader keeps every miner's parsed latest sample in memory and
   * reads only the rows written since its last tick (latest-cache.ts), and evaluates in chunks with
   * turns of the event loop between them. `full`: every tick reads and parses the whole fleet and
   * evaluates in one go (the path before issue 15, kept as the reference the tests and the bench
   * compare against).
   */
  read?: 'incremental' | 'full';
  cache?: LatestCacheOptions;
};

export type TickReport = {
  opened: number;
  updated: number;
  resolved: number;
  notifications: number;
  observations: number;
  ms: { read: number; evaluate: number; write: number };
  /** What the incremental read read (absent on the full path). */
  latest?: LatestCacheStats;
};

/** What a tick has to change, worked out purely from the tracked state and observations. */
export type TickPlan = {
  transitions: {
    obs: Observation | null;
    key: string;
    transition: Exclude<Transition, null>;
    open: OpenRow | undefined;
  }[];
  tracking: Map<string, Tracking | null>;
};

type OpenRow = {
  id: string;
  rule_id: string;
  kind: string;
  subject: string;
  details_json: string;
  opened_at: number;
};

/**
 * Folds one evaluation into the tracked state: every observation, and every tracked key the
 * evaluation did not mention (its rule or subject is gone), goes through the state machine.
 */
export function planTick(
  observations: Observation[],
  tracking: Map<string, Tracking>,
  open: Map<string, OpenRow>,
  rules: RuleIndex,
  now: number,
): TickPlan {
  const plan: TickPlan = { transitions: [], tracking: new Map() };
  const seen = new Set<string>();
  for (const obs of observations) {
    seen.add(obs.key);
    const prev = tracking.get(obs.key);
    const o = open.get(obs.key);
    const s = step(prev, !!o, obs.status, obs.rule, now);
    if (s.tracking !== null || prev) plan.tracking.set(obs.key, s.tracking);
    if (s.transition) plan.transitions.push({ obs, key: obs.key, transition: s.transition, open: o });
  }
  const ruleById = new Map(rules.rules.map((r) => [r.id, r]));
  for (const key of new Set([...tracking.keys(), ...open.keys()])) {
    if (seen.has(key)) continue;
    const ruleId = key.slice(0, key.indexOf('\u0000'));
    const rule = ruleById.get(ruleId) ?? { forPolls: 1, forMs: 0, clearPolls: 1 };
    const o = open.get(key);
    const s = step(tracking.get(key), !!o, undefined, rule, now);
    if (tracking.has(key)) plan.tracking.set(key, s.tracking);
    if (s.transition) plan.transitions.push({ obs: null, key, transition: s.transition, open: o });
  }
  return plan;
}

/** Miners whose hashrate history the hashrate_low rule needs this tick. */
function historyCandidates(snapshot: FleetSnapshot, rules: RuleIndex, tracked: Set<string>) {
  // Tracked miners by rule id, so that no key string is built per miner (100,000 a tick).
  const trackedByRule = new Map<string, Set<string>>();
  for (const key of tracked) {
    const cut = key.indexOf('\u0000');
    const subject = key.slice(cut + 1);
    if (!subject.startsWith('miner:')) continue;
    const ruleId = key.slice(0, cut);
    const ids = trackedByRule.get(ruleId) ?? new Set<string>();
    ids.add(subject.slice('miner:'.length));
    trackedByRule.set(ruleId, ids);
  }
  const placeOf = placeMemo(rules);
  return snapshot.miners.filter((m) => {
    const l = m.latest;
    if (!l || l.hashrateThs === null) return false;
    const rule = placeOf(m).hashrate_low;
    if (!rule?.enabled) return false;
    if (trackedByRule.get(rule.id)?.has(m.id)) return true;
    const expected = l.expectedThs ?? m.modelInfo?.nominalThs ?? null;
    return !!expected && l.hashrateThs / expected <= (rule.clearThreshold ?? rule.threshold ?? 0.8);
  });
}

/**
 * Long because it is a factory: tick, record, writePlan and notify share the database and
 * the seeding state through the closure; each is short.
 */
export function createAlertService(deps: AlertServiceDeps) {
  const { db } = deps;
  let seeded = false;
  const cache = deps.read === 'full' ? null : createLatestCache(deps.cache);

  async function tick(now: number): Promise<TickReport> {
    const t0 = performance.now();
    if (!seeded) {
      await seedDefaultRules(db, now);
      seeded = true;
    }
    if (cache) await cache.refresh(db, now);
    const [rules, trackingRows, openRows, snapshot, poolSets] = await Promise.all([
      loadRules(db).then(indexRules),
      db.all<{
        rule_id: string;
        subject: string;
        breaches: number;
        breach_since: number | null;
        clears: number;
      }>('SELECT rule_id, subject, breaches, breach_since, clears FROM alert_tracking'),
      db.all<OpenRow>(
        `SELECT id, rule_id, kind, subject, details_json, opened_at FROM alerts WHERE state = 'open'`,
      ),
      readSnapshot(db, now, cache?.source),
      db.all<{ miner_id: string; action_json: string; finished_at: number | null }>(
        `SELECT miner_id, action_json, finished_at FROM commands
         WHERE op = 'pool.set' AND state IN (${sqlStates(DONE_STATES)}) AND miner_id IS NOT NULL ORDER BY finished_at`,
      ),
    ]);
    const tracking = new Map<string, Tracking>(
      trackingRows.map((r) => [
        trackingKey(r.rule_id, r.subject),
        { breaches: r.breaches, breachSince: r.breach_since, clears: r.clears },
      ]),
    );
    const open = new Map(openRows.map((r) => [trackingKey(r.rule_id, r.subject), r]));
    const tracked = new Set([...tracking.keys(), ...open.keys()]);
    const workers = knownWorkerChanges(snapshot, poolSets, now);
    if (cache) await yieldToLoop();
    const candidates = historyCandidates(snapshot, rules, tracked);
    if (cache) await yieldToLoop();
    const windowMs = Math.max(
      60_000,
      ...rules.rules
        .filter((r) => r.kind === 'hashrate_low')
        .map((r) => Number(r.params['windowMs'] ?? 600_000)),
    );
    await readRecentHashrate(db, candidates, now - windowMs);
    const t1 = performance.now();

    const evalOpts = { now, offlineAfterMs: deps.offlineAfterMs, tracked };
    const observations = cache
      ? await evaluateAlertsChunked(snapshot, rules, evalOpts)
      : evaluateAlerts(snapshot, rules, evalOpts);
    if (cache) await yieldToLoop();
    const plan = planTick(observations, tracking, open, rules, now);
    if (cache) await yieldToLoop();
    const t2 = performance.now();

    const writes = await planWrites(plan, tracking, workers, now, !!cache);
    const report = await db.tx((tx) => writePlan(tx, writes, snapshot, now));
    const t3 = performance.now();
    if (deps.metrics) await record(deps.metrics, plan, [t1 - t0, t2 - t1, t3 - t2]);
    return {
      ...report,
      observations: observations.length,
      ms: { read: t1 - t0, evaluate: t2 - t1, write: t3 - t2 },
      ...(cache ? { latest: cache.stats() } : {}),
    };
  }

  async function record(m: AlertMetrics, plan: TickPlan, ms: number[]) {
    for (const t of plan.transitions) {
      if (t.transition === 'update') continue;
      m.transitions.inc({ kind: t.obs?.kind ?? t.open?.kind ?? 'unknown', transition: t.transition });
    }
    for (const [i, stage] of ['read', 'evaluate', 'write'].entries())
      m.tickSeconds.observe({ stage }, ms[i]! / 1000);
    const open = await db.all<{ kind: string; severity: string; n: number }>(
      `SELECT kind, severity, COUNT(*) AS n FROM alerts WHERE state = 'open' GROUP BY kind, severity`,
    );
    m.open.reset();
    for (const r of open) m.open.set({ kind: r.kind, severity: r.severity }, Number(r.n));
  }

  /**
   * The tick's writes, in one transaction that never waits for a turn of the event loop (the rows
   * were built before it opened, `planWrites`): on PostgreSQL an open transaction holds its row
   * locks and the oldest running transaction id that every replica's change cursor starts from
   * (latest-cache.ts); on SQLite every other writer waits for it.
   */
  async function writePlan(
    tx: Db,
    w: Writes,
    snapshot: FleetSnapshot,
    now: number,
  ): Promise<Omit<TickReport, 'observations' | 'ms'>> {
    await insertMany(
      tx,
      'INSERT INTO alert_known_workers (miner_id, pool_url, worker, source, at)',
      5,
      w.workers,
      `ON CONFLICT (miner_id) DO UPDATE SET pool_url = excluded.pool_url, worker = excluded.worker,
         source = excluded.source, at = excluded.at`,
    );
    for (const [ruleId, subject] of w.deletes)
      await tx.run('DELETE FROM alert_tracking WHERE rule_id = ? AND subject = ?', [ruleId, subject]);
    await insertMany(
      tx,
      'INSERT INTO alert_tracking (rule_id, subject, breaches, breach_since, clears)',
      5,
      w.upserts,
      `ON CONFLICT (rule_id, subject) DO UPDATE SET breaches = excluded.breaches,
         breach_since = excluded.breach_since, clears = excluded.clears`,
    );
    await updateOpenAlerts(tx, w.updates, now);
    const notices: { alert: AlertRecord; transition: 'open' | 'resolve'; notifiedOpen: boolean }[] = [];
    for (const n of w.notices) {
      if (n.transition === 'open') {
        notices.push({ alert: n.alert, transition: 'open', notifiedOpen: true });
        continue;
      }
      await tx.run(
        `UPDATE alerts SET state = 'resolved', resolved_at = ?, updated_at = ?, details_json = ? WHERE id = ?`,
        [now, now, JSON.stringify(n.details), n.id],
      );
      const row = await tx.get<AlertRow>('SELECT * FROM alerts WHERE id = ?', [n.id]);
      if (row)
        notices.push({
          alert: alertFromRow(row),
          transition: 'resolve',
          notifiedOpen: n.details['notified'] !== false,
        });
    }
    await insertMany(
      tx,
      `INSERT INTO alerts (id, rule_id, kind, subject, miner_id, container_id, site_id, agent_id, severity, state,
         opened_at, updated_at, resolved_at, value, threshold, message, details_json)`,
      17,
      w.inserts,
    );
    const counts = { ...w.counts, notifications: 0 };
    if (notices.length) counts.notifications = await notify(tx, notices, snapshot, now);
    return counts;
  }

  async function notify(
    tx: Db,
    notices: { alert: AlertRecord; transition: 'open' | 'resolve'; notifiedOpen: boolean }[],
    snapshot: FleetSnapshot,
    now: number,
  ): Promise<number> {
    const webhooks = await loadWebhooks(tx);
    // Read for all the notices at once (a tick that resolves hundreds of alerts did 2 queries for
    // each, and mapped all 100,000 miners' places, inside its transaction).
    const minerIds = new Set(notices.map((x) => x.alert.minerId));
    const where = new Map<string, { rack: string | null; slot: string | null }>();
    for (const m of snapshot.miners) if (minerIds.has(m.id)) where.set(m.id, { rack: m.rack, slot: m.slot });
    const opens = await opensInWindow(tx, notices, now - deps.settings.flapWindowMs);
    const silences = await tx.all<{ subject: string; kind: string | null }>(
      'SELECT subject, kind FROM alert_silences WHERE until_at > ?',
      [now],
    );
    let n = 0;
    for (const { alert, transition, notifiedOpen } of notices) {
      const silenced = silences.some(
        (x) => x.subject === alert.subject && (x.kind === null || x.kind === alert.kind),
      );
      const opensInWindow = opens.get(trackingKey(alert.ruleId, alert.subject)) ?? 0;
      const event = notificationFor(
        transition,
        opensInWindow,
        deps.settings.flapBudget,
        silenced,
        notifiedOpen,
      );
      if (transition === 'open' && event !== 'opened') {
        // Remembered so this alert's resolve is held as well.
        const details = {
          ...alert.details,
          notified: false,
          heldBecause: silenced ? 'silenced' : 'flapping',
        };
        await tx.run('UPDATE alerts SET details_json = ? WHERE id = ?', [JSON.stringify(details), alert.id]);
      }
      if (!event || webhooks.length === 0) continue;
      const at = (alert.minerId ? where.get(alert.minerId) : undefined) ?? { rack: null, slot: null };
      n += await enqueue(
        tx,
        webhooks,
        event,
        alert,
        (id) => webhookPayload(id, event, alert, at, deps.linkBase, opensInWindow),
        now,
      );
    }
    return n;
  }

  return { tick };
}

/** How many alerts of each notice's (rule, subject) opened after `since`, 250 pairs a query. */
async function opensInWindow(
  tx: Db,
  notices: { alert: AlertRecord }[],
  since: number,
): Promise<Map<string, number>> {
  const pairs = new Map<string, [string, string]>();
  for (const { alert } of notices)
    pairs.set(trackingKey(alert.ruleId, alert.subject), [alert.ruleId, alert.subject]);
  const all = [...pairs.values()];
  const counts = new Map<string, number>();
  for (let i = 0; i < all.length; i += 250) {
    const part = all.slice(i, i + 250);
    const rows = await tx.all<{ rule_id: string; subject: string; n: number | string }>(
      `SELECT rule_id, subject, COUNT(*) AS n FROM alerts
       WHERE opened_at > ? AND (rule_id, subject) IN (VALUES ${part.map(() => '(?, ?)').join(', ')})
       GROUP BY rule_id, subject`,
      [since, ...part.flat()],
    );
    for (const r of rows) counts.set(trackingKey(r.rule_id, r.subject), Number(r.n));
  }
  return counts;
}

const prevDetails = (r: OpenRow): Record<string, unknown> =>
  JSON.parse(r.details_json) as Record<string, unknown>;

/** What a tick writes, built before its transaction opens. */
type Writes = {
  workers: SqlValue[][];
  /** Tracking rows to delete, as [rule_id, subject]. */
  deletes: [string, string][];
  /** Tracking rows whose counters changed (an unchanged row is not written again). */
  upserts: SqlValue[][];
  /** Open alerts' new figures: [id, value, threshold, message, details_json]. */
  updates: SqlValue[][];
  inserts: SqlValue[][];
  /** Opened alerts and resolved ones, in the plan's order (the order their notices go out). */
  notices: (
    | { transition: 'open'; alert: AlertRecord }
    | { transition: 'resolve'; id: string; details: Record<string, unknown> }
  )[];
  counts: { opened: number; updated: number; resolved: number };
};

/**
 * The rows of a plan: pure, and paced when `paced` (a turn of the event loop every 500 items,
 * outside any transaction).
 *
 * Long because each transition kind builds its own row; the branches share the counters.
 */
async function planWrites(
  plan: TickPlan,
  tracking: Map<string, Tracking>,
  workers: SqlValue[][],
  now: number,
  paced: boolean,
): Promise<Writes> {
  const w: Writes = {
    workers,
    deletes: [],
    upserts: [],
    updates: [],
    inserts: [],
    notices: [],
    counts: { opened: 0, updated: 0, resolved: 0 },
  };
  let items = 0;
  const pace = async () => {
    if (paced && ++items % 500 === 0) await yieldToLoop();
  };
  for (const [key, t] of plan.tracking) {
    await pace();
    const [ruleId, subject] = key.split('\u0000') as [string, string];
    const prev = tracking.get(key);
    if (t === null) w.deletes.push([ruleId, subject]);
    else if (
      !prev ||
      prev.breaches !== t.breaches ||
      prev.breachSince !== t.breachSince ||
      prev.clears !== t.clears
    )
      w.upserts.push([ruleId, subject, t.breaches, t.breachSince, t.clears]);
  }
  for (const t of plan.transitions) {
    await pace();
    const o = t.obs;
    if (t.transition === 'open' && o) {
      const alert: AlertRecord = {
        id: randomUUID(),
        ruleId: o.rule.id,
        kind: o.kind,
        subject: o.subject,
        minerId: o.minerId,
        containerId: o.containerId,
        siteId: o.siteId,
        agentId: o.agentId,
        severity: o.severity,
        state: 'open',
        openedAt: now,
        updatedAt: now,
        resolvedAt: null,
        value: o.value,
        threshold: o.threshold,
        message: o.message,
        details: { ...o.details, rack: o.rack, slot: o.slot },
      };
      w.inserts.push([
        alert.id,
        alert.ruleId,
        alert.kind,
        alert.subject,
        alert.minerId,
        alert.containerId,
        alert.siteId,
        alert.agentId,
        alert.severity,
        'open',
        now,
        now,
        null,
        alert.value,
        alert.threshold,
        alert.message,
        JSON.stringify(alert.details),
      ]);
      w.notices.push({ transition: 'open', alert });
      w.counts.opened++;
    } else if (t.transition === 'update' && o && t.open) {
      const details = JSON.stringify({ ...prevDetails(t.open), ...o.details });
      w.updates.push([t.open.id, o.value, o.threshold, o.message, details]);
      w.counts.updated++;
    } else if (t.transition === 'resolve' && t.open) {
      const reason = o
        ? o.status === 'suppressed'
          ? o.message
          : 'back to normal'
        : 'rule no longer applies';
      // `resolvedBy` tells remediation whether the figure came back (a fix worked) or the miner
      // was paused, switched off or the rule went away (nothing was proven).
      const resolvedBy = o ? (o.status === 'suppressed' ? 'suppressed' : 'clear') : 'rule_gone';
      const details = { ...prevDetails(t.open), resolvedBecause: reason, resolvedBy };
      w.notices.push({ transition: 'resolve', id: t.open.id, details });
      w.counts.resolved++;
    }
  }
  return w;
}

/** Open alerts per multi-row statement on PostgreSQL (5 parameters a row). */
const UPDATE_ROWS = 500;
const UPDATE_TUPLE =
  '(CAST(? AS TEXT), CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION), CAST(? AS TEXT), CAST(? AS TEXT))';

/**
 * Every open alert's new figures. PostgreSQL: UPDATE_ROWS a statement (`UPDATE ... FROM (VALUES
 * ...)`; a VALUES list's columns are column1..), one round trip instead of one per alert: at
 * 100,000 miners a tick updates thousands of open alerts. SQLite: one prepared statement per alert,
 * which costs no round trip; its planner runs the multi-row form as a scan of the whole alerts
 * table per statement (resolved alerts included), 285 ms against 51 ms for 6,000 updates of a
 * 50,000-row table.
 */
async function updateOpenAlerts(tx: Db, rows: SqlValue[][], now: number): Promise<void> {
  if (tx.dialect !== 'postgres') {
    for (const [id, value, threshold, message, details] of rows)
      await tx.run(
        'UPDATE alerts SET value = ?, threshold = ?, message = ?, updated_at = ?, details_json = ? WHERE id = ?',
        [value!, threshold!, message!, now, details!, id!],
      );
    return;
  }
  for (let i = 0; i < rows.length; i += UPDATE_ROWS) {
    const part = rows.slice(i, i + UPDATE_ROWS);
    await tx.run(
      `UPDATE alerts SET value = v.column2, threshold = v.column3, message = v.column4, updated_at = ?,
         details_json = v.column5
       FROM (VALUES ${part.map(() => UPDATE_TUPLE).join(', ')}) AS v WHERE alerts.id = v.column1`,
      [now, ...part.flat()],
    );
  }
}

/**
 * A first sighting may be recorded as known-good only at a site without worker patterns (trust on
 * first use, the old behaviour), or when the worker matches one of them: at a site with an
 * allowlist an unknown worker is never blessed by being seen (issue 17 item 5).
 */
function allowedBySite(snapshot: FleetSnapshot, siteId: string | null, worker: string): boolean {
  const patterns = siteId ? snapshot.workerPatterns?.get(siteId) : undefined;
  return !patterns?.length || patterns.some((p) => p.test(worker));
}

/**
 * Known-good workers to record: the worker of the last successful pool.set when newer than what
 * is known (a person's mark through the API is newer when made after it), else the first worker
 * seen for a miner when its site allows it (allowedBySite). The snapshot is updated in place so this
 * tick already judges by them.
 */
function knownWorkerChanges(
  snapshot: FleetSnapshot,
  poolSets: { miner_id: string; action_json: string; finished_at: number | null }[],
  now: number,
): SqlValue[][] {
  const lastSet = new Map<string, { url: string; user: string; at: number }>();
  for (const r of poolSets) {
    try {
      const a = JSON.parse(r.action_json) as { url?: string; user?: string };
      if (a.url && a.user) lastSet.set(r.miner_id, { url: a.url, user: a.user, at: r.finished_at ?? 0 });
    } catch {
      // A stored action that does not parse says nothing about the worker.
    }
  }
  const rows: SqlValue[][] = [];
  for (const m of snapshot.miners) {
    const set = lastSet.get(m.id);
    const k = m.knownWorker;
    // A pool.set outranks a first sighting; otherwise the newer of it and a person's mark wins.
    const setIsNewer = !!set && (!k || k.source === 'first_seen' || set.at > (k.at ?? 0));
    if (set && setIsNewer && (k?.source !== 'pool.set' || k.worker !== set.user || k.poolUrl !== set.url)) {
      m.knownWorker = { poolUrl: set.url, worker: set.user, source: 'pool.set', at: now };
      rows.push([m.id, set.url, set.user, 'pool.set', now]);
    } else if (
      !m.knownWorker &&
      m.latest?.pool &&
      m.latest.online &&
      allowedBySite(snapshot, m.siteId, m.latest.pool.user)
    ) {
      m.knownWorker = {
        poolUrl: m.latest.pool.url,
        worker: m.latest.pool.user,
        source: 'first_seen',
        at: now,
      };
      rows.push([m.id, m.latest.pool.url, m.latest.pool.user, 'first_seen', now]);
    }
  }
  return rows;
}
