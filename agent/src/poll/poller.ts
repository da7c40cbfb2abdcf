import {
  type AgentEvent,
  type MinerSample,
  MinerSampleSchema,
  type SlotRef,
  type Unreachable,
} from '@hashfleet/contracts';
import { type FirmwareProfile, findModel, type ModelInfo } from '@hashfleet/firmware-profiles';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import type { IdentityTable } from '../identity.js';
import type { AgentMetrics } from '../metrics.js';
import type { KnownTarget } from '../state.js';
import { type RequestContext, realPort } from '../transport/request.js';
import { tcpProbe } from '../transport/rpc.js';
import { type WorkBase, workSince } from '../work.js';
import { type Health, healthy, isDue, onFailure, onSuccess } from './health.js';
import { pollMiner } from './poll-miner.js';

/** A miner as the poller sees it: where it answers and with which profile. */
export type Target = {
  ip: string;
  profile: FirmwareProfile;
  port: number;
  model: string | null;
  firmwareVersion: string | null;
  minerKey: string | null;
  health: Health;
  /** Being polled or waiting for a slot: a cycle that comes meanwhile skips it. */
  busy: boolean;
  /** Where in each cycle this miner is polled: drawn once in [0, jitterMs), so polls spread out. */
  offsetMs?: number;
  /** The model table's row for `model`, looked up when `model` last changed (not on every poll). */
  modelInfo?: { for: string | null; row: ModelInfo | null };
};

export type PollSink = {
  sample(s: MinerSample): void;
  unreachable(u: Unreachable): void;
  event(e: AgentEvent): void;
};

export type PollerDeps = {
  config: AgentConfig;
  ctx: RequestContext;
  identities: IdentityTable;
  work: Map<string, WorkBase>;
  getProfile: (id: string) => FirmwareProfile | undefined;
  metrics: AgentMetrics;
  logger: Logger;
  now: () => number;
  random: () => number;
  sink: PollSink;
  /** minerKeys taken out of polling by poll.stop (a miner being moved): never polled. */
  unmanaged?: ReadonlySet<string>;
};

export type CycleStats = { polled: number; failed: number; skipped: number; ms: number };

/**
 * Polls every known target once per cycle, `concurrency` at a time across overlapping cycles. Each
 * miner has one request in flight at most (a miner still busy from the last cycle is skipped for
 * this one, and counted), every request has a hard deadline, and dead miners are retried on an
 * exponential back-off with a TCP probe first, so a hung or dead miner costs its own deadline and
 * nothing else. A spread cycle starts each miner at its own offset into the cycle.
 */
export class Poller {
  readonly targets = new Map<string, Target>();
  readonly #d: PollerDeps;
  readonly #slots: Map<string, SlotRef>;
  /** minerKey -> IP of the target that last answered as that miner. */
  readonly #ipOf = new Map<string, string>();
  /** One limit shared by overlapping cycles and the first polls of miners the scan finds. */
  readonly #limit: LimitFunction;
  /** First polls of miners the scan found, still running (stop waits for them). */
  readonly #found = new Set<Promise<void>>();

  constructor(deps: PollerDeps) {
    this.#d = deps;
    this.#limit = pLimit(deps.config.polling.concurrency);
    this.#slots = new Map(deps.config.miners.slots.map((s) => [s.ip, { rack: s.rack, slot: s.slot }]));
  }

  /** Adds or refreshes a target found by discovery (or restored from state). */
  upsert(t: KnownTarget): Target | null {
    const profile = this.#d.getProfile(t.profile);
    if (!profile) return null;
    const existing = this.targets.get(t.ip);
    if (existing && existing.profile.id === t.profile) {
      existing.model = t.model ?? existing.model;
      existing.firmwareVersion = t.firmwareVersion ?? existing.firmwareVersion;
      return existing;
    }
    const target: Target = {
      ip: t.ip,
      profile,
      port: t.port,
      model: t.model,
      firmwareVersion: t.firmwareVersion,
      minerKey: existing?.minerKey ?? this.#d.identities.keyAtIp(t.ip) ?? null,
      health: existing?.health ?? healthy(),
      busy: existing?.busy ?? false,
      offsetMs: existing?.offsetMs ?? Math.floor(this.#d.random() * this.#d.config.polling.jitterMs),
    };
    this.targets.set(t.ip, target);
    if (target.minerKey) this.#ipOf.set(target.minerKey, t.ip);
    return target;
  }

  known(): KnownTarget[] {
    return [...this.targets.values()].map((t) => ({
      ip: t.ip,
      profile: t.profile.id,
      port: t.port,
      model: t.model,
      firmwareVersion: t.firmwareVersion,
    }));
  }

  /**
   * Polls every due target once. With `spread`, each starts `offsetMs` into the cycle (the timer
   * schedule); without, all start at once (`pollNow`). Resolves when the last of them is done.
   */
  async cycle(opts: { spread?: boolean } = {}): Promise<CycleStats> {
    const { now, metrics } = this.#d;
    const started = performance.now();
    const at = now();
    let polled = 0;
    let failed = 0;
    let skipped = 0;
    const due = [...this.targets.values()].filter((t) => {
      if (t.minerKey !== null && this.#d.unmanaged?.has(t.minerKey)) return false;
      if (t.busy) metrics.skipped('busy');
      const ok = !t.busy && isDue(t.health, at);
      if (!ok) skipped++;
      return ok;
    });
    await Promise.all(
      due.map(async (t) => {
        // Busy only while its poll waits for a slot or runs, not through its jitter: a target
        // marked busy for its whole offset was busy most of the cycle, and a command's effect
        // check (commands/execute.ts), which reads only a miner no poll holds, rarely got a turn.
        if (opts.spread && t.offsetMs) await new Promise((r) => setTimeout(r, t.offsetMs));
        if (t.busy) {
          skipped++;
          return;
        }
        t.busy = true;
        try {
          if (await this.#limit(() => this.#pollOne(t))) polled++;
          else failed++;
        } catch {
          // #pollOne reports its own failures; one target's error must not stop the others.
          failed++;
        } finally {
          t.busy = false;
        }
      }),
    );
    const ms = performance.now() - started;
    metrics.cycle(ms);
    return { polled, failed, skipped, ms };
  }

  /** A miner the scan just found: polled now, not at the next cycle (a scan takes a while). */
  pollFound(t: Target): void {
    if (t.busy || (t.minerKey !== null && this.#d.unmanaged?.has(t.minerKey))) return;
    t.busy = true;
    const poll: Promise<void> = this.#limit(() => this.#pollOne(t))
      .then(() => undefined)
      .catch(() => undefined) // reported by #pollOne
      .finally(() => {
        t.busy = false;
        this.#found.delete(poll);
      });
    this.#found.add(poll);
  }

  /** Resolves when the first polls of found miners have ended. */
  async settled(): Promise<void> {
    await Promise.all(this.#found);
  }

  async #pollOne(t: Target): Promise<boolean> {
    const { ctx, config, metrics } = this.#d;
    const deadline = config.polling.requestTimeoutMs;
    const started = performance.now();
    if (t.health.failures > 0) {
      // Cheap re-probe: a dead miner costs one connect, not a full poll, until it answers again.
      const port = realPort(ctx.ports, t.port === 4433 ? 'wm-v3' : 'rpc', t.port);
      try {
        await tcpProbe(t.ip, port, deadline);
      } catch (err) {
        metrics.poll(performance.now() - started, 'probe');
        this.#failed(t, `probe: ${(err as Error).message}`);
        return false;
      }
    }
    if (t.modelInfo?.for !== t.model) t.modelInfo = { for: t.model, row: findModel(t.model) };
    const modelInfo = t.modelInfo.row;
    const outcome = await pollMiner(ctx, t.ip, t.profile, modelInfo, deadline);
    const pollMs = performance.now() - started;
    if (!outcome.ok) {
      metrics.poll(pollMs, outcome.kind);
      this.#failed(t, outcome.message);
      return false;
    }
    const at = this.#d.now();
    const r = outcome.reading;
    const { minerKey, events } = this.#d.identities.observe(
      {
        ip: t.ip,
        serial: r.serial,
        mac: r.mac,
        profile: r.profile,
        model: r.model ?? t.model,
        firmwareVersion: r.firmwareVersion ?? t.firmwareVersion,
        pool: r.pool?.url ?? null,
      },
      at,
    );
    this.#adopt(t, minerKey);
    for (const e of events) this.#d.sink.event(e);
    const { work, base } = workSince(
      this.#d.work.get(minerKey) ?? null,
      r.difficultyAccepted,
      r.uptimeS,
      at,
      r.hashrateAvgThs ?? r.hashrate5sThs,
    );
    // Detection knew the model or version when the poll replies do not carry it (btminer `edevs`).
    const model = r.model ?? t.model;
    const firmwareVersion = r.firmwareVersion ?? t.firmwareVersion;
    const missing = r.missing.filter(
      (f) => !(f === 'model' && model !== null) && !(f === 'firmwareVersion' && firmwareVersion !== null),
    );
    const sample: MinerSample = {
      ...r,
      model,
      firmwareVersion,
      missing,
      minerKey,
      ip: t.ip,
      at,
      pollMs: Math.round(pollMs),
      slot: this.#slots.get(t.ip) ?? null,
      work,
    };
    const valid = MinerSampleSchema.safeParse(sample);
    if (!valid.success) {
      metrics.poll(pollMs, 'invalid-sample');
      this.#failed(t, `sample: ${valid.error.issues[0]?.path.join('.')}: ${valid.error.issues[0]?.message}`);
      return false;
    }
    if (base) this.#d.work.set(minerKey, base);
    const { recoveredFrom } = onSuccess(t.health);
    t.health = healthy();
    if (recoveredFrom !== null) {
      this.#d.logger.info({ miner: t.ip, minerKey }, `miner ${t.ip}: recovered`);
      this.#d.sink.event({ type: 'miner.recovered', at, minerKey, ip: t.ip, downSince: recoveredFrom });
    }
    this.#d.sink.sample(sample);
    // Counted once the sample is written (the sink writes it to the open batch on disk).
    metrics.poll(pollMs, null);
    return true;
  }

  /** The miner answered at this IP: any other target that still thinks it is this miner is stale. */
  #adopt(t: Target, minerKey: string): void {
    t.minerKey = minerKey;
    const previousIp = this.#ipOf.get(minerKey);
    if (
      previousIp !== undefined &&
      previousIp !== t.ip &&
      this.targets.get(previousIp)?.minerKey === minerKey
    ) {
      this.targets.delete(previousIp);
    }
    this.#ipOf.set(minerKey, t.ip);
  }

  /** The target polling a miner now, by its key (commands address miners by key). */
  byKey(minerKey: string): Target | undefined {
    const t = this.targets.get(this.#ipOf.get(minerKey) ?? '');
    return t?.minerKey === minerKey ? t : undefined;
  }

  #failed(t: Target, message: string): void {
    const { config, now, random, logger, sink } = this.#d;
    const at = now();
    const { health, wentDown } = onFailure(
      t.health,
      message,
      at,
      { initialMs: config.polling.backoffInitialMs, maxMs: config.polling.backoffMaxMs },
      random(),
    );
    t.health = health;
    const minerKey = t.minerKey ?? t.ip;
    const error = message.slice(0, 200);
    if (wentDown) {
      // Logged once when it goes down; the back-off retries stay quiet until it recovers.
      logger.warn({ miner: t.ip, minerKey }, `miner ${t.ip}: ${error}`);
      sink.event({ type: 'miner.lost', at, minerKey, ip: t.ip, error });
    }
    sink.unreachable({ minerKey, ip: t.ip, at, error, since: health.downSince ?? at });
  }
}
