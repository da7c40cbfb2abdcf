import { type CommandResult, LIMITS } from '@hashfleet/contracts';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import type { AgentMetrics } from '../metrics.js';
import type { Target } from '../poll/poller.js';
import type { RequestContext } from '../transport/request.js';
import { execute } from './execute.js';
import { applyPollAction, isPollAction } from './poll-control.js';
import { type CommandKeys, verifyCommand } from './verify.js';

/** A result as the intake reports it; the publisher adds the envelope. */
export type ResultBody = Omit<CommandResult, 'v' | 'agentId' | 'bootId' | 'seq' | 'sentAt' | 'historical'>;

export type CommandIntakeDeps = {
  config: Pick<AgentConfig, 'agentId' | 'commands' | 'polling' | 'pdus'>;
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
 * Command intake: signed commands run one at a time, in arrival order, from a bounded queue. Each
 * is verified (signature, agent, expiry, seq above the last spent), its seq spent and persisted
 * before anything runs (a crash mid-command must not let it run twice), then dispatched: poll.stop
 * and poll.resume act on the agent itself, everything else goes to the executor under the command
 * deadline. Every command gets one result, refusals included.
 */
export class CommandIntake {
  readonly #d: CommandIntakeDeps;
  #chain: Promise<void> = Promise.resolve();
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
      config.commands.timeoutMs + (action.op === 'outlet.cycle' ? action.offSeconds * 1000 : 0);
    const outcome = await Promise.race([
      execute(action, {
        ctx: this.#d.ctx,
        targetByKey: this.#d.targetByKey,
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
