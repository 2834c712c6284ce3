// Seeded pseudo-random numbers, so that a training run can be repeated exactly: the same seed
// gives the same initial weights and the same order of batches.

/** A fresh 32-bit seed from the browser's random source. */
export function randomSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** Mulberry32: a small, fast generator of numbers in [0, 1) from a 32-bit seed. */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
