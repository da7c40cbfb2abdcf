import { type Command, type CommandResult, LIMITS } from '@hashfleet/contracts';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import type { AgentMetrics } from '../metrics.js';
import type { Target } from '../poll/poller.js';
import type { RequestContext } from '../transport/request.js';
import { type Outcome, type Started, start } from './execute.js';
import { applyPollAction, isPollAction } from './poll-control.js';
import { transferMs } from './upgrade.js';
import { type CommandKeys, verifyCommand } from './verify.js';

/** A result as the intake reports it; the publisher adds the envelope. */
export type ResultBody = Omit<CommandResult, 'v' | 'agentId' | 'bootId' | 'seq' | 'sentAt' | 'historical'>;

export type CommandIntakeDeps = {
  config: Pick<AgentConfig, 'agentId' | 'commands' | 'polling' | 'pdus'> & {
    /** Its token also fetches firmware images from the controller (role agent). */
    mqtt?: Pick<AgentConfig['mqtt'], 'token'>;
  };
  publicKeys: CommandKeys;
  ctx: RequestContext;
  /** The target polling a miner now, by its key. */
  targetByKey: (minerKey: string) => Target | undefined;
  /** Whether this agent knows a miner at all (poll.stop/resume refuse unknown ones). */
  knows: (minerKey: string) => boolean;
  /** minerKeys poll.stop took out of polling; poll.stop/resume edit it in place. */
  unmanaged: Set<string>;
  /** The highest command seq spent so far (from the saved state). */
  lastSeq: number | null;
  /** Saves the agent state (called with the new lastSeq already visible). */
  persist: () => void;
  publish: (result: ResultBody) => void;
  metrics: Pick<AgentMetrics, 'dropped' | 'command'>;
  logger: Logger;
  now: () => number;
  /** Commands waiting or running at most; one more is dropped and counted. */
  maxQueued?: number;
};

/**
 * How often the miner is read inside a commanded window (issue 16 item 4): instead of the poll
 * back-off (30 s and up), a restarted cgminer answering after 3 s is seen within 2 s of it.
 */
const VERIFY_INTERVAL_MS = 2_000;

/**
 * Command intake: signed commands run one at a time, in arrival order, from a bounded queue. Each
 * is verified (signature, agent, expiry, seq above the last spent), its seq spent and persisted
 * before anything runs (a crash mid-command must not let it run twice), then dispatched: poll.stop
 * and poll.resume act on the agent itself, everything else goes to the executor under the command
 * deadline. Every command gets one result, refusals included; a miner command whose effect a
 * reading can show gets a second once verified or failed (the first says acknowledged and when
 * its commanded window ends).
 */
export class CommandIntake {
  readonly #d: CommandIntakeDeps;
  #chain: Promise<void> = Promise.resolve();
  /** Miners whose API was found read-only for this agent: warned about once each. */
  readonly #readOnly = new Set<string>();
  #queued = 0;
  #lastSeq: number | null;

  constructor(deps: CommandIntakeDeps) {
    this.#d = deps;
    this.#lastSeq = deps.lastSeq;
  }

  get lastSeq(): number | null {
    return this.#lastSeq;
  }

  /** Queues one command payload as it came off the broker. */
  receive(payload: Buffer): void {
    const { metrics, logger } = this.#d;
    if (this.#queued >= (this.#d.maxQueued ?? 100)) {
      metrics.dropped('command-queue-full');
      logger.error('commands: queue full, command dropped');
      return;
    }
    this.#queued++;
    this.#chain = this.#chain
      .then(() => this.#handle(payload))
      .catch((err: Error) => logger.error(`commands: ${err.message}`))
      .finally(() => {
        this.#queued--;
      });
  }

  /** Resolves when every queued command has its result. */
  idle(): Promise<void> {
    return this.#chain;
  }

  #result(r: ResultBody): void {
    this.#d.metrics.command(r.status);
    this.#d.publish(r);
  }

  async #handle(payload: Buffer): Promise<void> {
    const { config, logger, now } = this.#d;
    const startedAt = now();
    const verdict = verifyCommand(payload, {
      agentId: config.agentId,
      publicKeys: this.#d.publicKeys,
      now: startedAt,
      lastSeq: this.#lastSeq,
    });
    if (!verdict.ok) {
      logger.warn(
        { commandId: verdict.commandId, refusal: verdict.refusal },
        `command ${verdict.commandId}: refused: ${verdict.message}`,
      );
      this.#result({
        kind: 'result',
        commandId: verdict.commandId,
        commandSeq: verdict.commandSeq,
        status: 'refused',
        refusal: verdict.refusal,
        transport: null,
        startedAt,
        finishedAt: now(),
        message: verdict.message.slice(0, LIMITS.maxOutput),
      });
      return;
    }
    const command = verdict.command;
    // The seq is spent before anything runs: a crash mid-command must not let it run twice.
    this.#lastSeq = command.seq;
    this.#d.persist();
    const action = command.action;
    if (isPollAction(action)) {
      const outcome = applyPollAction(action, this.#d.unmanaged, this.#d.knows);
      this.#d.persist();
      logger.info(
        { commandId: command.id, op: action.op, status: outcome.status },
        `command ${command.id}: ${outcome.message}`,
      );
      this.#result({
        kind: 'result',
        commandId: command.id,
        commandSeq: command.seq,
        ...outcome,
        startedAt,
        finishedAt: now(),
      });
      return;
    }
    const timeoutMs =
      config.commands.timeoutMs +
      (action.op === 'outlet.cycle' ? action.offSeconds * 1000 : 0) +
      // Fetching an image and sending it to the miner: twice its transfer allowance.
      (action.op === 'firmware.upgrade' ? 2 * transferMs(action.image.sizeBytes) : 0);
    const started = await Promise.race([
      start(action, {
        ctx: this.#d.ctx,
        targetByKey: this.#d.targetByKey,
        pdus: config.pdus,
        requestTimeoutMs: Math.min(
          config.commands.timeoutMs,
          Math.max(config.polling.requestTimeoutMs, 5_000),
        ),
        sleep: (ms) => new Promise((r) => setTimeout(r, ms).unref()),
        verify: { now, intervalMs: VERIFY_INTERVAL_MS },
        controllerToken: () => config.mqtt?.token?.reveal(),
      }),
      new Promise<Started>((resolve) =>
        setTimeout(
          () =>
            resolve({
              outcome: {
                status: 'timeout',
                refusal: null,
                transport: null,
                message: `no result within ${timeoutMs} ms`,
              },
            }),
          timeoutMs,
        ).unref(),
      ),
    ]);
    this.#report(command, started.outcome, startedAt);
    if (started.verify) {
      // Verified off the queue: a reboot's window must not hold up the commands behind it.
      void started
        .verify()
        .then((outcome) => this.#report(command, outcome, startedAt))
        .catch((err: Error) => logger.error(`command ${command.id}: verification: ${err.message}`));
    }
  }

  /**
   * A miner whose API refuses writes to this agent (cgminer and its kin: `STATUS=E`, Code 45
   * "Access denied to '<command>' command", API-README) can be read but never controlled: said
   * once per miner, with the setting that fixes it, instead of a failed command at a time.
   */
  #warnReadOnly(minerKey: string, outcome: Outcome): void {
    if (outcome.status !== 'failed' || this.#readOnly.has(minerKey)) return;
    const words = outcome.effect?.reply ?? outcome.message;
    if (!/\bCode 45\b|Access denied/.test(words)) return;
    this.#readOnly.add(minerKey);
    const ip = this.#d.targetByKey(minerKey)?.ip ?? minerKey;
    this.#d.logger.warn(
      { minerKey, ip },
      `miner ${ip}: its API is read-only for this agent (${words.slice(0, 200)}); control needs write ` +
        `access for the agent's address (cgminer: --api-allow W:<agent address>); said once per miner`,
    );
  }

  /** Publishes one result of a miner or outlet command, and logs it. */
  #report(command: Command, outcome: Outcome, startedAt: number): void {
    const { logger, now } = this.#d;
    const action = command.action;
    if (action.target.kind === 'miner') this.#warnReadOnly(action.target.minerKey, outcome);
    logger.info(
      { commandId: command.id, op: action.op, status: outcome.status },
      `command ${command.id}: ${outcome.message}`,
    );
    this.#result({
      kind: 'result',
      commandId: command.id,
      commandSeq: command.seq,
      ...outcome,
      message: outcome.message.slice(0, LIMITS.maxOutput),
      startedAt,
      finishedAt: now(),
    });
  }
}
