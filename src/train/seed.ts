/**
 * Repeatable runs. TensorFlow.js draws every unseeded random number (dropout masks, unseeded initializers)
 * from a seed taken from `Math.random()`, so `trainCh6({seed})` swaps `Math.random` for a seeded generator for
 * the duration of the run and restores it afterwards. Anything else in the process that calls `Math.random`
 * meanwhile gets seeded numbers too (and would shift the sequence): repeatability assumes one run at a time.
 */

/** mulberry32: a small, fast 32-bit generator, plenty for seeding tfjs' own generators. */
export function seededRandom(seed: number): () => number {
  let state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `fn` with `Math.random` seeded by `seed` (unchanged when `seed` is undefined). */
export async function withSeededRandom<T>(seed: number | undefined, fn: () => Promise<T>): Promise<T> {
  if (seed === undefined) return fn();
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
  const original = Math.random;
  Math.random = seededRandom(seed);
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}
