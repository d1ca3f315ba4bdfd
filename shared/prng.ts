/**
 * A deterministic pseudo-random generator (mulberry32, public domain: Tommy Ettinger's 32-bit generator),
 * giving numbers in [0, 1): the same seed always gives the same sequence — for demo data, benchmarks and
 * replayable random test rounds. Not for anything secret.
 * @example const rnd = seededRandom(42); rnd(); // 0.6011037519201636
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
