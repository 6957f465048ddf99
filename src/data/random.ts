// A small seeded pseudo-random generator in plain JS for the data pipeline (shuffling, batch
// sampling, toy distributions). It runs on the CPU because these numbers choose which host rows to
// upload; the GPU's Philox generator (src/ops/random.ts) is for tensors. The algorithm is
// xoshiro128** (Blackman & Vigna), its 128-bit state filled from the seed by splitmix32, so a
// (seed, stream) pair gives the same sequence in every run, in Node and in the browser.

const TWO_32 = 4294967296;

/** One splitmix32 step: a well-mixed 32-bit value from a counter (used only for seeding). */
function splitmix32(state: { value: number }): number {
  state.value = (state.value + 0x9e3779b9) | 0;
  let z = state.value;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A seeded pseudo-random generator in plain JS (xoshiro128**, seeded by splitmix32) for the data pipeline: shuffling,
 * batch sampling and the toy distributions. It runs on the CPU because its numbers choose which host rows to upload;
 * tensors use the GPU's Philox {@link Generator}. A (seed, stream) pair gives the same sequence everywhere.
 */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  /**
   * `seed` is any safe integer; `stream` picks an independent sequence for the same seed (the
   * data loader uses the epoch number, so every epoch gets its own permutation).
   */
  constructor(seed: number, stream = 0) {
    for (const [name, value] of [['seed', seed], ['stream', stream]] as const) {
      if (!Number.isSafeInteger(value)) throw new Error(`SeededRandom: ${name} must be a safe integer, got ${value}`);
    }
    const mixer = { value: 0 };
    // Both 32-bit halves of seed and stream go into the mix, so nearby seeds give unrelated streams.
    for (const word of [seed >>> 0, Math.floor(seed / TWO_32) >>> 0, stream >>> 0, Math.floor(stream / TWO_32) >>> 0]) {
      mixer.value = (mixer.value ^ word) | 0;
      splitmix32(mixer);
    }
    this.s0 = splitmix32(mixer);
    this.s1 = splitmix32(mixer);
    this.s2 = splitmix32(mixer);
    this.s3 = splitmix32(mixer);
  }

  /** The next uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1) with 53 random bits. */
  random(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** An integer in [0, n), exactly uniform (rejection sampling), for 1 <= n <= 2^32. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_32) throw new Error(`SeededRandom.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = TWO_32 - (TWO_32 % n); // largest multiple of n that fits in 32 bits
    let value = this.nextUint32();
    while (value >= limit) value = this.nextUint32();
    return value % n;
  }

  /** A standard normal sample (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - this.random())); // 1 - u is in (0, 1]: log is finite
    const angle = 2 * Math.PI * this.random();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A SeededRandom as given, or a fresh one from a seed number. */
export function toRandom(randomOrSeed: SeededRandom | number): SeededRandom {
  return typeof randomOrSeed === 'number' ? new SeededRandom(randomOrSeed) : randomOrSeed;
}
