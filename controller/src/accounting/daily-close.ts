import { SYSTEM } from '../core/auth/roles.js';
import type { FeatureContext } from '../core/feature.js';
import type { Job } from '../core/jobs.js';
import { completenessOf, periodReadiness } from './completeness.js';
import { parsePeriodId, periodContaining } from './period.js';
import { ruleAt } from './register.js';
import { closeAndPublish } from './service.js';

/**
 * The scheduled close: each run takes the next period in order (the one after the last closed or
 * waived, or the earliest with a pool credit when none is), and closes it once it has ended, its
 * pool credit is entered and its completeness report passes. An incomplete period is never
 * closed here: the job audits `accounting.period.close_blocked` with the failures (once per
 * period and set of failures) and waits for an operator (close with an override, or waive).
 */
export const DAILY_CLOSE_EVERY_MS = 10 * 60_000;

export type DailyCloseOutcome =
  | { periodId: string; outcome: 'closed' | 'blocked' | 'waiting'; why?: string }
  | { periodId: null; outcome: 'idle' };

export function dailyCloseJob(
  ctx: FeatureContext,
): Job & { runOnce(now: number): Promise<DailyCloseOutcome> } {
  const reported = new Set<string>();
  const deps = { db: ctx.db, audit: ctx.audit, influx: ctx.influx, now: ctx.now };

  async function nextPeriod(now: number): Promise<string | null> {
    const closed = await ctx.db.get<{ end_ms: number }>(
      'SELECT end_ms FROM acct_closes ORDER BY end_ms DESC LIMIT 1',
    );
    let lastEnd = closed ? Number(closed.end_ms) : null;
    for (const w of await ctx.db.all<{ period_id: string }>('SELECT period_id FROM acct_waivers')) {
      const end = parsePeriodId(w.period_id).endMs;
      if (lastEnd === null || end > lastEnd) lastEnd = end;
    }
    if (lastEnd === null) {
      const first = await ctx.db.get<{ period_id: string }>(
        'SELECT period_id FROM acct_credits ORDER BY period_id LIMIT 1',
      );
      return first?.period_id ?? null;
    }
    if (lastEnd > now) return null;
    const rule = await ruleAt(ctx.db, lastEnd);
    return periodContaining(lastEnd, rule.periodSeconds).id;
  }

  async function runOnce(now: number): Promise<DailyCloseOutcome> {
    const id = await nextPeriod(now);
    if (!id) return { periodId: null, outcome: 'idle' };
    const r = await periodReadiness(ctx.db, id, now);
    if (r.blockedBy) return { periodId: id, outcome: 'waiting', why: r.blockedBy };
    const report = r.report ?? (await completenessOf(ctx.db, parsePeriodId(id)));
    if (!report.summary.creditPresent)
      return { periodId: id, outcome: 'waiting', why: 'no pool credit entered' };
    if (!report.complete) {
      const key = `${id}\u0000${report.failures.join('; ')}`;
      if (!reported.has(key)) {
        reported.add(key);
        ctx.logger.warn(
          { period: id, failures: report.failures },
          'scheduled close refused: period incomplete',
        );
        await ctx.audit.record({
          actor: SYSTEM,
          action: 'accounting.period.close_blocked',
          subject: `period ${id}`,
          details: { failures: report.failures, flags: report.flags },
        });
      }
      return { periodId: id, outcome: 'blocked', why: report.failures.join('; ') };
    }
    await closeAndPublish(deps, id, SYSTEM);
    return { periodId: id, outcome: 'closed' };
  }

  return {
    name: 'accounting.daily-close',
    everyMs: DAILY_CLOSE_EVERY_MS,
    singleton: true,
    runOnce,
    async run(now) {
      // Catches up after downtime: closes periods in order while they are complete.
      for (let i = 0; i < 31; i++) if ((await runOnce(now)).outcome !== 'closed') return;
    },
  };
}
