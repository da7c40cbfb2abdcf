/**
 * Simulated time. `real` follows the wall clock (plus whatever tick() added); `manual` starts
 * at a fixed instant and moves only when tick() is called, so tests are deterministic.
 */
export type ClockMode = 'real' | 'manual';

export class SimClock {
  private offsetMs = 0;
  constructor(
    readonly mode: ClockMode,
    private readonly startMs = Date.UTC(2026, 0, 15, 6, 0, 0),
  ) {}

  now(): number {
    return (this.mode === 'real' ? Date.now() : this.startMs) + this.offsetMs;
  }

  advance(ms: number): void {
    this.offsetMs += Math.max(0, ms);
  }
}
