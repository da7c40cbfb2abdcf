import type { Logger } from 'pino';
import type { ProbeResult } from '../discovery.js';
import type { CycleStats } from '../poll/poller.js';

export type MinerScheduleDeps = {
  /**
   * One poll cycle of miners and PDUs, with what follows it (flush, safety, state save). `spread`:
   * each miner at its own offset into the cycle (timer cycles), else all at once (`pollNow`).
   */
  cycle: (spread: boolean) => Promise<CycleStats>;
  /** One scan of the configured ranges; `pollFound`: poll each new miner as soon as it is found. */
  scan: (opts: { pollFound: boolean }) => Promise<ProbeResult[]>;
  intervals: { pollMs: number; scanMs: number };
  logger: Logger;
};

/**
 * When the agent polls and scans. `pollNow` and `scanNow` run one now (a call while one runs joins
 * it). `start()` runs cycles at a fixed rate, one every `pollMs` from the start whether or not the
 * one before has ended (a miner still being polled is skipped by the next, see Poller.cycle), and
 * scans every `scanMs` after the previous scan ended. The first cycle starts at once with the
 * miners known from the saved state, and the first scan polls each miner as soon as it answers,
 * so nothing waits for a whole scan.
 */
export class MinerSchedule {
  readonly #d: MinerScheduleDeps;
  #cycleRunning: Promise<CycleStats> | null = null;
  #scanRunning: Promise<ProbeResult[]> | null = null;
  readonly #ticking = new Set<Promise<unknown>>();
  readonly #timers: { poll?: NodeJS.Timeout; scan?: NodeJS.Timeout } = {};
  #started = false;
  #stopped = false;

  constructor(deps: MinerScheduleDeps) {
    this.#d = deps;
  }

  get scanning(): boolean {
    return this.#scanRunning !== null;
  }

  pollNow(): Promise<CycleStats> {
    if (this.#cycleRunning) return this.#cycleRunning;
    this.#cycleRunning = this.#d.cycle(false).finally(() => {
      this.#cycleRunning = null;
    });
    return this.#cycleRunning;
  }

  scanNow(): Promise<ProbeResult[]> {
    if (this.#scanRunning) return this.#scanRunning;
    this.#scanRunning = this.#d.scan({ pollFound: this.#started }).finally(() => {
      this.#scanRunning = null;
    });
    return this.#scanRunning;
  }

  /** Polls and scans on the configured intervals until `stop()`. */
  start(): void {
    const { intervals, logger } = this.#d;
    this.#started = true;
    const first = performance.now();
    let n = 0;
    const tick = () => {
      if (this.#stopped) return;
      const cycle = this.#d.cycle(true).catch((err: Error) => logger.error(`poll cycle: ${err.message}`));
      this.#ticking.add(cycle);
      void cycle.finally(() => this.#ticking.delete(cycle));
      // Fixed rate: the next start is counted from the first, so a slow cycle neither delays nor drifts it.
      n++;
      this.#timers.poll = setTimeout(tick, Math.max(0, first + n * intervals.pollMs - performance.now()));
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
    void scanLoop();
    tick();
  }

  /** Stops the timers and waits for running cycles and the scan to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timers.poll);
    clearTimeout(this.#timers.scan);
    await Promise.all(this.#ticking);
    await this.#cycleRunning?.catch(() => undefined);
    await this.#scanRunning?.catch(() => undefined);
  }
}
