/**
 * Split `total` satoshis by integer weights: each part gets floor(total x w / W), then the
 * leftover satoshis go one each to the largest fractional remainders (Hamilton / largest
 * remainder, docs/reference.md §10). Ties go to the smaller key (string order), so the result
 * depends only on the inputs. Parts always sum to `total`, and none is negative.
 */
export function apportion(total: bigint, weights: ReadonlyMap<string, bigint>): Map<string, bigint> {
  if (total < 0n) throw new Error(`apportion: total ${total} is negative`);
  let sum = 0n;
  for (const [key, w] of weights) {
    if (w < 0n) throw new Error(`apportion: weight of ${key} is negative`);
    sum += w;
  }
  const parts = new Map<string, bigint>();
  if (sum === 0n) throw new Error('apportion: total weight is zero');
  const keys: string[] = [];
  const rems: bigint[] = [];
  // Number() is monotone, so float order never contradicts the exact order of the remainders
  // (which share one denominator); only equal floats need the exact bigint comparison.
  const remF = new Float64Array(weights.size);
  let given = 0n;
  for (const [key, w] of weights) {
    const num = total * w;
    const q = num / sum;
    const rem = num - q * sum;
    parts.set(key, q);
    given += q;
    remF[keys.length] = Number(rem);
    keys.push(key);
    rems.push(rem);
  }
  const leftover = Number(total - given);
  if (leftover === 0) return parts;
  // leftover < number of parts, so at most one extra satoshi each, to the `leftover` largest.
  const threshold = remF.slice().sort()[keys.length - leftover]!;
  let slots = leftover;
  const ties: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    if (remF[i]! > threshold) {
      parts.set(keys[i]!, parts.get(keys[i]!)! + 1n);
      slots--;
    } else if (remF[i] === threshold) ties.push(i);
  }
  ties.sort((a, b) =>
    rems[a]! !== rems[b]!
      ? rems[a]! > rems[b]!
        ? -1
        : 1
      : keys[a]! < keys[b]!
        ? -1
        : keys[a]! > keys[b]!
          ? 1
          : 0,
  );
  for (let j = 0; j < slots; j++) parts.set(keys[ties[j]!]!, parts.get(keys[ties[j]!]!)! + 1n);
  return parts;
}

/** floor(amount x bps / 10000) for a non-negative amount. */
export function bpsOf(amount: bigint, bps: number): bigint {
  return (amount * BigInt(bps)) / 10_000n;
}
