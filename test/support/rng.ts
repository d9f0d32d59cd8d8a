/**
 * The one seeded PRNG of the tests and benchmarks (never Math.random): the same seed gives the
 * same generated rulesets, packets and damage on every run, so a failure can be replayed.
 */

/** mulberry32: small, fast, 32-bit state. Floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The choices generators make, over mulberry32. */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  /** Picks by weight: [[weight, value], ...]. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    let r = this.next() * items.reduce((s, [w]) => s + w, 0);
    for (const [w, v] of items) if ((r -= w) < 0) return v;
    return items[items.length - 1][1];
  }
  u32(): number {
    return Math.floor(this.next() * 0x100000000) >>> 0;
  }
}
