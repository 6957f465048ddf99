// A plain-TypeScript Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC 2011) and the value maps that src/ops/random.ts applies on the GPU, for bit-exact tests. The
// 32x32 -> 64-bit product is formed from float64 partial products here, a different route from the
// shader's 16-bit halves, so the two implementations check each other.

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;
const TWO_16 = 65536;
const TWO_32 = 4294967296;

/** [high, low] 32-bit words of the 64-bit product a * b (a, b unsigned 32-bit). */
function mulhilo(a: number, b: number): [number, number] {
  const low = Math.imul(a, b) >>> 0;
  const byLowHalf = a * (b % TWO_16); // < 2^48: exact in float64
  const byHighHalf = a * Math.floor(b / TWO_16); // < 2^48
  const high = Math.floor(byHighHalf / TWO_16) + Math.floor(((byHighHalf % TWO_16) * TWO_16 + byLowHalf) / TWO_32);
  return [high >>> 0, low];
}

/** Philox-4x32 with 10 rounds: four random 32-bit words for a 128-bit counter and a 64-bit key. */
export function philox4x32(counter: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    const [hi0, lo0] = mulhilo(PHILOX_M0, c0);
    const [hi1, lo1] = mulhilo(PHILOX_M1, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

/** The two 32-bit key words of a 64-bit seed (negative seeds wrap modulo 2^64). */
export function seedKey(seed: number | bigint): [number, number] {
  const s = BigInt.asUintN(64, BigInt(seed));
  return [Number(s & 0xffffffffn), Number(s >> 32n)];
}

/**
 * The raw words of draw number `offset` from a generator seeded with `seed`: element i comes from
 * block i / 4 (counter [i / 4, 0, offset low, offset high]), word i % 4.
 */
export function philoxWords(seed: number | bigint, offset: number, count: number): Uint32Array {
  const key = seedKey(seed);
  const words = new Uint32Array(count);
  for (let block = 0; block * 4 < count; block++) {
    const out = philox4x32([block, 0, offset % TWO_32, Math.floor(offset / TWO_32)], key);
    for (let lane = 0; lane < 4 && block * 4 + lane < count; lane++) words[block * 4 + lane] = out[lane];
  }
  return words;
}

/** A word's top 24 bits as a float in [0, 1): exact in f32. */
export function unitFloat(word: number): number {
  return (word >>> 8) / 16777216;
}

/** Standard normals by Box-Muller on word pairs: radius from (top 24 bits + 1) / 2^24, angle in [-pi, pi). */
export function normalsFromWords(words: Uint32Array): Float64Array {
  if (words.length % 2) throw new Error('normalsFromWords: pass whole pairs of words (whole blocks of 4) and slice the result');
  const out = new Float64Array(words.length);
  for (let i = 0; i < words.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(((words[i] >>> 8) + 1) / 16777216));
    const angle = 2 * Math.PI * (unitFloat(words[i + 1]) - 0.5);
    out[i] = radius * Math.cos(angle);
    out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}
