/** Seeded PRNG (mulberry32): cheap, 32-bit state, good enough for simulated noise. */
export type Rng = { next(): number; normal(): number; int(maxExclusive: number): number; state: number };

export function createRng(seed: number): Rng {
  const rng: Rng = {
    state: seed >>> 0,
    next() {
      rng.state = (rng.state + 0x6d2b79f5) >>> 0;
      let t = rng.state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    normal() {
      // Box-Muller; one value per call keeps the state sequence simple.
      const u = Math.max(rng.next(), 1e-12);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
    },
    int(maxExclusive) {
      return Math.floor(rng.next() * maxExclusive);
    },
  };
  return rng;
}

/** Derives a per-item seed from a scenario seed and a string, so adding a miner does not shift others. */
export function seedFor(seed: number, key: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
