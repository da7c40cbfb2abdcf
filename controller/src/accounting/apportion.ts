/**
 * Split `total` satoshis by integer weights: each part gets floor(total x w / W), then the
 * leftover satoshis go one each to the largest fractional remainders (Hamilton / largest
 * remainder, anchors.md §5.4 item 3). Ties go to the smaller key (string order), so the result
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
  const rems: { key: string; rem: bigint; approx: number }[] = [];
  const sumF = Number(sum);
  let given = 0n;
  for (const [key, w] of weights) {
    const num = total * w;
    const q = num / sum;
    const rem = num - q * sum;
    parts.set(key, q);
    given += q;
    rems.push({ key, rem, approx: Number(rem) / sumF });
  }
  let leftover = total - given;
  if (leftover === 0n) return parts;
  // leftover < number of parts, so at most one extra satoshi each. Remainders are compared as
  // floats first (fast) and exactly only when the floats are too close to tell apart.
  rems.sort((a, b) => {
    const d = b.approx - a.approx;
    if (d > 1e-9 || d < -1e-9) return d;
    if (a.rem !== b.rem) return a.rem > b.rem ? -1 : 1;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
  for (const r of rems) {
    if (leftover === 0n) break;
    parts.set(r.key, parts.get(r.key)! + 1n);
    leftover--;
  }
  return parts;
}

/** floor(amount x bps / 10000) for a non-negative amount. */
export function bpsOf(amount: bigint, bps: number): bigint {
  return (amount * BigInt(bps)) / 10_000n;
}
