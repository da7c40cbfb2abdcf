/**
 * Expected pool revenue from the work done: a difficulty-1 share stands for 2^32 hashes and a
 * block for D x 2^32, so expected BTC = hashes / (D x 2^32) x (subsidy + fees)
 * = diff1 shares / D x (subsidy + fees) (docs/reference.md §10). A view beside the pool's
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

/** A finite non-negative double as the exact fraction it is: [numerator, power-of-two denominator]. */
export function exactFraction(x: number): [bigint, bigint] {
  if (!Number.isFinite(x) || x < 0) throw new Error(`${x}: not a finite non-negative number`);
  let den = 1n;
  // Doubling a double only changes its exponent, so this is exact; at most 1074 steps.
  while (!Number.isInteger(x)) {
    x *= 2;
    den *= 2n;
  }
  return [BigInt(x), den];
}

/**
 * Expected sats for an amount of accepted work: floor(diff1 x reward / D) computed exactly in
 * integers (both doubles are exact fractions), so 3.36e11 shares at D = 1.5e14 and 3.145 BTC is
 * 704,480 sats, not the 704,479.999... a float product floors to. A view only.
 */
export function expectedSats(diff1Shares: number, network: NetworkStats): bigint {
  const reward = blockSubsidySats(network.blockHeight) + network.feesPerBlockSats;
  const [wn, wd] = exactFraction(diff1Shares);
  const [dn, dd] = exactFraction(network.difficulty);
  if (dn === 0n) throw new Error('difficulty must be positive');
  return (wn * reward * dd) / (wd * dn);
}

/**
 * The float floor that inputs schema @1 used; kept only so that periods closed under it recompute
 * and verify to their stored bytes (close.ts picks it by the inputs schema).
 */
export function expectedSatsFloat(diff1Shares: number, network: NetworkStats): bigint {
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
