import type { Server } from 'node:http';
import { join } from 'node:path';
import type { AgentEvent } from '@hashfleet/contracts';
import { findModel } from '@hashfleet/firmware-profiles';
import { getProfile } from '@hashfleet/firmware-profiles/registry';
import type { Logger } from 'pino';
import { bearerTokens } from './auth/vnish.js';
import { AGENT_VERSION, birthBody } from './birth.js';
import { execute } from './commands/execute.js';
import { CommandIntake } from './commands/intake.js';
import { managedOnly } from './commands/poll-control.js';
import { loadCommandKeys } from './commands/verify.js';
import { type AgentConfig, configWarnings } from './config.js';
import type { ProbeResult } from './discovery.js';
import { IdentityTable } from './identity.js';
import { createLogger } from './logger.js';
import { AgentMetrics, serveMetrics } from './metrics.js';
import { PduReader } from './pdu/poller.js';
import { type CycleStats, Poller, type Target } from './poll/poller.js';
import { splitToFit } from './publish/batcher.js';
import { Envelopes } from './publish/envelope.js';
import { type BatchContent, OpenBatch } from './publish/open-batch.js';
import { Publisher } from './publish/publisher.js';
import { Spool } from './publish/spool.js';
import { SafetyGuard } from './safety/guard.js';
import { ruleSetSignatureCheck } from './safety/keys.js';
import { outletForSlot } from './safety/outlet.js';
import { MinerSchedule } from './schedule/miner-schedule.js';
import { PduCycle } from './schedule/pdu-cycle.js';
import { scanInto } from './schedule/scan.js';
import { loadState, saveState } from './state.js';
import type { RequestContext } from './transport/request.js';
import { loadKnownHosts } from './transport/ssh.js';
import type { WorkBase } from './work.js';
import { journalEntries, WorkJournal } from './work-journal.js';

export { AGENT_VERSION };

export type StartOptions = {
  logger?: Logger;
  /** Agent clock (UTC ms); tests move it to simulate minutes in milliseconds. */
  now?: () => number;
  random?: () => number;
  /** `timers` polls and scans on the configured intervals; `manual` only on pollNow()/scanNow(). */
  schedule?: 'timers' | 'manual';
};

export type AgentSnapshot = {
  bootId: string;
  connected: boolean;
  targets: number;
  identities: number;
  spool: { messages: number; bytes: number; dropped: number; recovered: number };
  totals: AgentMetrics['totals'];
  lastCommandSeq: number | null;
  /** A scan of the ranges is running. */
  scanning: boolean;
};

export type RunningAgent = {
  readonly bootId: string;
  /** Runs one poll cycle (miners and PDUs) now and publishes it; resolves when it is spooled. */
  pollNow(): Promise<CycleStats>;
  /** Scans the configured ranges now; new miners join the next cycle. */
  scanNow(): Promise<ProbeResult[]>;
  metrics(): AgentSnapshot;
  /** Prometheus text of the agent's registry. */
  metricsText(): Promise<string>;
  /** Resolves when the spool is empty and the broker connected (or the timeout passes). */
  drained(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
};

/**
 * Wires the agent's parts together: state, spool and publisher, the poller with its sink (safety
 * tap, poll.stop filter, open batch), the PDU cycle, the command intake and the schedule. The parts
 * live in their own modules; this function only builds and connects them, in the order their
 * dependencies need. Long because of that: it is longer than the ~150 lines asked of a function, and splitting
 * the wiring would only pass the same dozen parts from one builder to the next.
 */
export async function startAgent(config: AgentConfig, options: StartOptions = {}): Promise<RunningAgent> {
  const logger = options.logger ?? createLogger(config.log.level);
  for (const w of configWarnings(config)) logger.warn(w);
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const metrics = new AgentMetrics();
  const loaded = loadState(config.spool.dir);
  if (loaded.error) logger.error(loaded.error);
  const state = loaded.state;
  const identities = new IdentityTable(state.identities);
  const work = new Map<string, WorkBase>(Object.entries(state.work));
  const unmanaged = new Set(state.unmanaged);

  const spool = new Spool(config.spool.dir, config.spool, (drop) => {
    metrics.dropped('spool-full');
    logger.error(
      { spoolId: drop.id, topic: drop.topic, bytes: drop.bytes },
      `spool: dropped oldest message: ${drop.reason}`,
    );
  });
  metrics.spooled(spool);
  if (spool.recovered > 0)
    logger.info(
      { messages: spool.recovered, bytes: spool.bytes },
      'spool: replaying messages left from before',
    );

  const ctx: RequestContext = {
    ports: config.miners.ports,
    credentials: config.credentials,
    knownHosts: loadKnownHosts(config.credentials.knownHostsFile),
    bearer: bearerTokens(config),
  };
  const publicKeys = loadCommandKeys(config.commands);

  const envelopes = new Envelopes(config.agentId, now);
  const where = { siteId: config.siteId, containerId: config.containerId };
  let attachMetrics = false;
  const journal = new WorkJournal(config.spool.dir, logger);

  const sendEvents = (events: AgentEvent[]) => publisher.send('events', { kind: 'events', ...where, events });
  // A batch's messages, each under an origin the spool keeps, so a batch found open after a kill
  // is not spooled twice. Events first: an identity change is known before the samples that carry
  // the new identity.
  const seal = (b: BatchContent, origin: string) => {
    if (b.events.length > 0 && !spool.hasOrigin(`${origin}:events`))
      publisher.send('events', { kind: 'events', ...where, events: b.events }, `${origin}:events`);
    if (b.samples.length + b.unreachable.length === 0) return;
    const agent = attachMetrics ? metrics.take(spool) : null;
    attachMetrics = false;
    const body = { kind: 'telemetry', ...where, samples: b.samples, unreachable: b.unreachable, agent };
    // Its lines bound the body's size, so a batch sealed under the limit is not serialised to measure it.
    const atMost =
      b.chars === undefined
        ? undefined
        : b.chars + JSON.stringify({ ...body, samples: [], unreachable: [] }).length;
    const parts = splitToFit(body, (x) => JSON.stringify(x).length, undefined, atMost);
    for (const [i, part] of parts.entries()) {
      if (!spool.hasOrigin(`${origin}:telemetry:${i}`))
        publisher.send('telemetry', part, `${origin}:telemetry:${i}`);
      // Right after the batch is on disk: the bases its samples measured work to.
      journal.record(part.samples);
    }
  };
  const batch = new OpenBatch(config.spool.dir, {
    maxItems: config.batch.maxSamples,
    maxDelayMs: config.batch.maxDelayMs,
    // Under its own timers a starting agent sends its first samples at once, not maxDelayMs later.
    firstDelayMs: (options.schedule ?? 'timers') === 'timers' ? 0 : config.batch.maxDelayMs,
    fsync: config.spool.fsync,
    seal: (b, origin) => seal(b, origin),
  });
  // Local safety: acts through the command executor and reports through the spool, on its own.
  const safety: SafetyGuard = new SafetyGuard({
    agentId: config.agentId,
    mode: config.safety.mode,
    file: config.safety.file ?? join(config.spool.dir, 'safety-rules.json'),
    check: ruleSetSignatureCheck(publicKeys),
    canonicalModel: (m) => findModel(m)?.model ?? m,
    outletFor: (slot) => outletForSlot(config.pdus, slot),
    run: (action) =>
      execute(action, {
        ctx,
        targetByKey: (k) => poller.byKey(k),
        pdus: config.pdus,
        requestTimeoutMs: Math.max(config.polling.requestTimeoutMs, 5_000),
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      }),
    report: (event) => sendEvents([event]),
    connected: () => publisher.connected,
    onRefused: (refusal) => metrics.error('command', `safety-${refusal}`),
    logger,
    now,
  });
  const poller = new Poller({
    config,
    ctx,
    identities,
    work,
    getProfile: (id) => getProfile(id) ?? undefined,
    metrics,
    logger,
    now,
    random,
    sink: safety.tap(managedOnly(batch, unmanaged)),
    unmanaged,
  });
  for (const t of state.targets) poller.upsert(t);
  const pduReader = new PduReader((_pdu, reading) => metrics.pduMissing(reading));

  const persist = () => {
    try {
      // A saved work base must not be ahead of the sample that measured it.
      batch.sync();
      saveState(config.spool.dir, {
        identities: identities.all(),
        work: Object.fromEntries(work),
        targets: poller.known(),
        lastCommandSeq: commands.lastSeq,
        unmanaged: [...unmanaged],
      });
    } catch (err) {
      logger.error(`state: cannot save: ${(err as Error).message}`);
    }
  };

  const startedAt = now();
  const birth = () => birthBody(config, startedAt, poller.targets.values(), identities, unmanaged);

  const commands: CommandIntake = new CommandIntake({
    config,
    publicKeys,
    ctx,
    targetByKey: (k) => poller.byKey(k),
    knows: (k) => identities.get(k) !== undefined || poller.byKey(k) !== undefined,
    unmanaged,
    lastSeq: state.lastCommandSeq,
    persist,
    publish: (r) => publisher.send('results', r as never),
    metrics,
    logger,
    now,
  });

  const onSafety = (payload: Buffer) => void safety.receive(payload);
  const publisher = new Publisher({
    config,
    spool,
    envelopes,
    logger,
    metrics,
    now,
    birth,
    onCommand: (payload) => commands.receive(payload),
    onSafety,
  });

  // A batch a killed process left open: spooled now, and its samples' work bases taken in.
  for (const e of journalEntries(batch.recover().samples)) {
    const { minerKey, ...base } = e;
    if ((work.get(minerKey)?.at ?? Number.NEGATIVE_INFINITY) < base.at) work.set(minerKey, base);
  }

  const pdus = new PduCycle({
    pdus: config.pdus,
    read: (pdu, at) => pduReader.read(pdu, at),
    send: (body) => publisher.send('power', { kind: 'power', ...where, ...body }),
    metrics,
    logger,
    now,
  });

  // Cycles may overlap (fixed rate); what follows each runs one after another.
  let afterCycles: Promise<void> = Promise.resolve();
  const schedule = new MinerSchedule({
    cycle: async (spread): Promise<CycleStats> => {
      const [stats] = await Promise.all([poller.cycle({ spread }), pdus.run()]);
      const after = afterCycles.then(async () => {
        attachMetrics = true;
        batch.flush();
        await safety.afterCycle();
        persist();
      });
      afterCycles = after.catch(() => undefined);
      await after;
      return stats;
    },
    scan: async ({ pollFound }): Promise<ProbeResult[]> => {
      const onNew = pollFound ? (t: Target) => poller.pollFound(t) : undefined;
      const results = await scanInto(ctx, config, poller, metrics, onNew);
      persist();
      return results;
    },
    intervals: { pollMs: config.polling.intervalMs, scanMs: config.discovery.intervalMs },
    logger,
  });

  publisher.start();
  let metricsServer: Server | null = null;
  if (config.metrics.mode === 'on')
    metricsServer = await serveMetrics(metrics, config.metrics.host, config.metrics.port);

  if ((options.schedule ?? 'timers') === 'timers') schedule.start();
  logger.info(
    { agentId: config.agentId, bootId: envelopes.bootId, targets: poller.targets.size },
    'agent started',
  );

  return {
    bootId: envelopes.bootId,
    pollNow: () => schedule.pollNow(),
    scanNow: () => schedule.scanNow(),
    metrics: () => ({
      bootId: envelopes.bootId,
      connected: publisher.connected,
      targets: poller.targets.size,
      identities: identities.size,
      spool: {
        messages: spool.messages,
        bytes: spool.bytes,
        dropped: spool.dropped,
        recovered: spool.recovered,
      },
      totals: { ...metrics.totals },
      lastCommandSeq: commands.lastSeq,
      scanning: schedule.scanning,
    }),
    metricsText: () => metrics.registry.metrics(),
    drained: (timeoutMs) => publisher.drained(timeoutMs),
    stop: async () => {
      await schedule.stop();
      await poller.settled();
      batch.stop();
      await commands.idle();
      persist();
      await publisher.stop();
      if (metricsServer) await new Promise((r) => metricsServer!.close(r));
      logger.info({ agentId: config.agentId, spooled: spool.messages }, 'agent stopped');
    },
  };
}
