import type { Server } from 'node:http';
import { join } from 'node:path';
import {
  type AgentEvent,
  type CommandResult,
  LIMITS,
  type MinerSample,
  type PduSample,
} from '@hashfleet/contracts';
import { findModel } from '@hashfleet/firmware-profiles';
import { getProfile } from '@hashfleet/firmware-profiles/registry';
import type { Logger } from 'pino';
import { bearerTokens } from './auth/vnish.js';
import { execute } from './commands/execute.js';
import { applyPollAction, isPollAction, managedOnly } from './commands/poll-control.js';
import { loadCommandKeys, verifyCommand } from './commands/verify.js';
import type { AgentConfig } from './config.js';
import { type ProbeResult, scan } from './discovery.js';
import { IdentityTable } from './identity.js';
import { createLogger } from './logger.js';
import { AgentMetrics, serveMetrics } from './metrics.js';
import { PduReader } from './pdu/poller.js';
import { type CycleStats, Poller } from './poll/poller.js';
import { Batcher, splitToFit } from './publish/batcher.js';
import { Envelopes } from './publish/envelope.js';
import { Publisher } from './publish/publisher.js';
import { Spool } from './publish/spool.js';
import { SafetyGuard } from './safety/guard.js';
import { ruleSetSignatureCheck } from './safety/keys.js';
import { outletForSlot } from './safety/outlet.js';
import { appendWorkJournal, loadState, saveState } from './state.js';
import { addresses } from './targets.js';
import type { RequestContext } from './transport/request.js';
import { loadKnownHosts } from './transport/ssh.js';
import type { WorkBase } from './work.js';

export const AGENT_VERSION = '0.1.0';

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

export async function startAgent(config: AgentConfig, options: StartOptions = {}): Promise<RunningAgent> {
  const logger = options.logger ?? createLogger(config.log.level);
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const metrics = new AgentMetrics();
  const loaded = loadState(config.spool.dir);
  if (loaded.error) logger.error(loaded.error);
  const state = loaded.state;
  const identities = new IdentityTable(state.identities);
  const work = new Map<string, WorkBase>(Object.entries(state.work));
  let lastCommandSeq = state.lastCommandSeq;
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

  const sendTelemetry = (b: { samples: unknown[]; unreachable: unknown[] }) => {
    const agent = attachMetrics ? metrics.take(spool) : null;
    attachMetrics = false;
    const body = { kind: 'telemetry', ...where, samples: b.samples, unreachable: b.unreachable, agent };
    for (const part of splitToFit(body as never, (x) => JSON.stringify(x).length)) {
      publisher.send('telemetry', part);
      // Right after the batch is on disk: the bases its samples measured work to.
      const entries = (part as { samples: MinerSample[] }).samples.flatMap((s) =>
        s.difficultyAccepted === null && s.work.provenance !== 'estimated'
          ? []
          : [
              {
                minerKey: s.minerKey,
                at: s.at,
                difficultyAccepted: s.difficultyAccepted,
                uptimeS: s.uptimeS,
              },
            ],
      );
      try {
        appendWorkJournal(config.spool.dir, entries);
      } catch (err) {
        logger.error(`state: cannot append the work journal: ${(err as Error).message}`);
      }
    }
  };
  const sendEvents = (events: AgentEvent[]) => publisher.send('events', { kind: 'events', ...where, events });
  const batcher = new Batcher(
    { maxItems: config.batch.maxSamples, maxDelayMs: config.batch.maxDelayMs },
    sendTelemetry,
    sendEvents,
  );
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
    sink: safety.tap(managedOnly(batcher, unmanaged)),
    unmanaged,
  });
  for (const t of state.targets) poller.upsert(t);
  const pduReader = new PduReader((_pdu, reading) => metrics.pduMissing(reading));
  const pduDown = new Map<string, number>();

  const persist = () => {
    try {
      saveState(config.spool.dir, {
        identities: identities.all(),
        work: Object.fromEntries(work),
        targets: poller.known(),
        lastCommandSeq,
        unmanaged: [...unmanaged],
      });
    } catch (err) {
      logger.error(`state: cannot save: ${(err as Error).message}`);
    }
  };

  const slots = new Map(config.miners.slots.map((s) => [s.ip, { rack: s.rack, slot: s.slot }]));
  const birth = () => ({
    kind: 'birth',
    ...where,
    agentVersion: AGENT_VERSION,
    startedAt,
    pollIntervalMs: config.polling.intervalMs,
    // A miner taken out of polling (poll.stop) is left out: this agent no longer reports it.
    miners: [...poller.targets.values()]
      .filter((t) => t.minerKey === null || !unmanaged.has(t.minerKey))
      .slice(0, LIMITS.maxMinersPerBirth)
      .map((t) => {
        const id = t.minerKey ? identities.get(t.minerKey) : undefined;
        return {
          minerKey: t.minerKey ?? t.ip,
          ip: t.ip,
          port: t.port,
          profile: t.profile.id,
          model: t.model,
          firmwareVersion: t.firmwareVersion,
          slot: slots.get(t.ip) ?? null,
          identity: (id?.observations ?? []).slice(0, LIMITS.maxObservationsPerMiner),
        };
      }),
    pdus: config.pdus.slice(0, LIMITS.maxPdusPerMessage).map((p) => ({
      pduId: p.id,
      vendor: p.vendor,
      host: p.host,
      outlets: p.outlets.map((o) => ({ outlet: o.outlet, slot: { rack: o.rack, slot: o.slot } })),
    })),
  });
  const startedAt = now();

  // Commands run one at a time, in arrival order; the queue is bounded.
  let commandChain: Promise<void> = Promise.resolve();
  let commandsQueued = 0;
  const publishResult = (r: Omit<CommandResult, keyof ReturnType<Envelopes['next']>>) => {
    metrics.command(r.status);
    publisher.send('results', r as never);
  };
  const onCommand = (payload: Buffer) => {
    if (commandsQueued >= 100) {
      metrics.dropped('command-queue-full');
      logger.error('commands: queue full, command dropped');
      return;
    }
    commandsQueued++;
    commandChain = commandChain
      .then(() => handleCommand(payload))
      .catch((err: Error) => logger.error(`commands: ${err.message}`))
      .finally(() => {
        commandsQueued--;
      });
  };
  const handleCommand = async (payload: Buffer) => {
    const startedAtCmd = now();
    const verdict = verifyCommand(payload, {
      agentId: config.agentId,
      publicKeys,
      now: startedAtCmd,
      lastSeq: lastCommandSeq,
    });
    if (!verdict.ok) {
      logger.warn(
        { commandId: verdict.commandId, refusal: verdict.refusal },
        `command ${verdict.commandId}: refused: ${verdict.message}`,
      );
      publishResult({
        kind: 'result',
        commandId: verdict.commandId,
        commandSeq: verdict.commandSeq,
        status: 'refused',
        refusal: verdict.refusal,
        transport: null,
        startedAt: startedAtCmd,
        finishedAt: now(),
        message: verdict.message.slice(0, LIMITS.maxOutput),
      });
      return;
    }
    const command = verdict.command;
    // The seq is spent before anything runs: a crash mid-command must not let it run twice.
    lastCommandSeq = command.seq;
    persist();
    const timeoutMs =
      config.commands.timeoutMs +
      (command.action.op === 'outlet.cycle' ? command.action.offSeconds * 1000 : 0);
    const action = command.action;
    if (isPollAction(action)) {
      const outcome = applyPollAction(
        action,
        unmanaged,
        (k) => identities.get(k) !== undefined || poller.byKey(k) !== undefined,
      );
      persist();
      logger.info(
        { commandId: command.id, op: action.op, status: outcome.status },
        `command ${command.id}: ${outcome.message}`,
      );
      publishResult({
        kind: 'result',
        commandId: command.id,
        commandSeq: command.seq,
        ...outcome,
        startedAt: startedAtCmd,
        finishedAt: now(),
      });
      return;
    }
    const outcome = await Promise.race([
      execute(command.action, {
        ctx,
        targetByKey: (k) => poller.byKey(k),
        pdus: config.pdus,
        requestTimeoutMs: Math.min(
          config.commands.timeoutMs,
          Math.max(config.polling.requestTimeoutMs, 5_000),
        ),
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      }),
      new Promise<Awaited<ReturnType<typeof execute>>>((resolve) =>
        setTimeout(
          () =>
            resolve({
              status: 'timeout',
              refusal: null,
              transport: null,
              message: `no result within ${timeoutMs} ms`,
            }),
          timeoutMs,
        ).unref(),
      ),
    ]);
    logger.info(
      { commandId: command.id, op: command.action.op, status: outcome.status },
      `command ${command.id}: ${outcome.message}`,
    );
    publishResult({
      kind: 'result',
      commandId: command.id,
      commandSeq: command.seq,
      ...outcome,
      message: outcome.message.slice(0, LIMITS.maxOutput),
      startedAt: startedAtCmd,
      finishedAt: now(),
    });
  };

  const onSafety = (payload: Buffer) => void safety.receive(payload);
  const publisher = new Publisher({
    config,
    spool,
    envelopes,
    logger,
    metrics,
    now,
    birth,
    onCommand,
    onSafety,
  });

  const pollPdus = async (): Promise<void> => {
    if (config.pdus.length === 0) return;
    const pdus: PduSample[] = [];
    const unreachable: { pduId: string; at: number; error: string }[] = [];
    await Promise.all(
      config.pdus.map(async (pdu) => {
        try {
          pdus.push(await pduReader.read(pdu, now));
          if (pduDown.has(pdu.id)) {
            logger.info(`pdu ${pdu.id} ${pdu.host}: recovered`);
            pduDown.delete(pdu.id);
          }
        } catch (err) {
          const error = `pdu ${pdu.id} ${pdu.host}: ${(err as Error).message}`.slice(0, 200);
          metrics.error('pdu', (err as { kind?: string }).kind ?? 'other');
          if (!pduDown.has(pdu.id)) logger.warn(error);
          pduDown.set(pdu.id, now());
          unreachable.push({ pduId: pdu.id, at: now(), error });
        }
      }),
    );
    publisher.send('power', { kind: 'power', ...where, pdus, unreachable });
  };

  let cycleRunning: Promise<CycleStats> | null = null;
  const runCycle = (): Promise<CycleStats> => {
    if (cycleRunning) return cycleRunning;
    cycleRunning = (async () => {
      try {
        const [stats] = await Promise.all([poller.cycle(), pollPdus()]);
        attachMetrics = true;
        batcher.flush();
        await safety.afterCycle();
        persist();
        return stats;
      } finally {
        cycleRunning = null;
      }
    })();
    return cycleRunning;
  };

  let scanRunning: Promise<ProbeResult[]> | null = null;
  const runScan = (): Promise<ProbeResult[]> => {
    if (scanRunning) return scanRunning;
    scanRunning = (async () => {
      const results: ProbeResult[] = [];
      try {
        await scan(ctx, addresses(config.miners.ranges), config.discovery, (r) => {
          if (r.status === 'none') return;
          results.push(r);
          if (r.status === 'found') {
            const d = r.detection;
            poller.upsert({
              ip: r.ip,
              profile: d.profile,
              port: d.port,
              model: d.model,
              firmwareVersion: d.firmwareVersion,
            });
          } else metrics.error('discovery', 'unknown-firmware');
        });
        persist();
        return results;
      } finally {
        scanRunning = null;
      }
    })();
    return scanRunning;
  };

  publisher.start();
  let metricsServer: Server | null = null;
  if (config.metrics.mode === 'on')
    metricsServer = await serveMetrics(metrics, config.metrics.host, config.metrics.port);

  const timers: { poll?: NodeJS.Timeout; scan?: NodeJS.Timeout } = {};
  let stopped = false;
  if ((options.schedule ?? 'timers') === 'timers') {
    const loop = async () => {
      if (stopped) return;
      try {
        await runCycle();
      } catch (err) {
        logger.error(`poll cycle: ${(err as Error).message}`);
      }
      if (!stopped)
        timers.poll = setTimeout(
          loop,
          config.polling.intervalMs + Math.round(random() * config.polling.jitterMs),
        );
    };
    const scanLoop = async () => {
      if (stopped) return;
      try {
        await runScan();
      } catch (err) {
        logger.error(`discovery: ${(err as Error).message}`);
      }
      if (!stopped) timers.scan = setTimeout(scanLoop, config.discovery.intervalMs);
    };
    void scanLoop().then(() => loop());
  }
  logger.info(
    { agentId: config.agentId, bootId: envelopes.bootId, targets: poller.targets.size },
    'agent started',
  );

  return {
    bootId: envelopes.bootId,
    pollNow: runCycle,
    scanNow: runScan,
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
      lastCommandSeq,
    }),
    metricsText: () => metrics.registry.metrics(),
    drained: async (timeoutMs = 10_000) => {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        if (publisher.connected && spool.messages === 0) return true;
        publisher.drain();
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timers.poll);
      clearTimeout(timers.scan);
      await cycleRunning?.catch(() => undefined);
      await scanRunning?.catch(() => undefined);
      batcher.stop();
      await commandChain;
      persist();
      await publisher.stop();
      if (metricsServer) await new Promise((r) => metricsServer!.close(r));
      logger.info({ agentId: config.agentId, spooled: spool.messages }, 'agent stopped');
    },
  };
}
