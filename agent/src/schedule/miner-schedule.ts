import type { Logger } from 'pino';
import type { ProbeResult } from '../discovery.js';
import type { CycleStats } from '../poll/poller.js';

export type MinerScheduleDeps = {
  /** One poll cycle of miners and PDUs, with what follows it (flush, safety, state save). */
  cycle: () => Promise<CycleStats>;
  /** One scan of the configured ranges. */
  scan: () => Promise<ProbeResult[]>;
  intervals: { pollMs: number; jitterMs: number; scanMs: number };
  random: () => number;
  logger: Logger;
};

/**
 * When the agent polls and scans. A poll cycle or a scan asked for while one is running joins the
 * running one. With `start()` the scan runs every `scanMs`; the first poll cycle follows the first
 * scan and each next one starts `pollMs` plus jitter after the previous ended.
 */
export class MinerSchedule {
  readonly #d: MinerScheduleDeps;
  #cycleRunning: Promise<CycleStats> | null = null;
  #scanRunning: Promise<ProbeResult[]> | null = null;
  readonly #timers: { poll?: NodeJS.Timeout; scan?: NodeJS.Timeout } = {};
  #stopped = false;

  constructor(deps: MinerScheduleDeps) {
    this.#d = deps;
  }

  pollNow(): Promise<CycleStats> {
    if (this.#cycleRunning) return this.#cycleRunning;
    this.#cycleRunning = this.#d.cycle().finally(() => {
      this.#cycleRunning = null;
    });
    return this.#cycleRunning;
  }

  scanNow(): Promise<ProbeResult[]> {
    if (this.#scanRunning) return this.#scanRunning;
    this.#scanRunning = this.#d.scan().finally(() => {
      this.#scanRunning = null;
    });
    return this.#scanRunning;
  }

  /** Polls and scans on the configured intervals until `stop()`. */
  start(): void {
    const { intervals, random, logger } = this.#d;
    const loop = async () => {
      if (this.#stopped) return;
      try {
        await this.pollNow();
      } catch (err) {
        logger.error(`poll cycle: ${(err as Error).message}`);
      }
      if (!this.#stopped)
        this.#timers.poll = setTimeout(loop, intervals.pollMs + Math.round(random() * intervals.jitterMs));
    };
    const scanLoop = async () => {
      if (this.#stopped) return;
      try {
        await this.scanNow();
      } catch (err) {
        logger.error(`discovery: ${(err as Error).message}`);
      }
      if (!this.#stopped) this.#timers.scan = setTimeout(scanLoop, intervals.scanMs);
    };
    void scanLoop().then(() => loop());
  }

  /** Stops the timers and waits for a running cycle and scan to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timers.poll);
    clearTimeout(this.#timers.scan);
    await this.#cycleRunning?.catch(() => undefined);
    await this.#scanRunning?.catch(() => undefined);
  }
}
