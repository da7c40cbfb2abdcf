import type { Audit } from '../core/audit.js';
import type { Principal } from '../core/auth/roles.js';
import type { Db } from '../core/storage/db.js';
import { type MinerHour, pickMinerHour } from '../energy/index.js';
import { readMinerHours } from './load-inputs.js';
import { parsePeriodId, periodContaining } from './period.js';
import { AccountingError } from './register.js';
import type { Period } from './types.js';

/**
 * Is a period's data complete enough to close (issue 18 item 2)? Per container-hour of the
 * period: telemetry coverage (miners seen / miners the inventory places in the container), energy
 * coverage (miner-hours with an energy source / miners expected or seen), work present (accepted
 * shares), credit present (a pool credit for the period). The containers are those of the
 * inventory with a miner in service or asleep, plus any container that sent data in the period.
 * Below the thresholds the close refuses unless an operator overrides it with a reason.
 */
export const THRESHOLDS = {
  /** Mean telemetry coverage over the container-hours. */
  telemetry: 0.9,
  /** Mean energy coverage over the container-hours. */
  energy: 0.9,
  /** Share of the container-hours with telemetry that have accepted work. */
  work: 0.9,
} as const;

export interface ContainerHourCompleteness {
  siteId: string;
  containerId: string;
  hourStartMs: number;
  minersExpected: number;
  minersSeen: number;
  telemetryCoverage: number;
  energyCoverage: number;
  workPresent: boolean;
  creditPresent: boolean;
  diff1Shares: number;
}

export interface CompletenessReport {
  periodId: string;
  thresholds: typeof THRESHOLDS;
  summary: {
    containerHours: number;
    telemetryCoverage: number;
    energyCoverage: number;
    /** Share of container-hours with telemetry that have work. */
    workCoverage: number;
    creditPresent: boolean;
    creditedSats: string;
    diff1Shares: number;
  };
  /** Warnings shown with the report; `credit_without_work`: a credit with no recorded work. */
  flags: string[];
  /** Why the period is below the thresholds (empty when complete). */
  failures: string[];
  complete: boolean;
  hours: ContainerHourCompleteness[];
}

const HOUR_MS = 3_600_000;
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);

/** `minerHours`: the period's, when the caller has read them already (the close reads them once). */
export async function completenessOf(
  db: Db,
  period: Period,
  minerHours?: readonly MinerHour[],
): Promise<CompletenessReport> {
  const expected = await db.all<{ site_id: string; container_id: string; n: number }>(
    `SELECT c.site_id, c.id AS container_id, COUNT(*) AS n FROM containers c JOIN miners m ON m.container_id = c.id
     WHERE m.status IN ('in_service', 'sleeping') GROUP BY c.site_id, c.id`,
  );
  const work = await db.all<{
    site_id: string;
    container_id: string;
    hour_start: number;
    d: number;
    samples: number;
  }>(
    `SELECT site_id, container_id, hour_start, diff1_shares AS d, samples FROM container_hourly
     WHERE hour_start >= ? AND hour_start < ?`,
    [period.startMs, period.endMs],
  );
  const perMiner = minerHours ?? (await readMinerHours(db, period.startMs, period.endMs));
  const credit = await db.get<{ n: number; sats: bigint | null }>(
    'SELECT COUNT(*) AS n, SUM(amount_sats) AS sats FROM acct_credits WHERE period_id = ?',
    [period.id],
  );
  const creditPresent = Number(credit?.n ?? 0) > 0;

  const rows = new Map<string, ContainerHourCompleteness & { units: number; samples: number }>();
  const key = (site: string, container: string, hour: number) => `${site}\u0000${container}\u0000${hour}`;
  const row = (site: string, container: string, hour: number) => {
    const k = key(site, container, hour);
    let r = rows.get(k);
    if (!r) {
      r = {
        siteId: site,
        containerId: container,
        hourStartMs: hour,
        minersExpected: 0,
        minersSeen: 0,
        telemetryCoverage: 0,
        energyCoverage: 0,
        workPresent: false,
        creditPresent,
        diff1Shares: 0,
        units: 0,
        samples: 0,
      };
      rows.set(k, r);
    }
    return r;
  };
  for (const e of expected)
    for (let h = period.startMs; h < period.endMs; h += HOUR_MS)
      row(e.site_id, e.container_id, h).minersExpected = Number(e.n);
  for (const w of work) {
    const r = row(w.site_id, w.container_id, Number(w.hour_start));
    r.diff1Shares = Number(w.d);
    r.samples = Number(w.samples);
  }
  for (const m of perMiner) {
    const r = row(m.siteId, m.containerId, m.hourStartMs);
    if (m.reportedN + m.estimatedN > 0) r.minersSeen += 1;
    if (pickMinerHour(m)) r.units += 1;
  }
  const hours: ContainerHourCompleteness[] = [];
  for (const r of rows.values()) {
    const { units, samples, ...h } = r;
    const seenOrExpected = Math.max(h.minersExpected, h.minersSeen, units);
    h.telemetryCoverage = round4(
      h.minersExpected > 0
        ? Math.min(1, h.minersSeen / h.minersExpected)
        : samples > 0 || h.minersSeen > 0
          ? 1
          : 0,
    );
    h.energyCoverage = round4(seenOrExpected > 0 ? Math.min(1, units / seenOrExpected) : 0);
    h.workPresent = h.diff1Shares > 0;
    hours.push(h);
  }
  hours.sort(
    (a, b) =>
      (a.siteId < b.siteId ? -1 : a.siteId > b.siteId ? 1 : 0) ||
      (a.containerId < b.containerId ? -1 : a.containerId > b.containerId ? 1 : 0) ||
      a.hourStartMs - b.hourStartMs,
  );

  const withTelemetry = hours.filter((h) => h.telemetryCoverage > 0);
  const summary = {
    containerHours: hours.length,
    telemetryCoverage: round4(mean(hours.map((h) => h.telemetryCoverage))),
    energyCoverage: round4(mean(hours.map((h) => h.energyCoverage))),
    workCoverage: round4(mean(withTelemetry.map((h) => (h.workPresent ? 1 : 0)))),
    creditPresent,
    creditedSats: String(credit?.sats ?? 0n),
    diff1Shares: hours.reduce((s, h) => s + h.diff1Shares, 0),
  };
  const flags: string[] = [];
  if (creditPresent && BigInt(summary.creditedSats) > 0n && summary.diff1Shares === 0)
    flags.push('credit_without_work');
  const failures: string[] = [];
  if (!creditPresent) failures.push('no pool credit entered');
  if (hours.length === 0) failures.push('no container sent data and none is expected to');
  else {
    if (summary.telemetryCoverage < THRESHOLDS.telemetry)
      failures.push(`telemetry coverage ${pct(summary.telemetryCoverage)} < ${pct(THRESHOLDS.telemetry)}`);
    if (summary.energyCoverage < THRESHOLDS.energy)
      failures.push(`energy coverage ${pct(summary.energyCoverage)} < ${pct(THRESHOLDS.energy)}`);
    if (summary.diff1Shares === 0) failures.push('no work recorded in the period');
    else if (summary.workCoverage < THRESHOLDS.work)
      failures.push(
        `work in ${pct(summary.workCoverage)} of the container-hours with telemetry < ${pct(THRESHOLDS.work)}`,
      );
  }
  if (flags.includes('credit_without_work')) failures.push('a pool credit with no recorded work');
  return {
    periodId: period.id,
    thresholds: THRESHOLDS,
    summary,
    flags,
    failures,
    complete: failures.length === 0,
    hours,
  };
}

/** The report stored with a closed period (with the override, if any), else null. */
export async function storedCompleteness(
  db: Db,
  periodId: string,
): Promise<(CompletenessReport & { override?: { reason: string; by: string } }) | null> {
  const r = await db.get<{ report_json: string }>(
    'SELECT report_json FROM acct_completeness WHERE period_id = ?',
    [periodId],
  );
  return r ? JSON.parse(r.report_json) : null;
}

export async function storeCompleteness(
  db: Db,
  report: CompletenessReport,
  override: { reason: string; by: string } | null,
  now: number,
): Promise<void> {
  await db.run(
    `INSERT INTO acct_completeness (period_id, report_json, computed_at) VALUES (?, ?, ?)
     ON CONFLICT (period_id) DO UPDATE SET report_json = excluded.report_json, computed_at = excluded.computed_at`,
    [report.periodId, JSON.stringify(override ? { ...report, override } : report), now],
  );
}

/** The end of the last period closed or waived, and its id; null before the first. */
async function lastSettled(db: Db): Promise<{ id: string; endMs: number } | null> {
  const closed = await db.get<{ period_id: string; end_ms: number }>(
    'SELECT period_id, end_ms FROM acct_closes ORDER BY end_ms DESC LIMIT 1',
  );
  let last = closed ? { id: closed.period_id, endMs: Number(closed.end_ms) } : null;
  for (const w of await db.all<{ period_id: string }>('SELECT period_id FROM acct_waivers')) {
    const p = parsePeriodId(w.period_id);
    if (!last || p.endMs > last.endMs) last = { id: p.id, endMs: p.endMs };
  }
  return last;
}

export async function waiverOf(
  db: Db,
  periodId: string,
): Promise<{ reason: string; waivedBy: string; waivedAtMs: number } | null> {
  const w = await db.get<{ reason: string; waived_by: string; waived_at: number }>(
    'SELECT reason, waived_by, waived_at FROM acct_waivers WHERE period_id = ?',
    [periodId],
  );
  return w ? { reason: w.reason, waivedBy: w.waived_by, waivedAtMs: Number(w.waived_at) } : null;
}

/**
 * Periods close in order: the period must follow the last one closed or waived directly. A
 * skipped period is never left behind unbooked: close it, or waive it with a reason.
 */
export async function assertNextInOrder(db: Db, period: Period, verb: 'close' | 'waive'): Promise<void> {
  const where = `period ${period.id}`;
  const waived = await waiverOf(db, period.id);
  if (waived)
    throw new AccountingError(
      `${where}: waived by ${waived.waivedBy} (${waived.reason}); it cannot be ${verb}d`,
      409,
    );
  const last = await lastSettled(db);
  if (!last || last.endMs >= period.endMs) return; // first period, or the later-period check refuses it
  if (last.endMs < period.startMs) {
    const skipped = periodContaining(last.endMs, (period.endMs - period.startMs) / 1000).id;
    throw new AccountingError(
      `${where}: period ${skipped} (after ${last.id}) is neither closed nor waived; periods close in order: close ${skipped} first, or waive it with a reason (POST /periods/${skipped}/waive)`,
      409,
    );
  }
}

/** Waives a period that will never be closed (no pool credit will come, say), with its reason. */
export async function waivePeriod(
  deps: { db: Db; audit: Audit; now(): number },
  periodId: string,
  reason: string,
  actor: Principal,
): Promise<{ periodId: string; reason: string; waivedBy: string; waivedAtMs: number }> {
  let period: Period;
  try {
    period = parsePeriodId(periodId);
  } catch (e) {
    throw new AccountingError((e as Error).message);
  }
  if (reason.trim().length < 3) throw new AccountingError(`period ${periodId}: a waiver needs a reason`);
  return deps.db.tx(async (db) => {
    if (await db.get('SELECT 1 AS x FROM acct_closes WHERE period_id = ?', [periodId]))
      throw new AccountingError(`period ${periodId}: already closed`, 409);
    if (period.endMs > deps.now()) throw new AccountingError(`period ${periodId}: has not ended yet`, 409);
    await assertNextInOrder(db, period, 'waive');
    const at = deps.now();
    await db.run('INSERT INTO acct_waivers (period_id, reason, waived_by, waived_at) VALUES (?, ?, ?, ?)', [
      periodId,
      reason.trim(),
      actor.name,
      at,
    ]);
    await deps.audit.record({
      actor,
      action: 'accounting.period.waive',
      subject: `period ${periodId}`,
      details: { reason: reason.trim() },
    });
    return { periodId, reason: reason.trim(), waivedBy: actor.name, waivedAtMs: at };
  });
}

export interface PeriodReadiness {
  periodId: string;
  closed: boolean;
  waiver: { reason: string; waivedBy: string; waivedAtMs: number } | null;
  /** null when the period may close next; else why not (order, not ended). */
  blockedBy: string | null;
  report: (CompletenessReport & { override?: { reason: string; by: string } }) | null;
}

/** What the API and the CLI show before a close: the report (stored once closed) and the order. */
export async function periodReadiness(db: Db, periodId: string, now: number): Promise<PeriodReadiness> {
  let period: Period;
  try {
    period = parsePeriodId(periodId);
  } catch (e) {
    throw new AccountingError((e as Error).message);
  }
  const closed =
    (await db.get('SELECT 1 AS x FROM acct_closes WHERE period_id = ?', [periodId])) !== undefined;
  const waiver = await waiverOf(db, periodId);
  let blockedBy: string | null = null;
  if (closed) blockedBy = 'closed';
  else if (period.endMs > now) blockedBy = 'has not ended yet';
  else {
    try {
      await assertNextInOrder(db, period, 'close');
    } catch (e) {
      blockedBy = (e as Error).message;
    }
  }
  const report = closed ? await storedCompleteness(db, periodId) : await completenessOf(db, period);
  return { periodId, closed, waiver, blockedBy, report };
}
