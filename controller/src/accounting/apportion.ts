/**
 * Split `total` satoshis by integer weights: each part gets floor(total x w / W), then the
 * leftover satoshis go one each to the largest fractional remainders (Hamilton / largest
 * remainder, docs/reference.md §10). Ties go to the smaller key (string order), so the result
 * depends only on the inputs. Parts always sum to `total`, and none is negative.
 */
export function apportion(total: bigint, weights: ReadonlyMap<string, bigint>): Map<string, bigint> {
  // Default sort is UTF-16 code-unit order, the order the ties are broken in.
  const keys = [...weights.keys()].sort();
  const parts = apportionSorted(
    total,
    keys.map((k) => weights.get(k)!),
    (i) => keys[i]!,
  );
  return new Map(keys.map((k, i) => [k, parts[i]!]));
}

/**
 * The same split over weights given in key order (the close's payouts, sorted by holder, issue 15
 * item 3): a tie goes to the smaller index. `keyAt` names a part in an error.
 */
export function apportionSorted(
  total: bigint,
  weights: readonly bigint[],
  keyAt: (i: number) => string,
): bigint[] {
  if (total < 0n) throw new Error(`apportion: total ${total} is negative`);
  const n = weights.length;
  let sum = 0n;
  for (let i = 0; i < n; i++) {
    if (weights[i]! < 0n) throw new Error(`apportion: weight of ${keyAt(i)} is negative`);
    sum += weights[i]!;
  }
  if (sum === 0n) throw new Error('apportion: total weight is zero');
  const parts = new Array<bigint>(n);
  // Number() is monotone, so float order never contradicts the exact order of the remainders
  // (which share one denominator); only equal floats need the exact bigint comparison.
  const remF = new Float64Array(n);
  let given = 0n;
  for (let i = 0; i < n; i++) {
    const num = total * weights[i]!;
    const q = num / sum;
    const rem = num - q * sum;
    parts[i] = q;
    given += q;
    remF[i] = Number(rem);
  }
  const leftover = Number(total - given);
  if (leftover === 0) return parts;
  // leftover < number of parts, so at most one extra satoshi each, to the `leftover` largest.
  const threshold = remF.slice().sort()[n - leftover]!;
  let slots = leftover;
  const ties: number[] = [];
  for (let i = 0; i < n; i++) {
    if (remF[i]! > threshold) {
      parts[i] = parts[i]! + 1n;
      slots--;
    } else if (remF[i] === threshold) ties.push(i);
  }
  // Exact remainders of the ties alone (a million kept for the few ties cost memory, issue 15).
  const rem = new Map(ties.map((i) => [i, (total * weights[i]!) % sum]));
  ties.sort((a, b) => (rem.get(a)! !== rem.get(b)! ? (rem.get(a)! > rem.get(b)! ? -1 : 1) : a - b));
  for (let j = 0; j < slots; j++) parts[ties[j]!] = parts[ties[j]!]! + 1n;
  return parts;
}

/** floor(amount x bps / 10000) for a non-negative amount. */
export function bpsOf(amount: bigint, bps: number): bigint {
  return (amount * BigInt(bps)) / 10_000n;
}
