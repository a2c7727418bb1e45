/**
 * Repeatable runs. TensorFlow.js draws every unseeded random number (dropout masks, unseeded initializers)
 * from a seed taken from `Math.random()`, so `trainCh6({seed})` swaps `Math.random` for a seeded generator for
 * the duration of the run and restores it afterwards. Anything else in the process that calls `Math.random`
 * meanwhile gets seeded numbers too (and would shift the sequence): repeatability assumes one run at a time.
 */

import { mulberry32 } from '../util/random';

/** A seeded stand-in for `Math.random` (the seed is mixed so seed 0 is not an all-zero state). */
export function seededRandom(seed: number): () => number {
  return mulberry32(Math.floor(seed) ^ 0x9e3779b9);
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
