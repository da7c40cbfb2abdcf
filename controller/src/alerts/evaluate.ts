import { TEMP_LIMITS_C } from '@hashfleet/firmware-profiles';
import { type AlertKind, KIND_SPECS, type Severity } from './kinds.js';
import type { Placement, Rule, RuleIndex } from './rules.js';
import type { AgentSnapshot, FleetSnapshot, MinerSnapshot, PduSnapshot } from './snapshot.js';

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
      details?: Record<string, unknown>;
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
  const out: Observation[] = [];
  const agentsById = new Map(snapshot.agents.map((a) => [a.id, a]));
  const agentByContainer = new Map<string, AgentSnapshot>();
  for (const a of snapshot.agents) if (a.containerId) agentByContainer.set(a.containerId, a);
  const agentDown = (a: AgentSnapshot | undefined) =>
    !!a && (a.state === 'offline' || a.lastSeenAt === null || opts.now - a.lastSeenAt >= opts.offlineAfterMs);

  const emit = (kind: AlertKind, subject: string, where: Where, verdict: (rule: Rule) => Verdict) => {
    const rule = rules.resolve(kind, where);
    if (!rule) return;
    const key = trackingKey(rule.id, subject);
    const tracked = opts.tracked.has(key);
    if (!rule.enabled) {
      // Switched off here: whatever was open for it resolves.
      if (tracked)
        out.push(observation(rule, kind, subject, where, key, 'suppressed', null, null, 'rule disabled', {}));
      return;
    }
    const v = verdict(rule);
    if (typeof v === 'string') {
      if (tracked)
        out.push(
          observation(
            rule,
            kind,
            subject,
            where,
            key,
            v,
            null,
            null,
            (v === 'suppressed' && where.why) || v,
            {},
          ),
        );
      return;
    }
    const status = v.force ?? judge(KIND_SPECS[kind].direction, v.value, v.threshold, v.clear);
    if (status === 'breach' || tracked)
      out.push(
        observation(
          rule,
          kind,
          subject,
          where,
          key,
          status,
          round(v.value, 3),
          v.threshold,
          v.text(v.value, v.threshold),
          v.details ?? {},
        ),
      );
  };

  for (const m of snapshot.miners) {
    const agent =
      (m.latest?.agentId ? agentsById.get(m.latest.agentId) : undefined) ??
      (m.containerId ? agentByContainer.get(m.containerId) : undefined);
    const where: Where = {
      siteId: m.siteId,
      containerId: m.containerId,
      model: m.model,
      minerId: m.id,
      agentId: agent?.id ?? m.latest?.agentId ?? null,
      rack: m.rack,
      slot: m.slot,
    };
    const subject = `miner:${m.id}`;
    const paused = pausedReason(m);
    where.why = paused;
    const fresh = !!m.latest && m.latest.online && opts.now - m.latest.receivedAt < opts.offlineAfterMs;
    // Figures from the sample are judged only while it is fresh and the miner is not paused.
    const sampled =
      (f: (l: NonNullable<MinerSnapshot['latest']>, rule: Rule) => Verdict) =>
      (rule: Rule): Verdict =>
        paused ? 'suppressed' : !fresh ? 'unknown' : f(m.latest!, rule);
    const run = (kind: AlertKind, f: (rule: Rule) => Verdict) => emit(kind, subject, where, f);

    run('offline', (rule) => {
      if (paused) return 'suppressed';
      if (!m.latest) return 'unknown';
      // With the agent itself unheard from, agent_offline says it once instead of every miner.
      if (agentDown(agent)) return 'unknown';
      const threshold = rule.threshold ?? opts.offlineAfterMs / 1000;
      const l = m.latest;
      return {
        value: (opts.now - l.receivedAt) / 1000,
        threshold,
        clear: rule.clearThreshold ?? threshold,
        force: l.online ? undefined : 'breach',
        text: (v) =>
          l.online ? `no sample for ${Math.round(v)} s` : `no answer: ${l.error ?? 'unreachable'}`,
        details: { error: l.error },
      };
    });
    run(
      'hashrate_low',
      sampled((l, rule) => {
        if (l.state !== 'hashing') return 'unknown';
        const expected = l.expectedThs ?? m.modelInfo?.nominalThs ?? null;
        if (!expected || l.hashrateThs === null) return 'unknown';
        const clear = rule.clearThreshold ?? rule.threshold ?? 0.8;
        const threshold = rule.threshold ?? 0.8;
        const minSamples = Number(rule.params['minSamples'] ?? 3);
        if (!m.recentThs) return l.hashrateThs / expected > clear ? 'clear' : 'unknown';
        if (m.recentThs.length < minSamples) return 'unknown';
        const med = median(m.recentThs);
        return {
          value: med / expected,
          threshold,
          clear,
          text: (v, t) =>
            `hashrate median ${round(med)} TH/s is ${Math.round(v * 100)} % of expected ${round(expected)} TH/s (< ${Math.round(t * 100)} %)`,
          details: {
            medianThs: round(med, 3),
            expectedThs: expected,
            latestThs: l.hashrateThs,
            samples: m.recentThs.length,
          },
        };
      }),
    );
    const limits = TEMP_LIMITS_C[m.modelInfo?.cooling ?? 'air'];
    run(
      'chip_overtemp',
      sampled((l, rule) => {
        if (l.chipTempMaxC === null) return 'unknown';
        const threshold = rule.threshold ?? limits.chipC;
        return {
          value: l.chipTempMaxC,
          threshold,
          clear: rule.clearThreshold ?? threshold - 5,
          text: (v, t) => `chip ${Math.round(v)} °C ≥ ${t} °C`,
        };
      }),
    );
    run(
      'board_overtemp',
      sampled((l, rule) => {
        if (l.boardTempMaxC === null) return 'unknown';
        const threshold = rule.threshold ?? limits.boardC;
        return {
          value: l.boardTempMaxC,
          threshold,
          clear: rule.clearThreshold ?? threshold - 5,
          text: (v, t) => `board ${Math.round(v)} °C ≥ ${t} °C`,
        };
      }),
    );
    run(
      'fan_failed',
      sampled((l, rule) => {
        const expectedFans = m.modelInfo?.fans ?? null;
        if (expectedFans === 0) return 'clear';
        // bmminer firmwares leave a stopped fan out of the list, so count the ones that turn.
        if (l.fansRpm.length === 0 || l.state === 'starting') return 'unknown';
        const minRpm = Number(rule.params['minRpm'] ?? 500);
        const turning = l.fansRpm.filter((r) => r >= minRpm).length;
        const failed =
          expectedFans !== null ? Math.max(0, expectedFans - turning) : l.fansRpm.length - turning;
        const threshold = rule.threshold ?? 1;
        return {
          value: failed,
          threshold,
          clear: rule.clearThreshold ?? threshold,
          text: (v) => `${v} of ${expectedFans ?? l.fansRpm.length} fans stopped or under ${minRpm} RPM`,
          details: { fansRpm: l.fansRpm },
        };
      }),
    );
    run(
      'board_missing',
      sampled((l, rule) => {
        const expectedBoards = m.modelInfo?.boards ?? null;
        if (expectedBoards === null || l.state !== 'hashing' || l.boards.length === 0) return 'unknown';
        const working = l.boards.filter((b) => (b.chips ?? 0) > 0 && (b.hashrateThs ?? 1) > 0).length;
        const threshold = rule.threshold ?? 1;
        return {
          value: Math.max(0, expectedBoards - working),
          threshold,
          clear: rule.clearThreshold ?? threshold,
          text: (v) => `${v} of ${expectedBoards} hash boards not hashing`,
          details: { boards: l.boards },
        };
      }),
    );
    run(
      'hw_errors',
      sampled((l, rule) => {
        const minUptime = Number(rule.params['minUptimeS'] ?? 600);
        if (l.hardwareErrors === null || l.uptimeS === null || l.uptimeS < Math.max(minUptime, 1))
          return 'unknown';
        const threshold = rule.threshold ?? 500;
        return {
          value: l.hardwareErrors / (l.uptimeS / 3600),
          threshold,
          clear: rule.clearThreshold ?? threshold,
          text: (v, t) => `${Math.round(v)} hardware errors/h ≥ ${t}/h`,
          details: { hardwareErrors: l.hardwareErrors, uptimeS: l.uptimeS },
        };
      }),
    );
    run(
      'pool_not_allowed',
      sampled((l, rule) => {
        const allowed = ((rule.params['allowedPools'] as string[] | undefined) ?? []).map(poolKey);
        if (allowed.length === 0) return 'clear';
        if (!l.pool) return 'unknown';
        const ok = allowed.includes(poolKey(l.pool.url));
        return {
          value: ok ? 0 : 1,
          threshold: 1,
          clear: 1,
          text: () => `pool ${l.pool!.url} is not in the site's allowed pools`,
          details: { pool: l.pool.url, worker: l.pool.user, allowed },
        };
      }),
    );
    run(
      'worker_changed',
      sampled((l) => {
        if (!l.pool || !m.knownWorker) return 'unknown';
        const known = m.knownWorker;
        return {
          value: l.pool.user === known.worker ? 0 : 1,
          threshold: 1,
          clear: 1,
          text: () => `worker ${l.pool!.user} on ${l.pool!.url}; last known-good worker ${known.worker}`,
          details: {
            worker: l.pool.user,
            pool: l.pool.url,
            knownWorker: known.worker,
            knownPool: known.poolUrl,
            knownFrom: known.source,
          },
        };
      }),
    );
    run(
      'power_mismatch',
      sampled((l, rule) => {
        const o = m.outlet;
        const minMetered = Number(rule.params['minMeteredW'] ?? 200);
        if (!o || o.powerW === null || o.powerW < minMetered || opts.now - o.at >= opts.offlineAfterMs)
          return 'unknown';
        if (l.powerW === null || l.powerProvenance !== 'reported') return 'unknown';
        const threshold = rule.threshold ?? 0.2;
        return {
          value: Math.abs(l.powerW - o.powerW) / o.powerW,
          threshold,
          clear: rule.clearThreshold ?? threshold,
          text: (v) =>
            `reports ${Math.round(l.powerW!)} W, outlet ${o.pduId}/${o.outlet} meters ${Math.round(o.powerW!)} W (${Math.round(v * 100)} % apart)`,
          details: { reportedW: l.powerW, meteredW: o.powerW, pduId: o.pduId, outlet: o.outlet },
        };
      }),
    );
  }

  evaluatePdus(snapshot.pdus, snapshot.containerSites, opts, emit);
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

function evaluatePdus(
  pdus: PduSnapshot[],
  containerSites: Map<string, string>,
  opts: EvaluateOptions,
  emit: (kind: AlertKind, subject: string, where: Where, verdict: (rule: Rule) => Verdict) => void,
): void {
  const inlets = new Map<string, { temps: number[]; siteId: string | null; fresh: boolean }>();
  const limits = (rule: Rule, fallback: number) => {
    const threshold = rule.threshold ?? fallback;
    return { threshold, clear: rule.clearThreshold ?? threshold };
  };
  for (const p of pdus) {
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
      const metered = p.outlets.filter((o) => o.powerW !== null);
      const total = p.totalPowerW ?? (metered.length ? metered.reduce((s, o) => s + o.powerW!, 0) : null);
      if (!fresh || total === null) return 'unknown';
      return {
        value: total,
        ...limits(rule, KIND_SPECS.phase_overload.threshold!),
        text: (v, t) => `PDU ${p.id} draws ${Math.round(v)} W ≥ ${t} W`,
      };
    });
    for (const o of p.outlets) {
      emit('outlet_overload', `outlet:${p.id}/${o.outlet}`, where, (rule) => {
        const volts = Number(rule.params['volts'] ?? 230);
        const amps = o.currentA ?? (o.powerW !== null ? o.powerW / volts : null);
        if (!fresh || amps === null) return 'unknown';
        return {
          value: amps,
          ...limits(rule, KIND_SPECS.outlet_overload.threshold!),
          text: (v, t) => `outlet ${p.id}/${o.outlet} carries ${round(v)} A ≥ ${t} A`,
          details: { pduId: p.id, outlet: o.outlet, powerW: o.powerW, currentA: o.currentA },
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

/** Why a miner must not alert now, or null. */
export function pausedReason(m: MinerSnapshot): string | null {
  if (m.status !== 'in_service') return `miner is ${m.status}`;
  if (m.lastControl && (m.lastControl.op === 'sleep' || m.lastControl.op === 'poll.stop'))
    return `${m.lastControl.op} command sent`;
  if (m.latest && (m.latest.state === 'sleeping' || m.latest.state === 'idle'))
    return `miner reports ${m.latest.state}`;
  return null;
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
