import type { CommandAction } from '@hashfleet/contracts';
import { commandedReason, commandedWindows } from '../commands/index.js';
import { SYSTEM } from '../core/auth/roles.js';
import type { FeatureContext } from '../core/feature.js';
import { throwIfStopping } from '../core/jobs.js';
import { ticketForMiner } from '../tickets/index.js';
import { blockedRungs, type MinerReach, transportsFor } from './capabilities.js';
import { decide, type OpenAlert, type PlannedStep, settle } from './ladder.js';
import { type CommandRung, isCommandRung, LADDERS, RUNGS } from './ladders.js';
import { remediationMetrics } from './metrics.js';
import { mergeSettings, type RemediationSettings } from './settings.js';
import { CHUNK, insertStep, ladderSteps, siteSettings } from './store.js';

const DAY_MS = 86_400_000;

/**
 * The tick in flight per database: a `tick(now)` called directly (tests, a CLI) waits for the
 * timer's run on the same database instead of interleaving with it, so no step is taken twice.
 */
const inFlight = new WeakMap<object, Promise<void>>();

type MinerFacts = MinerReach & {
  id: string;
  status: string;
  containerId: string | null;
  siteId: string | null;
  slotId: string | null;
};

/**
 * Miners a run takes steps for, at the most; the others wait for the next run (remediation runs
 * after each alert tick, remediation/index.ts), the oldest alert first. A run's steps are a few
 * transactions per miner, and the alert tick waits for the run (one chain, core/jobs.ts): in the
 * 100,000-miner scale rehearsal a fleet-wide `board_missing` ticketed 32,500 miners in one run,
 * and for its minutes no alert tick ran.
 */
export const ACT_PER_RUN = 250;

/**
 * One alert kind open on at least this share of a site's miners in service (and on at least
 * MASS_MIN of them) has a common cause likelier than as many faults: a switch or a feed down, a
 * firmware or profile reporting wrongly. The ladder holds for that kind at that site until fewer
 * are affected, and says so once an hour; restarting, power-cycling or ticketing thousands of
 * miners one by one would not cure it (the 100,000-miner rehearsal's fleet-wide `board_missing`
 * ticketed 32,500 miners). Overheating is never held: sleeping a hot miner protects it whatever
 * the cause.
 */
export const MASS_SHARE = 0.2;
export const MASS_MIN = 50;
const NEVER_HELD = new Set(['chip_overtemp', 'board_overtemp']);

/**
 * The remediation job: settles steps waiting for verification, then runs each alerting miner's
 * ladder (`decide`) and carries the steps out: commands through `issueCommand` as SYSTEM with
 * issuer `remediation:<alert kind>`, tickets through the tickets service. Every step is stored
 * and audited. A singleton (one replica), run after the alert evaluation.
 *
 * Long because it is a factory: settling, deciding and acting share the ladder state, the clock and
 * the issuing of commands and tickets through the closure; each step is its own inner function.
 */

export function createRemediation(
  ctx: FeatureContext,
  opts: { actPerRun?: number; massShare?: number; massMin?: number } = {},
) {
  const { db, audit, logger } = ctx;
  const actPerRun = opts.actPerRun ?? ACT_PER_RUN;
  const massShare = opts.massShare ?? MASS_SHARE;
  const massMin = opts.massMin ?? MASS_MIN;
  const stats = { ticks: 0, steps: 0, errors: 0, deferred: 0, held: 0 };
  const heldLoggedAt = new Map<string, number>();
  const metrics = ctx.metrics ? remediationMetrics(ctx.metrics.registry) : undefined;
  const failedMiner = () => {
    stats.errors++;
    metrics?.errors.inc();
  };

  async function settlePending(now: number) {
    const rows = await db.all<{
      id: string;
      miner_id: string;
      alert_id: string;
      rung: CommandRung;
      verify_by: number | null;
      at: number;
      alert_state: 'open' | 'resolved' | null;
      alert_details: string | null;
      command_state: string | null;
      result_json: string | null;
    }>(
      `SELECT s.id, s.miner_id, s.alert_id, s.rung, s.verify_by, s.at, a.state AS alert_state,
         a.details_json AS alert_details,
         COALESCE(c.result_status, c.state) AS command_state, c.result_json
       FROM remediation_steps s LEFT JOIN alerts a ON a.id = s.alert_id LEFT JOIN commands c ON c.id = s.command_id
       WHERE s.outcome = 'pending'`,
    );
    for (const r of rows) {
      throwIfStopping();
      let message: string | null = null;
      try {
        message = r.result_json
          ? ((JSON.parse(r.result_json) as { message?: string }).message ?? null)
          : null;
      } catch {
        message = null;
      }
      const resolved = r.alert_state === 'resolved' ? parseResolution(r.alert_details) : null;
      const verdict = settle({
        rung: r.rung,
        verifyBy: Number(r.verify_by ?? r.at),
        alertState: r.alert_state,
        alertResolvedBy: resolved?.resolvedBy ?? null,
        alertResolvedBecause: resolved?.resolvedBecause ?? null,
        commandState: r.command_state,
        commandMessage: message,
        now,
      });
      if (!verdict) continue;
      await db.tx(async (tx) => {
        await tx.run(
          `UPDATE remediation_steps SET outcome = ?, settled_at = ?, result = ? WHERE id = ? AND outcome = 'pending'`,
          [verdict.outcome, now, verdict.reason.slice(0, 1000), r.id],
        );
        await audit.record({
          actor: SYSTEM,
          action: `remediation.${verdict.outcome}`,
          subject: `miner ${r.miner_id}`,
          details: { stepId: r.id, alertId: r.alert_id, rung: r.rung, reason: verdict.reason },
        });
      });
      metrics?.steps.inc({ rung: r.rung, outcome: verdict.outcome });
    }
  }

  async function loadFacts(minerIds: string[]): Promise<Map<string, MinerFacts>> {
    const out = new Map<string, MinerFacts>();
    for (let i = 0; i < minerIds.length; i += CHUNK) await loadFactsInto(out, minerIds.slice(i, i + CHUNK));
    return out;
  }

  async function loadFactsInto(out: Map<string, MinerFacts>, minerIds: string[]) {
    const rows = await db.all<{
      id: string;
      profile: string | null;
      status: string;
      container_id: string | null;
      site_id: string | null;
      slot_id: string | null;
      agent_id: string | null;
      birth_json: string | null;
      miner_key: string | null;
      pdu_id: string | null;
      outlet: number | null;
      pdu_agent_id: string | null;
    }>(
      `SELECT m.id, m.profile, m.status, m.container_id, m.site_id, m.slot_id, c.agent_id, ag.birth_json,
         (SELECT am.miner_key FROM agent_miners am WHERE am.miner_id = m.id AND am.agent_id = c.agent_id
           ORDER BY am.updated_at DESC LIMIT 1) AS miner_key,
         o.pdu_id, o.outlet, pc.agent_id AS pdu_agent_id
       FROM miners m
       LEFT JOIN containers c ON c.id = m.container_id
       LEFT JOIN agents ag ON ag.id = c.agent_id
       LEFT JOIN pdu_outlets o ON o.slot_id = m.slot_id
       LEFT JOIN pdus p ON p.id = o.pdu_id
       LEFT JOIN containers pc ON pc.id = p.container_id
       WHERE m.id IN (${minerIds.map(() => '?').join(',')})
       ORDER BY m.id, o.pdu_id, o.outlet`,
      minerIds,
    );
    for (const r of rows) {
      if (out.has(r.id)) continue; // a slot on two outlets: the first one
      out.set(r.id, {
        id: r.id,
        status: r.status,
        containerId: r.container_id,
        siteId: r.site_id,
        slotId: r.slot_id,
        profile: r.profile ?? profileFromBirth(r.birth_json, r.miner_key),
        agentId: r.agent_id,
        minerKey: r.miner_key,
        outlet:
          r.pdu_id !== null && r.outlet !== null
            ? { pduId: r.pdu_id, outlet: Number(r.outlet), agentId: r.pdu_agent_id }
            : null,
      });
    }
  }

  /** Whether each miner's latest reading is online, and when it was received. */
  async function latestOnline(minerIds: string[]) {
    const out = new Map<string, { online: boolean; receivedAt: number }>();
    for (let i = 0; i < minerIds.length; i += CHUNK) {
      const part = minerIds.slice(i, i + CHUNK);
      const rows = await db.all<{
        miner_id: string;
        online: number | null;
        received_at: number | null;
        at: number;
      }>(
        `SELECT miner_id, online, received_at, at FROM miner_latest WHERE miner_id IN (${part.map(() => '?').join(',')})`,
        part,
      );
      for (const r of rows)
        out.set(r.miner_id, { online: r.online === 1, receivedAt: Number(r.received_at ?? r.at) });
    }
    return out;
  }

  async function containerBusy(): Promise<Map<string, number>> {
    const throttled = Object.entries(RUNGS)
      .filter(([, info]) => info.throttled)
      .map(([rung]) => rung);
    const rows = await db.all<{ container_id: string; n: number }>(
      `SELECT container_id, COUNT(DISTINCT miner_id) AS n FROM remediation_steps
       WHERE outcome = 'pending' AND container_id IS NOT NULL AND rung IN (${throttled.map(() => '?').join(',')})
       GROUP BY container_id`,
      throttled,
    );
    return new Map(rows.map((r) => [r.container_id, Number(r.n)]));
  }

  function actionFor(
    rung: CommandRung,
    m: MinerFacts,
    s: RemediationSettings,
  ): { agentId: string; action: CommandAction } {
    const op = RUNGS[rung].op;
    if (op === 'outlet.cycle') {
      const o = m.outlet!;
      return {
        agentId: o.agentId!,
        action: {
          op: 'outlet.cycle',
          target: { kind: 'outlet', pduId: o.pduId, outlet: o.outlet },
          offSeconds: s.outletOffS,
        },
      };
    }
    return { agentId: m.agentId!, action: { op, target: { kind: 'miner', minerKey: m.minerKey! } } };
  }

  async function carryOut(
    now: number,
    m: MinerFacts,
    alert: OpenAlert,
    step: PlannedStep,
    s: RemediationSettings,
  ) {
    const base = {
      miner_id: m.id,
      alert_id: alert.id,
      alert_kind: alert.kind,
      container_id: m.containerId,
      site_id: m.siteId,
      rung: step.rung,
      outcome: step.outcome,
      code: step.code,
      reason: step.reason,
      command_id: null,
      transport: null,
      ticket_id: null,
      at: now,
      verify_by: step.verifyBy,
    };
    const record = (id: string, details: Record<string, unknown>) =>
      audit.record({
        actor: SYSTEM,
        action: `remediation.${step.outcome === 'pending' ? 'step' : step.outcome}`,
        subject: `miner ${m.id}`,
        details: {
          stepId: id,
          alertId: alert.id,
          alertKind: alert.kind,
          rung: step.rung,
          reason: step.reason,
          ...details,
        },
      });
    stats.steps++;
    // Counted once stored: a step whose write failed was not taken.
    const counted = () => metrics?.steps.inc({ rung: step.rung, outcome: step.outcome });
    // A step, its ticket and their audit entries commit together.
    if (step.outcome === 'ticket') {
      await db.tx(async (tx) => {
        const { ticket, created } = await ticketForMiner({ db: tx, audit, now: () => now }, SYSTEM, {
          minerId: m.id,
          alertId: alert.id,
          title: `${alert.kind} on ${m.slotId ?? m.id}`,
          note: alert.kind === 'safety.action' ? step.reason : `ladder stopped ${step.reason}`,
          source: 'remediation',
        });
        const id = await insertStep(tx, { ...base, ticket_id: ticket.id });
        await record(id, { ticketId: ticket.id, ticketCreated: created });
      });
      counted();
      return;
    }
    if (step.outcome !== 'pending' || !isCommandRung(step.rung)) {
      await db.tx(async (tx) => {
        const id = await insertStep(tx, base);
        await record(id, { code: step.code });
      });
      counted();
      return;
    }
    const { agentId, action } = actionFor(step.rung, m, s);
    const op = RUNGS[step.rung].op;
    const transport = op === 'outlet.cycle' ? 'snmp' : transportsFor(m.profile, op);
    // Stored before the command goes out: a crash in between leaves a step that fails its window,
    // never a command nobody accounts for.
    const id = await insertStep(db, { ...base, transport });
    counted();
    try {
      if (!ctx.issueCommand) throw new Error('this controller cannot issue commands');
      const issued = await ctx.issueCommand({
        actor: SYSTEM,
        agentId,
        action,
        issuer: `remediation:${alert.kind}`,
        minerId: m.id,
      });
      await db.run('UPDATE remediation_steps SET command_id = ? WHERE id = ?', [issued.id, id]);
      await record(id, { commandId: issued.id, commandState: issued.state, transport, agentId });
    } catch (err) {
      const reason = `command not issued: ${(err as Error).message}`;
      await db.run(
        `UPDATE remediation_steps SET outcome = 'failed', settled_at = ?, result = ? WHERE id = ?`,
        [now, reason, id],
      );
      metrics?.steps.inc({ rung: step.rung, outcome: 'failed' });
      await record(id, { error: reason });
    }
  }

  function tick(now: number): Promise<void> {
    const run = (inFlight.get(db) ?? Promise.resolve()).catch(() => {}).then(() => tickOnce(now));
    inFlight.set(db, run);
    return run;
  }

  /**
   * A miner its agent slept or switched off on its own (local safety) is then suppressed from
   * alerting, so no alert would ever bring a person: each such action gets a ticket, once.
   */
  async function ticketSafetyActions(now: number) {
    const rows = await db.all<{ id: string; miner_id: string; details_json: string }>(
      `SELECT e.id, e.miner_id, e.details_json FROM events e
       WHERE e.kind = 'safety.action' AND e.miner_id IS NOT NULL AND e.at > ?
         AND NOT EXISTS (SELECT 1 FROM remediation_steps s WHERE s.alert_id = e.id)
       ORDER BY e.at, e.id`,
      [now - DAY_MS],
    );
    for (const r of rows) {
      throwIfStopping();
      let d: { action?: string; metric?: string; value?: number; limit?: number; status?: string } = {};
      try {
        d = JSON.parse(r.details_json) as typeof d;
      } catch {
        // a corrupt row still gets its ticket, with less detail
      }
      const reason = `its agent did ${d.action ?? 'a safety action'} on its own (${d.metric ?? '?'} ${d.value ?? '?'} over ${d.limit ?? '?'}; ${d.status ?? '?'})`;
      try {
        const facts = (await loadFacts([r.miner_id])).get(r.miner_id);
        if (!facts) continue;
        await carryOut(
          now,
          facts,
          { id: r.id, kind: 'safety.action', openedAt: now },
          { rung: 'ticket', outcome: 'ticket', code: null, reason, verifyBy: null },
          mergeSettings(null),
        );
      } catch (err) {
        failedMiner();
        logger.warn(
          { err },
          `remediation: miner ${r.miner_id}: safety action ${r.id}: ${(err as Error).message}`,
        );
      }
    }
  }

  /**
   * Leaves out of the ladders the alerts of a kind open on a site-wide share of miners (MASS_SHARE):
   * counted in hashfleet_remediation_held_miners, logged once an hour per site and kind.
   */
  async function holdMassEvents(
    byMiner: Map<string, OpenAlert[]>,
    facts: Map<string, MinerFacts>,
    now: number,
  ): Promise<void> {
    const affected = new Map<string, number>();
    for (const [minerId, alerts] of byMiner) {
      const m = facts.get(minerId);
      if (m?.status !== 'in_service' || m.siteId === null) continue;
      for (const kind of new Set(alerts.map((a) => a.kind))) {
        if (NEVER_HELD.has(kind)) continue;
        const key = `${m.siteId}\u0000${kind}`;
        affected.set(key, (affected.get(key) ?? 0) + 1);
      }
    }
    metrics?.held.reset();
    if (!affected.size) return;
    const inService = new Map(
      (
        await db.all<{ site_id: string; n: number | string }>(
          `SELECT site_id, COUNT(*) AS n FROM miners WHERE status = 'in_service' AND site_id IS NOT NULL GROUP BY site_id`,
        )
      ).map((r) => [r.site_id, Number(r.n)]),
    );
    const held = new Set<string>();
    for (const [key, n] of affected) {
      const [siteId, kind] = key.split('\u0000') as [string, string];
      const total = inService.get(siteId) ?? n;
      if (n < massMin || n < massShare * total) continue;
      held.add(key);
      stats.held += n;
      metrics?.held.set({ site: siteId, kind }, n);
      if (now - (heldLoggedAt.get(key) ?? Number.NEGATIVE_INFINITY) < 3_600_000) continue;
      heldLoggedAt.set(key, now);
      logger.warn(
        { siteId, kind, miners: n, inService: total },
        `remediation: ${kind} is open on ${n} of ${total} miners in service at site ${siteId}: a common cause is likelier than ${n} faults, so the ladder holds for them until fewer than ${Math.round(massShare * 100)} % are affected; a person decides`,
      );
    }
    if (!held.size) return;
    for (const [minerId, alerts] of byMiner) {
      const siteId = facts.get(minerId)?.siteId;
      const kept = alerts.filter((a) => !held.has(`${siteId}\u0000${a.kind}`));
      if (kept.length) byMiner.set(minerId, kept);
      else byMiner.delete(minerId);
    }
  }

  async function tickOnce(now: number): Promise<void> {
    stats.ticks++;
    const settingsOf = await siteSettings(db);
    await settlePending(now);
    await ticketSafetyActions(now);
    const open = await db.all<{ id: string; kind: string; miner_id: string; opened_at: number }>(
      `SELECT id, kind, miner_id, opened_at FROM alerts WHERE state = 'open' AND miner_id IS NOT NULL
       ORDER BY miner_id, opened_at, id`,
    );
    const byMiner = new Map<string, OpenAlert[]>();
    for (const a of open) {
      if (!LADDERS[a.kind]) continue;
      const list = byMiner.get(a.miner_id) ?? [];
      list.push({ id: a.id, kind: a.kind, openedAt: Number(a.opened_at) });
      byMiner.set(a.miner_id, list);
    }
    // The miner whose alert has waited longest first, so a run cut short at `actPerRun` leaves
    // the newest for the next.
    const oldest = (id: string) => Math.min(...byMiner.get(id)!.map((a) => a.openedAt));
    const alerting = [...byMiner.keys()];
    if (!alerting.length) return;
    const facts = await loadFacts(alerting);
    await holdMassEvents(byMiner, facts, now);
    const minerIds = [...byMiner.keys()]
      .map((id) => ({ id, at: oldest(id) }))
      .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((x) => x.id);
    if (!minerIds.length) return;
    const steps = await ladderSteps(db, minerIds, now - DAY_MS);
    const busy = await containerBusy();
    const attended = new Set(
      (
        await db.all<{ miner_id: string }>(
          `SELECT DISTINCT miner_id FROM tickets WHERE state = 'in_progress'`,
        )
      ).map((r) => r.miner_id),
    );
    const [windows, latest] = await Promise.all([commandedWindows(db, now), latestOnline(minerIds)]);
    let acted = 0;
    for (const [i, minerId] of minerIds.entries()) {
      // A shutdown ends the tick between miners (each miner's steps are its own writes); the next
      // leader's tick picks up where it stopped.
      throwIfStopping();
      if (acted >= actPerRun) {
        stats.deferred += minerIds.length - i;
        metrics?.deferred.inc(minerIds.length - i);
        break;
      }
      const m = facts.get(minerId);
      // Miners not in service (asleep on purpose, in repair, in transit) are left alone.
      if (m?.status !== 'in_service') continue;
      // A miner down on command is left to its command until its window ends (issue 16 item 4).
      if (commandedReason(windows.get(minerId), latest.get(minerId) ?? null, now)) continue;
      const settings = settingsOf(m.siteId);
      try {
        const decision = decide({
          now,
          alerts: byMiner.get(minerId)!,
          steps: steps.get(minerId) ?? [],
          blocked: blockedRungs(m),
          containerBusy: busy.get(m.containerId ?? '') ?? 0,
          technicianOnIt: attended.has(minerId),
          settings,
        });
        if (decision.steps.length) acted++;
        for (const step of decision.steps) await carryOut(now, m, decision.alert!, step, settings);
        if (
          decision.steps.some(
            (s) => s.outcome === 'pending' && isCommandRung(s.rung) && RUNGS[s.rung].throttled,
          )
        )
          busy.set(m.containerId ?? '', (busy.get(m.containerId ?? '') ?? 0) + 1);
      } catch (err) {
        // One miner's trouble never stops the others' ladders.
        failedMiner();
        logger.warn({ err }, `remediation: miner ${minerId}: ${(err as Error).message}`);
      }
    }
  }

  return { tick, stats: () => ({ ...stats }) };
}

export type Remediation = ReturnType<typeof createRemediation>;

/** How a resolved alert resolved, from its details (an unreadable row proves nothing). */
function parseResolution(json: string | null): { resolvedBy?: string; resolvedBecause?: string } {
  try {
    const d = JSON.parse(json ?? '{}') as { resolvedBy?: unknown; resolvedBecause?: unknown };
    return {
      resolvedBy: typeof d.resolvedBy === 'string' ? d.resolvedBy : undefined,
      resolvedBecause: typeof d.resolvedBecause === 'string' ? d.resolvedBecause : undefined,
    };
  } catch {
    return { resolvedBecause: 'unreadable details' };
  }
}

/** The miner's profile as its agent's birth message lists it, when inventory has none yet. */
function profileFromBirth(birthJson: string | null, minerKey: string | null): string | null {
  if (!birthJson || !minerKey) return null;
  try {
    const birth = JSON.parse(birthJson) as { miners?: { minerKey: string; profile: string }[] };
    return birth.miners?.find((x) => x.minerKey === minerKey)?.profile ?? null;
  } catch {
    return null;
  }
}
