import { TEMP_LIMITS_C } from '@hashfleet/firmware-profiles';
import { commandedReason } from '../commands/index.js';
import { ALERT_KINDS, type AlertKind, KIND_SPECS, type Severity } from './kinds.js';
import type { Placement, Rule, RuleIndex } from './rules.js';
import type { AgentSnapshot, FleetSnapshot, LatestSample, MinerSnapshot, PduSnapshot } from './snapshot.js';

/**
 * What one evaluation says about one (rule, subject):
 * - `breach`: over the threshold; `hold`: between the clear line and the threshold (hysteresis
 *   band); `clear`: back under the clear line;
 * - `suppressed`: the subject must not alert now (paused, sleeping, poll stopped, out of service);
 * - `unknown`: no fresh data to judge by (an open alert stays as it is).
 */
export type Status = 'breach' | 'hold' | 'clear' | 'suppressed' | 'unknown';

export type Observation = {
  key: string;
  rule: Rule;
  kind: AlertKind;
  subject: string;
  status: Status;
  value: number | null;
  threshold: number | null;
  severity: Severity;
  minerId: string | null;
  containerId: string | null;
  siteId: string | null;
  agentId: string | null;
  rack: string | null;
  slot: string | null;
  message: string;
  details: Record<string, unknown>;
};

export type EvaluateOptions = {
  now: number;
  /** A miner, agent or PDU silent this long is stale (config ingest.offlineAfterS). */
  offlineAfterMs: number;
  /** Keys (`trackingKey`) with an open alert or pending counters: these get every status. */
  tracked: ReadonlySet<string>;
};

export const trackingKey = (ruleId: string, subject: string) => `${ruleId}\u0000${subject}`;

/** Compares a value with a rule's threshold and clear line in the kind's direction. */
export function judge(
  direction: 'above' | 'below',
  value: number,
  threshold: number,
  clear: number,
): 'breach' | 'hold' | 'clear' {
  if (direction === 'above') return value >= threshold ? 'breach' : value < clear ? 'clear' : 'hold';
  return value <= threshold ? 'breach' : value > clear ? 'clear' : 'hold';
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Pool URLs compared as host:port, lower case, without scheme or trailing slash. */
export const poolKey = (url: string): string =>
  url
    .trim()
    .toLowerCase()
    .replace(/^[a-z0-9+.-]+:\/\//, '')
    .replace(/\/+$/, '');

const round = (v: number, digits = 1) => Number(v.toFixed(digits));

/** One kind's verdict on one subject before hysteresis: a figure, or why there is none. */
type Verdict =
  | {
      value: number;
      threshold: number;
      clear: number;
      force?: 'breach';
      text: (v: number, t: number) => string;
      /** Built only when the verdict is emitted when given as a function. */
      details?: Record<string, unknown> | (() => Record<string, unknown>);
    }
  | 'unknown'
  | 'clear'
  | 'suppressed';

type Where = Placement & {
  /** Why the subject is suppressed, when it is. */
  why?: string | null;
  minerId: string | null;
  agentId: string | null;
  rack: string | null;
  slot: string | null;
};

/**
 * Evaluates every rule against the snapshot. Pure: the same snapshot, rules and options give the
 * same observations. Returns a breach for every subject over a threshold, and any status for
 * tracked (rule, subject) pairs; a subject that is fine and untracked costs no allocation.
 */
export function evaluateAlerts(
  snapshot: FleetSnapshot,
  rules: RuleIndex,
  opts: EvaluateOptions,
): Observation[] {
  const run = evaluation(snapshot, rules, opts);
  run.miners(0, snapshot.miners.length);
  const pdus = run.pdus();
  while (!pdus.next().done);
  return run.finish();
}

/**
 * The same observations as `evaluateAlerts`, in the same order, evaluated `chunk` miners at a
 * time with a turn of the event loop between chunks (the tick runs on the main thread while
 * ingest goes on).
 */
export async function evaluateAlertsChunked(
  snapshot: FleetSnapshot,
  rules: RuleIndex,
  opts: EvaluateOptions,
  chunk = 2_500,
): Promise<Observation[]> {
  const run = evaluation(snapshot, rules, opts);
  for (let i = 0; i < snapshot.miners.length; i += chunk) {
    run.miners(i, Math.min(snapshot.miners.length, i + chunk));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const pdus = run.pdus();
  while (!pdus.next().done) await new Promise<void>((resolve) => setImmediate(resolve));
  return run.finish();
}

/**
 * One evaluation in parts: the miners in ranges, then the PDUs and agents. Rules are resolved
 * once per placement (consecutive subjects of one container and model share it) and a miner that
 * is fine and untracked allocates nothing (no subject string, no figure object).
 *
 * Long because the miner loop is written out flat: 100,000 miners x 12 kinds a tick, without a
 * closure per miner and kind (a profile of the bench showed the allocations as its cost).
 */
function evaluation(snapshot: FleetSnapshot, rules: RuleIndex, opts: EvaluateOptions) {
  const out: Observation[] = [];
  const agentsById = new Map(snapshot.agents.map((a) => [a.id, a]));
  const agentByContainer = new Map<string, AgentSnapshot>();
  for (const a of snapshot.agents) if (a.containerId) agentByContainer.set(a.containerId, a);
  const agentDown = (a: AgentSnapshot | undefined) =>
    !!a && (a.state === 'offline' || a.lastSeenAt === null || opts.now - a.lastSeenAt >= opts.offlineAfterMs);

  // Keys are built only for subjects that have something tracked: most of a fleet has not.
  const trackedSubjects = new Set<string>();
  const trackedMiners = new Set<string>();
  const trackedOutletPdus = new Set<string>();
  for (const k of opts.tracked) {
    const subject = k.slice(k.indexOf('\u0000') + 1);
    trackedSubjects.add(subject);
    if (subject.startsWith('miner:')) trackedMiners.add(subject.slice('miner:'.length));
    else if (subject.startsWith('outlet:'))
      trackedOutletPdus.add(subject.slice('outlet:'.length, subject.lastIndexOf('/')));
  }
  const placeOf = placeMemo(rules);
  const emit = (kind: AlertKind, subject: string, where: Where, verdict: (rule: Rule) => Verdict) => {
    const rule = placeOf(where)[kind];
    if (!rule) return;
    const key = trackedSubjects.has(subject) ? trackingKey(rule.id, subject) : '';
    const tracked = key !== '' && opts.tracked.has(key);
    if (!rule.enabled) {
      // Switched off here: whatever was open for it resolves.
      if (tracked) out.push(unjudged(rule, kind, subject, where, key, 'suppressed', 'rule disabled'));
      return;
    }
    const v = verdict(rule);
    if (typeof v === 'string') {
      if (tracked)
        out.push(unjudged(rule, kind, subject, where, key, v, (v === 'suppressed' && where.why) || v));
      return;
    }
    const status = v.force ?? judge(KIND_SPECS[kind].direction, v.value, v.threshold, v.clear);
    if (status === 'breach' || tracked) {
      const details = typeof v.details === 'function' ? v.details() : (v.details ?? {});
      out.push(judged(rule, kind, subject, where, key, status, v, v.text(v.value, v.threshold), details));
    }
  };

  function miners(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const m = snapshot.miners[i]!;
      const agent =
        (m.latest?.agentId ? agentsById.get(m.latest.agentId) : undefined) ??
        (m.containerId ? agentByContainer.get(m.containerId) : undefined);
      const paused = pausedReason(m);
      // Inside a commanded window (restart, reboot, power cycle, sleep) the miner's silence and its
      // idle boards are expected: those kinds neither open nor clear (issue 16 item 4).
      const commanded = commandedReason(m.commanded, m.latest, opts.now);
      const patterns = m.siteId ? snapshot.workerPatterns?.get(m.siteId) : undefined;
      const subjectTracked = trackedMiners.has(m.id);
      const subject = subjectTracked ? `miner:${m.id}` : '';
      const l = m.latest;
      // Figures from the sample are judged only while it is fresh and the miner is not paused.
      const fresh = !!l && l.online && opts.now - l.receivedAt < opts.offlineAfterMs;
      const place = placeOf(m);
      // A plain loop with top-level helpers: no closure per miner and kind (100,000 miners a tick).
      for (const kind of MINER_KINDS) {
        const rule = place[kind];
        if (!rule) continue;
        const key = subjectTracked ? trackingKey(rule.id, subject) : '';
        const tracked = key !== '' && opts.tracked.has(key);
        if (!rule.enabled) {
          if (tracked)
            out.push(
              unjudged(rule, kind, subject, minerWhere(m, paused, agent), key, 'suppressed', 'rule disabled'),
            );
          continue;
        }
        let fig: Figure | 'unknown' | 'clear' | 'suppressed';
        if (paused) fig = 'suppressed';
        else if (commanded && COMMANDED_KINDS.has(kind)) fig = 'unknown';
        else if (kind === 'offline')
          // With the agent itself unheard from, agent_offline says it once instead of every miner.
          fig = !l || agentDown(agent) ? 'unknown' : offlineFigure(l, rule, opts);
        else fig = fresh ? minerFigure(kind, m, l!, rule, opts, patterns) : 'unknown';
        if (typeof fig === 'string') {
          if (tracked)
            out.push(
              unjudged(
                rule,
                kind,
                subject,
                minerWhere(m, paused, agent),
                key,
                fig,
                fig === 'suppressed' ? paused! : fig,
              ),
            );
          continue;
        }
        const status = fig.force
          ? 'breach'
          : judge(KIND_SPECS[kind].direction, fig.value, fig.threshold, fig.clear);
        if (status !== 'breach' && !tracked) continue;
        const text = minerText(kind, m, fig, rule);
        out.push(
          judged(
            rule,
            kind,
            subject || `miner:${m.id}`,
            minerWhere(m, paused, agent),
            key,
            status,
            fig,
            text.message,
            text.details,
          ),
        );
      }
    }
  }

  /** The PDUs, in steps of PDU_STEP PDUs (the chunked evaluation gives the loop a turn after each). */
  function pdus(): Generator<void> {
    return evaluatePdus(snapshot.pdus, snapshot.containerSites, opts, emit, (where, pduId) => {
      // Untracked outlets of a PDU can only open: those below the line need no subject or verdict.
      if (trackedOutletPdus.has(pduId)) return null;
      const rule = placeOf(where).outlet_overload;
      return rule?.enabled ? rule : 'none';
    });
  }

  /** The agents, after the miners and the PDUs; the observations of the whole evaluation. */
  function finish(): Observation[] {
    for (const a of snapshot.agents) {
      const where: Where = {
        siteId: a.siteId,
        containerId: a.containerId,
        model: null,
        minerId: null,
        agentId: a.id,
        rack: null,
        slot: null,
      };
      const subject = `agent:${a.id}`;
      emit('agent_offline', subject, where, (rule) => {
        if (a.lastSeenAt === null) return 'unknown';
        const threshold = rule.threshold ?? opts.offlineAfterMs / 1000;
        return {
          value: (opts.now - a.lastSeenAt) / 1000,
          threshold,
          clear: rule.clearThreshold ?? threshold,
          force: a.state === 'offline' ? 'breach' : undefined,
          text: (v) =>
            a.state === 'offline'
              ? `agent offline (last heard ${Math.round(v)} s ago)`
              : `agent silent for ${Math.round(v)} s`,
          details: { lastWill: a.state === 'offline' },
        };
      });
      emit('spool_filling', subject, where, (rule) => {
        if (a.spoolMessages === null || agentDown(a)) return 'unknown';
        const threshold = rule.threshold ?? 10_000;
        const dropped = a.spoolDropped ?? 0;
        return {
          value: a.spoolMessages,
          threshold,
          clear: rule.clearThreshold ?? threshold,
          force: dropped > 0 ? 'breach' : undefined,
          text: (v) =>
            dropped > 0 ? `spool full: ${dropped} messages dropped` : `${v} messages waiting in the spool`,
          details: { spoolDropped: dropped },
        };
      });
    }
    return out;
  }

  return { miners, pdus, finish };
}

/** Where a miner's observation sits; built only for what is emitted. */
const minerWhere = (m: MinerSnapshot, paused: string | null, agent: AgentSnapshot | undefined): Where => ({
  siteId: m.siteId,
  containerId: m.containerId,
  model: m.model,
  why: paused,
  minerId: m.id,
  agentId: agent?.id ?? m.latest?.agentId ?? null,
  rack: m.rack,
  slot: m.slot,
});

/**
 * `rules.forPlace` for a run of subjects: the previous placement's rules are reused while the
 * container, site and model stay the same (a container's miners come one after another).
 */
export function placeMemo(rules: RuleIndex) {
  let last: Placement | null = null;
  let place: ReturnType<RuleIndex['forPlace']> | null = null;
  return (at: Placement) => {
    if (
      !last ||
      last.containerId !== at.containerId ||
      last.siteId !== at.siteId ||
      last.model !== at.model
    ) {
      place = rules.forPlace(at);
      last = { containerId: at.containerId, siteId: at.siteId, model: at.model };
    }
    return place!;
  };
}

const MINER_KINDS = ALERT_KINDS.filter((k) => KIND_SPECS[k].subject === 'miner');

/**
 * What a miner going down on command explains: no answer, no hashrate, boards and fans not yet
 * reporting, less power at the outlet than it says. Temperatures and pools are judged as always.
 */
const COMMANDED_KINDS: ReadonlySet<AlertKind> = new Set([
  'offline',
  'hashrate_low',
  'board_missing',
  'fan_failed',
  'power_mismatch',
]);

/** An observation without a figure (suppressed, unknown, clear) of a tracked pair. */
function unjudged(
  rule: Rule,
  kind: AlertKind,
  subject: string,
  where: Where,
  key: string,
  status: Status,
  message: string,
) {
  return observation(rule, kind, subject, where, key, status, null, null, message, {});
}

/** An observation with a figure; the key is built here for subjects not tracked before. */
function judged(
  rule: Rule,
  kind: AlertKind,
  subject: string,
  where: Where,
  key: string,
  status: Status,
  f: { value: number; threshold: number },
  message: string,
  details: Record<string, unknown>,
): Observation {
  const k = key || trackingKey(rule.id, subject);
  return observation(rule, kind, subject, where, k, status, round(f.value, 3), f.threshold, message, details);
}

/** A miner's figure for one kind, before hysteresis; `force` breaches whatever the value. */
type Figure = { value: number; threshold: number; clear: number; force: boolean; aux: number };

/**
 * One figure object reused for every miner and kind: it is judged, and read for the message, before
 * the next one is made, and no observation keeps it (1.2 M allocations a tick fewer).
 */
const scratch: Figure = { value: 0, threshold: 0, clear: 0, force: false, aux: 0 };
const figure = (value: number, threshold: number, clear: number, aux = 0, force = false): Figure => {
  scratch.value = value;
  scratch.threshold = threshold;
  scratch.clear = clear;
  scratch.force = force;
  scratch.aux = aux;
  return scratch;
};

function offlineFigure(l: LatestSample, rule: Rule, opts: EvaluateOptions): Figure {
  const threshold = rule.threshold ?? opts.offlineAfterMs / 1000;
  return figure((opts.now - l.receivedAt) / 1000, threshold, rule.clearThreshold ?? threshold, 0, !l.online);
}

/** Every sample-based miner kind; `aux` carries the figure the message needs (median, expected...). */
function minerFigure(
  kind: AlertKind,
  m: MinerSnapshot,
  l: LatestSample,
  rule: Rule,
  opts: EvaluateOptions,
  patterns: RegExp[] | undefined,
): Figure | 'unknown' | 'clear' {
  const t = rule.threshold;
  const c = rule.clearThreshold;
  switch (kind) {
    case 'hashrate_low': {
      // An idle miner that is not paused (pausedReason) is judged: its rate of 0 is the fault.
      if (l.state !== 'hashing' && l.state !== 'idle') return 'unknown';
      const expected = l.expectedThs ?? m.modelInfo?.nominalThs ?? null;
      if (!expected || l.hashrateThs === null) return 'unknown';
      const threshold = t ?? 0.8;
      const clear = c ?? threshold;
      if (!m.recentThs) return l.hashrateThs / expected > clear ? 'clear' : 'unknown';
      if (m.recentThs.length < Number(rule.params['minSamples'] ?? 3)) return 'unknown';
      return figure(median(m.recentThs) / expected, threshold, clear, expected);
    }
    case 'chip_overtemp':
    case 'board_overtemp': {
      const v = kind === 'chip_overtemp' ? l.chipTempMaxC : l.boardTempMaxC;
      if (v === null) return 'unknown';
      const limits = TEMP_LIMITS_C[m.modelInfo?.cooling ?? 'air'];
      const threshold = t ?? (kind === 'chip_overtemp' ? limits.chipC : limits.boardC);
      return figure(v, threshold, c ?? threshold - 5);
    }
    case 'fan_failed': {
      const expectedFans = m.modelInfo?.fans ?? null;
      if (expectedFans === 0) return 'clear';
      // bmminer firmwares leave a stopped fan out of the list, so count the ones that turn.
      if (l.fansRpm.length === 0 || l.state === 'starting') return 'unknown';
      const minRpm = Number(rule.params['minRpm'] ?? 500);
      let turning = 0;
      for (const r of l.fansRpm) if (r >= minRpm) turning++;
      const failed = expectedFans !== null ? Math.max(0, expectedFans - turning) : l.fansRpm.length - turning;
      return figure(failed, t ?? 1, c ?? t ?? 1, expectedFans ?? l.fansRpm.length);
    }
    case 'board_missing': {
      const expectedBoards = m.modelInfo?.boards ?? null;
      if (expectedBoards === null || l.state !== 'hashing' || l.boards.length === 0) return 'unknown';
      let working = 0;
      // Only a known zero counts against a board: Avalon and Braiins OS report no chip count
      // (`chips: null`), and a healthy board of theirs must not look dead.
      for (const b of l.boards) if (b.chips !== 0 && b.hashrateThs !== 0) working++;
      return figure(Math.max(0, expectedBoards - working), t ?? 1, c ?? t ?? 1, expectedBoards);
    }
    case 'hw_errors': {
      const minUptime = Math.max(1, Number(rule.params['minUptimeS'] ?? 600));
      if (l.hardwareErrors === null || l.uptimeS === null || l.uptimeS < minUptime) return 'unknown';
      const threshold = t ?? 500;
      return figure(l.hardwareErrors / (l.uptimeS / 3600), threshold, c ?? threshold);
    }
    case 'pool_not_allowed': {
      const allowed = (rule.params['allowedPools'] as string[] | undefined) ?? [];
      if (allowed.length === 0) return 'clear';
      if (!l.pool) return 'unknown';
      const pool = poolKey(l.pool.url);
      return figure(allowed.some((a) => poolKey(a) === pool) ? 0 : 1, 1, 1);
    }
    case 'worker_changed': {
      if (!l.pool) return 'unknown';
      const user = l.pool.user;
      if (patterns?.some((p) => p.test(user))) return figure(0, 1, 1);
      // The worker of a pool change on its way is the one asked for, before its verdict arrives.
      if (m.poolPending?.user === user) return figure(0, 1, 1);
      // A site with an allowlist: a worker matching none of it alerts from the first sample; only a
      // pool.set or a person's mark (never a first sighting) names another known-good worker.
      // aux 1 marks the patterns' verdict for the message.
      if (patterns?.length && (!m.knownWorker || m.knownWorker.source === 'first_seen'))
        return figure(1, 1, 1, 1);
      if (!m.knownWorker) return 'unknown';
      return figure(user === m.knownWorker.worker ? 0 : 1, 1, 1);
    }
    case 'implausible_reading':
      return figure(l.implausible?.length ?? 0, t ?? 1, c ?? t ?? 1);
    case 'drift': {
      // The grace period counts from when the drift job first saw the field drifted.
      if (!m.drift) return 'clear';
      const threshold = t ?? 600;
      return figure(Math.max(0, (opts.now - m.drift.since) / 1000), threshold, c ?? threshold);
    }
    case 'power_mismatch': {
      const o = m.outlet;
      const minMetered = Number(rule.params['minMeteredW'] ?? 200);
      if (!o || o.powerW === null || o.powerW < minMetered || opts.now - o.at >= opts.offlineAfterMs)
        return 'unknown';
      if (l.powerW === null || l.powerProvenance !== 'reported') return 'unknown';
      const threshold = t ?? 0.2;
      return figure(Math.abs(l.powerW - o.powerW) / o.powerW, threshold, c ?? threshold);
    }
    default:
      return 'unknown';
  }
}

/** The one line a technician reads, and the figures behind it; built only for what is emitted. */
function minerText(
  kind: AlertKind,
  m: MinerSnapshot,
  f: Figure,
  rule: Rule,
): { message: string; details: Record<string, unknown> } {
  const l = m.latest!;
  const v = f.value;
  switch (kind) {
    case 'offline':
      return {
        message: l.online ? `no sample for ${Math.round(v)} s` : `no answer: ${l.error ?? 'unreachable'}`,
        details: { error: l.error },
      };
    case 'hashrate_low': {
      const med = v * f.aux;
      return {
        message: `hashrate median ${round(med)} TH/s is ${Math.round(v * 100)} % of expected ${round(f.aux)} TH/s (< ${Math.round(f.threshold * 100)} %)`,
        details: {
          medianThs: round(med, 3),
          expectedThs: f.aux,
          latestThs: l.hashrateThs,
          samples: m.recentThs?.length ?? 0,
        },
      };
    }
    case 'chip_overtemp':
      return { message: `chip ${Math.round(v)} °C ≥ ${f.threshold} °C`, details: {} };
    case 'board_overtemp':
      return { message: `board ${Math.round(v)} °C ≥ ${f.threshold} °C`, details: {} };
    case 'fan_failed':
      return {
        message: `${v} of ${f.aux} fans stopped or under ${Number(rule.params['minRpm'] ?? 500)} RPM`,
        details: { fansRpm: l.fansRpm, expectedFans: f.aux, minRpm: Number(rule.params['minRpm'] ?? 500) },
      };
    case 'board_missing':
      return {
        message: `${v} of ${f.aux} hash boards not hashing`,
        details: { boards: l.boards, expectedBoards: f.aux },
      };
    case 'hw_errors':
      return {
        message: `${Math.round(v)} hardware errors/h ≥ ${f.threshold}/h`,
        details: { hardwareErrors: l.hardwareErrors, uptimeS: l.uptimeS },
      };
    case 'pool_not_allowed':
      return {
        message: `pool ${l.pool?.url} is not in the site's allowed pools`,
        details: { pool: l.pool?.url, worker: l.pool?.user, allowed: rule.params['allowedPools'] },
      };
    case 'worker_changed': {
      // aux 1: the site's patterns decided (no known-good worker but a first sighting or none).
      const k = f.aux === 1 ? null : m.knownWorker;
      return {
        message: k
          ? `worker ${l.pool?.user} on ${l.pool?.url}; last known-good worker ${k.worker}`
          : `worker ${l.pool?.user} on ${l.pool?.url} matches none of the site's worker patterns`,
        details: {
          worker: l.pool?.user,
          pool: l.pool?.url,
          knownWorker: k?.worker ?? null,
          knownPool: k?.poolUrl ?? null,
          knownFrom: k?.source ?? null,
        },
      };
    }
    case 'implausible_reading':
      return {
        message: `implausible reading: ${(l.implausible ?? [])
          .map((f) => `${f.field} ${f.value} outside ${f.min}..${f.max}`)
          .join(', ')}`,
        details: { fields: l.implausible },
      };
    case 'drift': {
      const d = m.drift!;
      return {
        message: `${d.field} out of its desired state for ${Math.round(v)} s: wants ${d.desired}, has ${d.actual ?? 'nothing'}`,
        details: { field: d.field, desired: d.desired, actual: d.actual },
      };
    }
    default: {
      const o = m.outlet!;
      return {
        message: `reports ${Math.round(l.powerW ?? 0)} W, outlet ${o.pduId}/${o.outlet} meters ${Math.round(o.powerW ?? 0)} W (${Math.round(v * 100)} % apart)`,
        details: { reportedW: l.powerW, meteredW: o.powerW, pduId: o.pduId, outlet: o.outlet },
      };
    }
  }
}

/**
 * The phase closest to its rating decides. The rating is the rule's params.phaseRatingA when set
 * (an operator who knows the breaker), else what the PDU reports, else params.defaultPhaseRatingA.
 */
function phaseVerdict(pduId: string, phases: NonNullable<PduSnapshot['phases']>, rule: Rule): Verdict {
  const positive = (v: unknown) => (typeof v === 'number' && v > 0 ? v : null);
  const fromRule = positive(rule.params['phaseRatingA']);
  const fallback = positive(rule.params['defaultPhaseRatingA']) ?? 32;
  const clearRatio = positive(rule.params['clearRatio']) ?? 0.95;
  let worst: { phase: number; currentA: number; ratingA: number } | null = null;
  for (const ph of phases) {
    if (ph.currentA === null) continue;
    const ratingA = fromRule ?? positive(ph.ratedCurrentA) ?? fallback;
    if (!worst || ph.currentA / ratingA > worst.currentA / worst.ratingA) {
      worst = { phase: ph.phase, currentA: ph.currentA, ratingA };
    }
  }
  if (!worst) return 'unknown';
  const w = worst;
  return {
    value: w.currentA,
    threshold: w.ratingA,
    clear: w.ratingA * clearRatio,
    text: (v, t) => `PDU ${pduId} phase L${w.phase} carries ${round(v)} A ≥ ${t} A`,
    details: {
      pduId,
      phase: w.phase,
      currentA: w.currentA,
      ratingA: w.ratingA,
      ratingFrom: fromRule
        ? 'rule'
        : positive(phases.find((x) => x.phase === w.phase)?.ratedCurrentA)
          ? 'pdu'
          : 'default',
    },
  };
}

const PDU_STEP = 250;

function* evaluatePdus(
  pdus: PduSnapshot[],
  containerSites: Map<string, string>,
  opts: EvaluateOptions,
  emit: (kind: AlertKind, subject: string, where: Where, verdict: (rule: Rule) => Verdict) => void,
  /** The PDU's outlet rule when none of its outlets is tracked ('none': no enabled rule), else null. */
  untrackedOutletRule: (where: Where, pduId: string) => Rule | 'none' | null,
): Generator<void> {
  const inlets = new Map<string, { temps: number[]; siteId: string | null; fresh: boolean }>();
  const limits = (rule: Rule, fallback: number) => {
    const threshold = rule.threshold ?? fallback;
    return { threshold, clear: rule.clearThreshold ?? threshold };
  };
  for (const [i, p] of pdus.entries()) {
    if (i > 0 && i % PDU_STEP === 0) yield;
    const fresh = opts.now - p.at < opts.offlineAfterMs;
    const siteId = p.siteId ?? containerSites.get(p.containerId) ?? null;
    const c = inlets.get(p.containerId) ?? { temps: [], siteId, fresh: false };
    if (fresh) c.temps.push(...p.inletTempsC);
    c.fresh ||= fresh;
    inlets.set(p.containerId, c);
    const where: Where = {
      siteId,
      containerId: p.containerId,
      model: null,
      minerId: null,
      agentId: null,
      rack: null,
      slot: null,
    };
    emit('phase_overload', `pdu:${p.id}`, where, (rule) => {
      if (!fresh) return 'unknown';
      if (p.phases) return phaseVerdict(p.id, p.phases, rule);
      const metered = p.outlets.filter((o) => o.powerW !== null);
      const total = p.totalPowerW ?? (metered.length ? metered.reduce((s, o) => s + o.powerW!, 0) : null);
      if (total === null) return 'unknown';
      return {
        value: total,
        ...limits(rule, KIND_SPECS.phase_overload.threshold!),
        text: (v, t) => `PDU ${p.id} draws ${Math.round(v)} W ≥ ${t} W`,
        details: { pduId: p.id },
      };
    });
    const quiet = untrackedOutletRule(where, p.id);
    if (quiet === 'none') continue;
    const volts = quiet ? Number(quiet.params['volts'] ?? 230) : 0;
    const line = quiet ? limits(quiet, KIND_SPECS.outlet_overload.threshold!) : null;
    for (const o of p.outlets) {
      if (line) {
        // The same verdict as below, judged without building it: only a breach is emitted.
        const amps = o.currentA ?? (o.powerW !== null ? o.powerW / volts : null);
        if (!fresh || amps === null) continue;
        if (judge(KIND_SPECS.outlet_overload.direction, amps, line.threshold, line.clear) !== 'breach')
          continue;
      }
      emit('outlet_overload', `outlet:${p.id}/${o.outlet}`, where, (rule) => {
        const volts = Number(rule.params['volts'] ?? 230);
        const amps = o.currentA ?? (o.powerW !== null ? o.powerW / volts : null);
        if (!fresh || amps === null) return 'unknown';
        return {
          value: amps,
          ...limits(rule, KIND_SPECS.outlet_overload.threshold!),
          text: (v, t) => `outlet ${p.id}/${o.outlet} carries ${round(v)} A ≥ ${t} A`,
          details: () => ({ pduId: p.id, outlet: o.outlet, powerW: o.powerW, currentA: o.currentA }),
        };
      });
    }
  }
  for (const [containerId, c] of inlets) {
    const where: Where = {
      siteId: c.siteId,
      containerId,
      model: null,
      minerId: null,
      agentId: null,
      rack: null,
      slot: null,
    };
    emit('inlet_hot', `container:${containerId}`, where, (rule) => {
      if (!c.fresh || c.temps.length === 0) return 'unknown';
      return {
        value: Math.max(...c.temps),
        ...limits(rule, KIND_SPECS.inlet_hot.threshold!),
        text: (v, t) => `inlet ${round(v)} °C ≥ ${t} °C`,
        details: { inletTempsC: c.temps },
      };
    });
  }
}

/**
 * Why a miner must not alert now, or null. Paused means someone (or something) stopped it on
 * purpose, and we know who:
 * - out of service in inventory (asleep on purpose, in repair, in transit);
 * - our own `sleep` or `poll.stop` was the last control command sent to it (an operator, a
 *   curtailment schedule with a sleep action, the remediation ladder's protective sleep);
 * - its agent slept it or cut its outlet on its own (local safety) after our last control
 *   command, and it has not hashed since (remediation opens a ticket for that action instead);
 * - the firmware itself says `sleeping`: every firmware that parses to it has an explicit sleep or
 *   standby flag (Antminer Mode 254, Whatsminer power-off, Avalon soft-off, LuxOS curtail, VNish
 *   stop/pause), which only a deliberate command sets.
 * `idle` (zero rate, past start-up, no such flag) is not a reason on its own: that is also what a
 * miner with a wedged daemon, a lost pool or an unexplained pause reports (a paused Braiins OS or
 * plain cgminer has no sleep flag to read). Hiding it would hide exactly the miner that should be
 * hashing and is not, so it is judged like a hashing one (its hashrate is 0) unless one of the
 * reasons above explains it. A pause made at the miner by hand is such an unknown: mark the miner
 * out of service or pause it through the API (`sleep`) to make it known. A `power.target`,
 * `power.mode` or operating-profile command lowers power but never stops hashing, so it explains
 * nothing here; an idle miner after one is a failed profile and should alert.
 */
export function pausedReason(m: MinerSnapshot): string | null {
  if (m.status !== 'in_service') return `miner is ${m.status}`;
  const c = m.lastControl;
  if (c && (c.op === 'sleep' || c.op === 'poll.stop')) return `${c.op} command sent`;
  const safety = m.lastSafety;
  if (safety && (!c || safety.at > c.at) && m.latest?.state !== 'hashing')
    return `its agent did ${safety.action} on its own (local safety)`;
  if (m.latest?.state === 'sleeping') return 'miner reports sleeping';
  return null;
}

/** Worker names as site patterns: `*` matches any run of characters, everything else itself. */
export function workerPattern(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

function observation(
  rule: Rule,
  kind: AlertKind,
  subject: string,
  where: Where,
  key: string,
  status: Status,
  value: number | null,
  threshold: number | null,
  message: string,
  details: Record<string, unknown>,
): Observation {
  return {
    key,
    rule,
    kind,
    subject,
    status,
    value,
    threshold,
    severity: rule.severity,
    minerId: where.minerId,
    containerId: where.containerId,
    siteId: where.siteId,
    agentId: where.agentId,
    rack: where.rack,
    slot: where.slot,
    message,
    details,
  };
}
