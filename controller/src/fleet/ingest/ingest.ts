import {
  type AgentMessage,
  type CommandResult,
  decodeMessage,
  parseAgentTopic,
  topics,
} from '@hashfleet/contracts';
import { Histogram } from 'prom-client';
import type { CoreContext } from '../../core/context.js';
import type { InfluxPoint } from '../../core/influx/sink.js';
import type { Db } from '../../core/storage/db.js';
import { type PendingCache, Reconciler } from '../inventory/reconcile.js';
import { ensurePlace } from '../inventory/sites.js';
import { containerRollup } from '../queries.js';
import { type BatchOptions, DEFAULT_BATCH, GroupCommit } from './batch.js';
import { firstDeliveries, firstDelivery } from './dedupe.js';
import { Deferred } from './deferred.js';
import type { Applied, IngestDeps } from './deps.js';
import { applyBirth, applyEvents, applyStatus } from './lifecycle.js';
import { MalformedLog } from './malformed.js';
import {
  Bindings,
  claimOf,
  type ForeignMiner,
  HeldPlaces,
  judgePlace,
  placeOf,
  type RefusalReason,
  refusedMinersWhy,
} from './place.js';
import { extraPoints } from './points-extra.js';
import { applyPower } from './power.js';
import { missingSeqs, noteSeq, noteSeqs, type SeqStep } from './seq.js';
import { SkewTracker } from './skew.js';
import { storageHealth } from './storage-health.js';
import { applyTelemetry, readMeteredSlots } from './telemetry.js';
import { trustMetrics } from './trust-metrics.js';

export type Outcome = 'applied' | 'duplicate' | 'malformed' | 'rejected' | 'ignored' | 'failed';

export type Ingest = {
  /** Validates and applies one MQTT message durably; resolves when it is safe to acknowledge. */
  handle(topic: string, payload: Uint8Array): Promise<Outcome>;
  /**
   * Called for each message ingest committed or recognised as a duplicate: what the controller
   * acknowledges end to end to the agent (controller/src/core/mqtt/acks.ts). One listener; null removes it.
   */
  onDurable?(listener: ((agentId: string, bootId: string, seq: number) => void) | null): void;
  /** Changes how messages are grouped into transactions (batch.ts); `maxMessages: 1` is one per message. */
  batching?(opts: Partial<BatchOptions>): void;
  stop(): void;
};

export type ResultHandler = (db: Db, msg: CommandResult) => Promise<void>;

// Errors worth waiting out (database restarting or unreachable): retried until they pass.
const TRANSIENT =
  /ECONNREFUSED|ECONNRESET|terminat|Connection|timeout|SQLITE_BUSY|database is locked|57P0|08006|08001/i;
// Races between replicas (two creating the same new asset, deadlock, serialization): a few
// retries settle them, since the retry sees the other replica's committed row.
const RACE = /^(23505|40001|40P01)$|SQLITE_CONSTRAINT_UNIQUE|deadlock|could not serialize/i;

/**
 * Why a batch's transaction failed: storage away (retried until it is back, up to 10,000 times), a
 * race between replicas (retried a few times), or the message being applied (left out).
 */
function failure(err: unknown, attempt = 0): 'transient' | 'race' | 'own' | 'gone' {
  const message = (err as Error).message ?? '';
  const code = String((err as { code?: unknown }).code ?? '');
  if (TRANSIENT.test(message) || TRANSIENT.test(code)) return attempt < 10_000 ? 'transient' : 'gone';
  return RACE.test(code) || RACE.test(message) ? 'race' : 'own';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A batch ended by stop(): not applied and not acknowledged end to end, so the agent sends it again. */
class IngestStopping extends Error {
  constructor() {
    super('the controller is stopping: not applied; the agent sends it again');
  }
}

/** How long a skipped seq may stay missing before it is logged (reportGap). */
const GAP_GRACE_MS = 300_000;

/** How long an agent's live messages must span before its clock skew is logged (skew.ts). */
const SKEW_EVIDENCE_MS = 300_000;

/**
 * Long because it is a factory: its methods share the reconciler, the dedupe window and the metrics
 * through the closure; each message kind is applied by its own module.
 */
export function createIngest(
  ctx: CoreContext,
  onResult?: ResultHandler,
  batching: BatchOptions = DEFAULT_BATCH,
): Ingest {
  const reconciler = new Reconciler();
  const skews = new SkewTracker();
  const deps: IngestDeps = {
    db: ctx.db,
    config: ctx.config,
    reconciler,
    log: ctx.logger,
    now: ctx.now,
    skewOf: (agentId) => skews.estimate(agentId)?.ms ?? null,
  };
  const malformed = new MalformedLog((fields, msg) => ctx.logger.warn(fields, msg));
  const places = new Set<string>();
  const skewLoggedAt = new Map<string, number>();
  /** When each agent's first skipped seq not yet judged was seen (reportGap). */
  const gapSince = new Map<string, number>();

  // The agent's clock against ours (docs/architecture.md §3.2: keep receipt time, flag skew), from
  // skew.ts's estimate once its messages span 5 minutes (a queue's wait cannot pass for skew unless
  // every message of those minutes waited as long); logged at most every 10 min.
  function noteSkew(msg: AgentMessage) {
    if (msg.historical) return;
    const now = ctx.now();
    const est = skews.estimate(msg.agentId);
    if (!est || est.spanMs < SKEW_EVIDENCE_MS) return;
    if (Math.abs(est.ms) <= ctx.config.ingest.clockSkewWarnMs) return;
    if (now - (skewLoggedAt.get(msg.agentId) ?? 0) < 600_000) return;
    skewLoggedAt.set(msg.agentId, now);
    const s = Math.round(est.ms / 1000);
    ctx.logger.warn(
      { agentId: msg.agentId, skewMs: est.ms },
      est.ms > 0
        ? `agent ${msg.agentId}: clock is ${s} s ahead of the controller's`
        : `agent ${msg.agentId}: clock is ${-s} s behind the controller's, or every message of the last 5 minutes waited that long before ingest (broker queue)`,
    );
  }
  let stopped = false;
  let durable: ((agentId: string, bootId: string, seq: number) => void) | null = null;

  const trust = trustMetrics(ctx.metrics.registry, ctx.db);
  if (ctx.config.ingest.unboundAgents === 'accept')
    ctx.logger.warn(
      'ingest.unboundAgents is accept: an agent bound to no container may report for any container nobody is bound to; bind every agent (token create / broker add-agent --site --container) and set it back to refuse',
    );
  const storage = storageHealth(ctx);
  // Refusals are logged and audited at most once per agent and reason per minute (a spool replays them).
  const refusalLog = () => new MalformedLog((fields, m) => ctx.logger.warn(fields, m), 60_000, 'refused');
  const refusals: Record<RefusalReason, MalformedLog> = {
    foreign_place: refusalLog(),
    unbound: refusalLog(),
    foreign_miner: refusalLog(),
  };
  type Refused = { refused: string; reason: RefusalReason };
  const isRefused = (r: Applied | Refused | null): r is Refused => r !== null && 'refused' in r;
  /** `wrote`: the message may have written miners or their identities (HeldPlaces is stale after it). */
  type Step = { result: Applied | Refused | null; after: () => Promise<void>; wrote: boolean };

  type Known = { bindings: Bindings; first: boolean; seq: SeqStep | null; places: HeldPlaces };

  /**
   * What a batch's messages need from tables ingest reads before applying (issue 15 item 1), in
   * a few statements for the whole batch instead of a few round trips per message: the agent
   * bindings, then the dedupe rows of the messages not refused, then the seq steps of the first
   * deliveries (dedupe.ts, seq.ts: the same answers as asking message by message in order), where
   * the miners the messages name sit (place.ts HeldPlaces) and the metered slots of their
   * containers (telemetry.ts readMeteredSlots, held in `held`).
   */
  async function knownOf(tx: Db, items: readonly Item[], held: Deferred): Promise<Known[]> {
    const bindings = await Bindings.read(
      tx,
      items.map((i) => i.msg),
    );
    const now = ctx.now();
    const placed = items.filter((i) => !judgePlace(i.msg, ctx.config.ingest.unboundAgents, bindings).refused);
    const firsts = await firstDeliveries(
      tx,
      placed.map((i) => ({ env: i.msg, kind: i.kind })),
      now,
    );
    const delivered = placed.filter((_, k) => firsts[k]);
    const steps = await noteSeqs(tx, delivered, now);
    const seqOf = new Map(delivered.map((i, k) => [i, steps[k]!]));
    const places = await HeldPlaces.read(
      tx,
      placed.map((i) => i.msg),
    );
    await readMeteredSlots(
      tx,
      held,
      delivered.map((i) => i.msg),
    );
    return items.map((i) => ({ bindings, first: seqOf.has(i), seq: seqOf.get(i) ?? null, places }));
  }

  /**
   * Applies one message inside the transaction of its batch (the `tx` below joins it) and returns
   * what to do once that transaction committed: the caches and counters must not see a batch that
   * is rolled back and applied again.
   */
  async function apply(
    kind: string,
    whole: AgentMessage,
    held?: Deferred,
    known?: Known,
    placesFresh = false,
  ): Promise<Step> {
    const pending: PendingCache = new Map();
    const newPlaces: string[] = [];
    let seq: SeqStep | null = null;
    let unbound = false;
    let foreign: ForeignMiner[] = [];
    const applied = await ctx.db.tx(async (tx) => {
      const place = await placeOf(
        tx,
        whole,
        ctx.config.ingest.unboundAgents,
        known?.bindings,
        placesFresh ? known?.places : undefined,
      );
      if (place.refused) return { refused: place.refused.why, reason: place.refused.reason };
      unbound = place.verdict === 'unbound';
      foreign = place.foreign;
      const msg = place.msg;
      if (!(known ? known.first : await firstDelivery(tx, msg, kind, ctx.now()))) return null;
      seq = known ? known.seq : await noteSeq(tx, msg, kind, ctx.now());
      if ('siteId' in msg && 'containerId' in msg) {
        const key = `${msg.siteId}/${msg.containerId}/${msg.agentId}`;
        if (!places.has(key)) {
          await ensurePlace(tx, msg.siteId, msg.containerId, msg.agentId, ctx.now());
          newPlaces.push(key);
        }
      }
      // Only telemetry holds rows back; anything else may read what they write.
      if (held && msg.kind !== 'telemetry') await held.flush(tx);
      switch (msg.kind) {
        case 'telemetry':
          return applyTelemetry(tx, msg, { ...deps, deferred: held, points: Boolean(ctx.influx) }, pending);
        case 'power':
          return applyPower(tx, msg, deps);
        case 'birth':
          return applyBirth(tx, msg, deps, pending);
        case 'status':
          return applyStatus(tx, msg, deps);
        case 'events':
          return applyEvents(tx, msg, deps, pending);
        case 'result':
          await onResult?.(tx, msg);
          return { points: [], samples: 0 };
      }
    });
    if (isRefused(applied)) return { result: applied, after: async () => {}, wrote: false };
    return {
      result: applied,
      // The reconciler ran (a miner new, moved or changed), or a kind that writes inventory.
      wrote: pending.size > 0 || whole.kind !== 'telemetry' || whole.unreachable.length > 0,
      after: async () => {
        reconciler.commit(pending);
        for (const p of newPlaces) places.add(p);
        if (applied) countSeq(whole.agentId, seq, unbound);
        if (applied && !whole.historical) await reportGap(whole.agentId);
        if (applied && foreign.length) await refuseMiners(whole, kind, foreign);
      },
    };
  }

  // After commit only, so a transaction retried after a storage fault counts once.
  function countSeq(agent: string, step: SeqStep | null, unbound: boolean) {
    if (unbound) trust.unbound.inc({ agent });
    if (!step) return;
    if (step.skipped > 0) {
      trust.gaps.inc({ agent }, step.skipped);
      if (!gapSince.has(agent)) gapSince.set(agent, ctx.now());
    }
    if (step.late) trust.late.inc({ agent });
  }

  /**
   * A skipped seq is logged only if it is still missing 5 minutes later, read from the database on
   * the agent's next message after that (seq.ts missingSeqs: every replica's arrivals count). With
   * replicas sharing a subscription, one applies seq n+1 while the other is still applying n: in
   * the 100,000-miner rehearsal a replica logged 70 such gaps in 5 minutes, none of them lost; with
   * a minute's grace 4 were still logged at capacity (publish -> durable p99 22 s), none lost.
   */
  async function reportGap(agent: string): Promise<void> {
    const since = gapSince.get(agent);
    if (since === undefined || ctx.now() - since < GAP_GRACE_MS) return;
    gapSince.delete(agent);
    if (stopped) return;
    // Storage down: the gauge hashfleet_ingest_seq_missing says it on the next scrape it can.
    const missing = await missingSeqs(ctx.db, agent).then(
      (r) => r[0]?.missing ?? 0,
      () => 0,
    );
    if (missing > 0)
      ctx.logger.warn(
        { agentId: agent, missing },
        `agent ${agent}: ${missing} data seq(s) still missing 5 minutes after later ones arrived: lost unless they arrive late`,
      );
  }

  /**
   * A message claiming a place its agent is not bound to: counted, and logged and audited once per
   * agent per minute. Not acknowledged end to end: the agent keeps it until an operator binds it.
   */
  async function refuse(
    topic: string,
    kind: string,
    msg: AgentMessage,
    why: string,
    reason: RefusalReason,
    extra: Record<string, unknown> = {},
  ): Promise<'rejected'> {
    const claim = claimOf(msg);
    trust.rejected.inc(
      { reason, agent: msg.agentId },
      reason === 'foreign_miner' ? (extra['miners'] as unknown[]).length : 1,
    );
    if (reason !== 'foreign_miner') ctx.metrics.ingestMessages.inc({ kind, result: 'rejected' });
    if (!refusals[reason].report(msg.agentId, topic, why, ctx.now())) return 'rejected';
    await ctx.audit
      .record({
        actor: { tokenId: `agent:${msg.agentId}`, role: 'agent', stakerId: null, name: msg.agentId },
        action: 'ingest.reject',
        subject: `agent ${msg.agentId}`,
        details: { reason, why, kind, seq: msg.seq, bootId: msg.bootId, ...claim, ...extra },
      })
      .catch((err: Error) =>
        ctx.logger.error(
          { err, agentId: msg.agentId },
          `agent ${msg.agentId}: audit of a refused ${kind} failed`,
        ),
      );
    return 'rejected';
  }

  /** Entries naming another agent's miner, left out of an applied message (issue 17): counted and audited. */
  async function refuseMiners(msg: AgentMessage, kind: string, miners: ForeignMiner[]) {
    const topic = topics[kind as 'telemetry' | 'birth' | 'events'](msg.agentId);
    await refuse(topic, kind, msg, refusedMinersWhy(miners), 'foreign_miner', { miners });
  }

  type Item = { kind: string; msg: AgentMessage; settle: (r: Settled) => void };
  type Settled = { ok: true; result: Applied | Refused | null } | { ok: false; err: unknown };

  /**
   * One batch in one transaction (issue 15 item 1), messages applied in the order received. A
   * message whose own apply throws is left out and the others applied again without it (the
   * rollback took its writes with theirs), so it harms nothing else; storage being away retries
   * the whole batch with backoff while every acknowledgement waits, so the broker holds the
   * messages (and stops sending once its in-flight window is full) instead of us buffering them;
   * a race between replicas retries a few times. Settles every item; never throws.
   */
  async function writeBatch(batch: Item[]): Promise<void> {
    let live = batch;
    let waiting = 0;
    let races = 0;
    // Bulk rows are held and written once per batch (deferred.ts), after the batch's reads
    // (knownOf); when a batch-wide statement fails for a reason of its own, the batch is applied
    // again message by message, each with its own statements, so the failure is tied to its
    // message like any other. A lone message takes that path from the start: nothing to share.
    let perMessage = live.length === 1;
    try {
      for (let attempt = 1; live.length; attempt++) {
        const at: { item: Item | null } = { item: null };
        const held = perMessage ? undefined : new Deferred();
        let steps: Step[];
        try {
          steps = await ctx.db.tx(async (tx) => {
            const out: Step[] = [];
            const known = held ? await knownOf(tx, live, held) : null;
            // The batch-wide read of where named miners sit holds until a message may have moved one.
            let placesFresh = true;
            for (const [k, item] of live.entries()) {
              // A stopping controller ends the batch here: rolled back, none of it acknowledged end to
              // end, so its agents send it again (docs/architecture.md §3.3). A batch of births held
              // minutes of work in the scale rehearsal; finishing it outlived the stop timeout.
              at.item = null;
              if (stopped) throw new IngestStopping();
              at.item = item;
              const step = await apply(item.kind, item.msg, held, known?.[k], placesFresh);
              if (step.wrote) placesFresh = false;
              out.push(step);
            }
            at.item = null;
            await held?.flush(tx);
            return out;
          });
        } catch (err) {
          const why = failure(err, attempt);
          if (stopped || why === 'gone') {
            for (const item of live) item.settle({ ok: false, err });
            return;
          }
          if (why === 'own' || (why === 'race' && ++races >= 5)) {
            // Not tied to one message (the commit itself failed): none of them is durable.
            const bad = at.item;
            if (!bad && !perMessage && why === 'own') {
              perMessage = true;
              continue;
            }
            if (!bad) {
              for (const item of live) item.settle({ ok: false, err });
              return;
            }
            bad.settle({ ok: false, err });
            live = live.filter((i) => i !== bad);
            continue;
          }
          const message = (err as Error).message;
          if (attempt === 1 || attempt % 20 === 0) {
            const first = live[0]!.msg;
            ctx.logger.warn(
              { messages: live.length, agentId: first.agentId, attempt, err: message },
              `ingest: a batch of ${live.length} message(s) (first from agent ${first.agentId}): storage unavailable, retrying`,
            );
          }
          // Races between replicas settle in a retry or two; only storage being away is not-ready.
          if (why === 'transient' && !waiting) for (; waiting < live.length; waiting++) storage.waiting();
          await sleep(Math.min(5000, 50 * 2 ** Math.min(attempt, 7)));
          continue;
        }
        for (const [i, item] of live.entries()) {
          const step = steps[i]!;
          await step
            .after()
            .catch((err: Error) =>
              ctx.logger.error(
                { err, agentId: item.msg.agentId },
                `agent ${item.msg.agentId}: after commit: ${err.message}`,
              ),
            );
          item.settle({ ok: true, result: step.result });
        }
        return;
      }
    } finally {
      for (; waiting > 0; waiting--) storage.done();
    }
  }
  const batchSize = new Histogram({
    name: 'hashfleet_ingest_batch_messages',
    help: 'Messages applied in one ingest transaction (group commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [ctx.metrics.registry],
  });
  const queue = new GroupCommit<Item>(
    batching,
    (batch) => {
      batchSize.observe(batch.length);
      return writeBatch(batch).catch((err: unknown) => {
        for (const item of batch) item.settle({ ok: false, err });
      });
    },
    (item) => item.kind === 'birth',
  );
  const submit = (kind: string, msg: AgentMessage) =>
    new Promise<Applied | Refused | null>((resolve, reject) =>
      queue.push({ kind, msg, settle: (r) => (r.ok ? resolve(r.result) : reject(r.err)) }),
    );

  async function containerPoint(siteId: string, containerId: string, at: number): Promise<InfluxPoint> {
    const r = await containerRollup(ctx.db, containerId, ctx.now(), ctx.config.ingest.offlineAfterS * 1000);
    return {
      measurement: 'container',
      tags: { site: siteId, container: containerId },
      fields: {
        hashrate_ths: r.hashrateThs,
        expected_ths: r.expectedThs,
        power_w: r.powerW,
        efficiency_j_per_th: r.efficiencyJPerTh,
        miners_online: r.online,
        miners_hashing: r.hashing,
        miners_total: r.total,
        hottest_chip_c: r.hottest[0]?.chipTempMaxC ?? null,
      },
      at,
    };
  }

  return {
    async handle(topic, payload) {
      const arrivedAt = ctx.now();
      const parsed = parseAgentTopic(topic);
      if (!parsed || parsed.kind === 'commands') return 'ignored';
      const { agentId, kind } = parsed;
      const decoded = decodeMessage(kind, payload, agentId);
      if (!decoded.ok) {
        ctx.metrics.ingestMalformed.inc({ kind });
        ctx.metrics.ingestMessages.inc({ kind, result: 'malformed' });
        malformed.report(agentId, topic, decoded.error, ctx.now());
        return 'malformed';
      }
      const msg = decoded.value as AgentMessage;
      if (!msg.historical) skews.note(msg.agentId, msg.sentAt, arrivedAt);
      const timer = ctx.metrics.ingestLatency.startTimer({ kind });
      let result: Applied | Refused | null;
      try {
        result = await submit(kind, msg);
      } catch (err) {
        if (err instanceof IngestStopping) {
          ctx.metrics.ingestMessages.inc({ kind, result: 'stopped' });
          return 'failed';
        }
        ctx.metrics.ingestErrors.inc({ kind });
        ctx.metrics.ingestMessages.inc({ kind, result: 'failed' });
        ctx.logger.error(
          { err, kind, agentId },
          `agent ${agentId}: ${kind} seq ${msg.seq}: not applied: ${(err as Error).message}`,
        );
        return 'failed';
      } finally {
        timer();
      }
      if (isRefused(result)) return refuse(topic, kind, msg, result.refused, result.reason);
      const applied = result;
      durable?.(msg.agentId, msg.bootId, msg.seq);
      if (!applied) {
        ctx.metrics.ingestDuplicates.inc({ kind });
        ctx.metrics.ingestMessages.inc({ kind, result: 'duplicate' });
        return 'duplicate';
      }
      ctx.metrics.ingestMessages.inc({ kind, result: 'applied' });
      noteSkew(msg);
      ctx.metrics.ingestSamples.inc(applied.samples);
      applied.afterCommit?.();
      for (const f of applied.implausible ?? []) trust.implausible.inc({ field: f.replace(/\[\d+\]/g, '') });
      if (ctx.influx) {
        const points = applied.points;
        if (msg.kind === 'telemetry' || msg.kind === 'power') {
          points.push(await containerPoint(msg.siteId, msg.containerId, msg.sentAt));
        }
        points.push(...(await extraPoints(ctx.db, msg, points, (m) => ctx.logger.warn(m))));
        if (points.length) ctx.influx.write(points);
      }
      return 'applied';
    },
    onDurable(listener) {
      durable = listener;
    },
    batching(opts) {
      queue.configure(opts);
    },
    stop() {
      stopped = true;
    },
  };
}
