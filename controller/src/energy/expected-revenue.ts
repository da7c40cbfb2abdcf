/**
 * Expected pool revenue from the work done: a difficulty-1 share stands for 2^32 hashes and a
 * block for D x 2^32, so expected BTC = hashes / (D x 2^32) x (subsidy + fees)
 * = diff1 shares / D x (subsidy + fees) (anchors.md §5.1, §5.2). A view beside the pool's
 * actual credit, to flag a pool shortfall; payouts follow the credit, never this.
 */
export const HALVING_INTERVAL = 210_000;

/** Block subsidy in sats at a height, as Bitcoin Core's GetBlockSubsidy computes it. */
export function blockSubsidySats(height: number): bigint {
  const halvings = Math.floor(height / HALVING_INTERVAL);
  if (halvings >= 64) return 0n;
  return (50n * 100_000_000n) >> BigInt(halvings);
}

export interface NetworkStats {
  difficulty: number;
  blockHeight: number;
  /** Average transaction fees per block over the period, sats. */
  feesPerBlockSats: bigint;
  source: string;
  observedAtMs: number;
}

/** Expected sats for an amount of accepted work; floor of an exact float product, a view only. */
export function expectedSats(diff1Shares: number, network: NetworkStats): bigint {
  const reward = Number(blockSubsidySats(network.blockHeight) + network.feesPerBlockSats);
  return BigInt(Math.floor((diff1Shares / network.difficulty) * reward));
}

/** Hashrate in TH/s from difficulty-1 shares accepted over `seconds`. */
export function hashrateThs(diff1Shares: number, seconds: number): number {
  return seconds > 0 ? (diff1Shares * 2 ** 32) / seconds / 1e12 : 0;
}

export interface Reconciliation {
  expectedSats: bigint;
  creditedSats: bigint;
  /** expected - credited; positive means the pool paid less than the work was worth. */
  shortfallSats: bigint;
  /** shortfall / expected in basis points (0 when nothing was expected). */
  shortfallBps: number;
  flagged: boolean;
}

export function reconcile(expected: bigint, credited: bigint, toleranceBps: number): Reconciliation {
  const shortfall = expected - credited;
  const bps = expected > 0n ? Number((shortfall * 10_000n) / expected) : 0;
  return {
    expectedSats: expected,
    creditedSats: credited,
    shortfallSats: shortfall,
    shortfallBps: bps,
    flagged: bps > toleranceBps,
  };
}
