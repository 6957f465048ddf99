// Helpers of the fusion tests (tests/ops/fusion, epilogue and fused-reductions): a tensor's values as
// bits (so NaN payloads, -0 and infinities compare exactly), and a computation run with fusion on or
// off, its intermediates freed, with the dispatches it took.
import * as gg from '../../src/index.js';

/** The bit patterns of a tensor's values. */
export async function bitsOf(t: gg.Tensor): Promise<number[]> {
  const values = await t.data();
  return Array.from(new Uint32Array(values.buffer.slice(0)));
}

/** `build`'s result (its intermediates freed) as bits, with fusion on or off, and the dispatches it took to record. */
export async function runWith(fusion: boolean, build: () => gg.Tensor): Promise<{ bits: number[]; dispatches: number }> {
  gg.setFusion(fusion);
  const before = gg.runtime().counters.dispatches;
  const out = gg.scope(build);
  const dispatches = gg.runtime().counters.dispatches - before;
  const bits = await bitsOf(out);
  out.dispose();
  return { bits, dispatches };
}

/** f32 values of `shape` spread evenly over [-spread / 2, spread / 2), about `specials` of them NaN, infinite or -0. */
export function randomTensor(next: () => number, shape: number[], spread: number, specials = 0): gg.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const pick = [Number.NaN, Infinity, -Infinity, -0];
  return gg.tensor(Float32Array.from({ length: n }, () => (next() < specials ? pick[Math.floor(next() * pick.length)] : (next() - 0.5) * spread)), shape);
}
