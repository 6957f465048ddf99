// timestepEmbedding (nn.functional) against guided-diffusion's timestep_embedding written out in
// float64: cosines then sines, a zero column for odd dims, f32 and i32 timesteps, other maxPeriods;
// the finite-difference gradient in t; errors naming the op, the shape and the dtype; live buffers
// back to baseline. The tolerance is the rounding of the f32 argument t * freq (half an ulp of 1000 is
// 3e-5) plus the engine's sin and cos (within 1e-7).
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp, expectClose } from '../helpers/check.js';
import { ref, type Ref } from '../helpers/reference.js';

const { timestepEmbedding } = gg.nn.functional;
const SIN_COS_ATOL = 5e-5;

/**
 * guided-diffusion's timestep_embedding: freqs in f32, args = t * freqs in f32 (as PyTorch computes
 * them, rounded with `round`), then cos and sin exactly; a zero column when dim is odd.
 */
function embeddingRef(t: Ref, dim: number, maxPeriod = 10000, round: (v: number) => number = Math.fround): Ref {
  const half = Math.floor(dim / 2);
  const freqs = Array.from({ length: half }, (_, i) => Math.fround(Math.exp((-Math.log(maxPeriod) * i) / half)));
  return ref([t.data.length, dim], (k) => {
    const [b, j] = [Math.floor(k / dim), k % dim];
    if (j >= 2 * half) return 0;
    const arg = round(t.data[b] * freqs[j % half]);
    return j < half ? Math.cos(arg) : Math.sin(arg);
  });
}

describe('timestepEmbedding', () => {
  const steps = [0, 1, 7.5, 250, 999, 42];
  it('matches the reference for even, odd and tiny dims and other maxPeriods', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const t = gg.tensor(Float32Array.from(steps), [steps.length]);
    for (const [dim, maxPeriod] of [[8, 10000], [7, 10000], [32, 10000], [6, 100], [2, 10000], [1, 10000]]) {
      const out = timestepEmbedding(t, dim, maxPeriod);
      expect(out.shape).toEqual([steps.length, dim]);
      expectClose(await out.data(), embeddingRef(ref([steps.length], steps), dim, maxPeriod).data, SIN_COS_ATOL, 0, `dim ${dim}, maxPeriod ${maxPeriod}`);
      out.dispose();
    }
    t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('puts the cosines first, then the sines, then a zero column for odd dims', async () => {
    const t = gg.zeros([2]);
    const out = timestepEmbedding(t, 5);
    expect([...(await out.data())]).toEqual([1, 1, 0, 0, 0, 1, 1, 0, 0, 0]);
    for (const v of [t, out]) v.dispose();
  });

  it('takes i32 timesteps as their f32 values', async () => {
    const integers = gg.tensor(Int32Array.from([0, 3, 500, 999]), [4]);
    const floats = gg.tensor(Float32Array.from([0, 3, 500, 999]), [4]);
    const [a, b] = [timestepEmbedding(integers, 10), timestepEmbedding(floats, 10)];
    expect([...(await a.data())]).toEqual([...(await b.data())]);
    for (const v of [integers, floats, a, b]) v.dispose();
  });

  it('is differentiable in an f32 t', async () => {
    for (const dim of [6, 5]) {
      await checkOp({
        inputs: [[4]],
        range: [0, 3],
        gpu: (t) => timestepEmbedding(t, dim),
        ref: (t) => embeddingRef(t, dim, 10000, (v) => v),
        atol: SIN_COS_ATOL,
        gradAtol: dim * SIN_COS_ATOL,
      });
    }
  });

  it('names the op, the shape and the dtype in its errors', () => {
    const before = gg.runtime().memory().liveBuffers;
    const matrix = gg.zeros([2, 3]);
    const unsigned = gg.zeros([3], { dtype: 'u32' });
    const t = gg.zeros([3]);
    expect(() => timestepEmbedding(matrix, 4)).toThrow(/^timestepEmbedding: expected a 1-D tensor of timesteps, got rank 2 \(inputs: \[2, 3\] f32\)$/);
    expect(() => timestepEmbedding(unsigned, 4)).toThrow(/^timestepEmbedding: expected dtype f32 or i32, got u32 \(inputs: \[3\] u32\)$/);
    expect(() => timestepEmbedding(t, 0)).toThrow(/^timestepEmbedding: dim must be a positive integer, got 0$/);
    expect(() => timestepEmbedding(t, 4, 0)).toThrow(/^timestepEmbedding: maxPeriod must be a finite number > 0, got 0$/);
    for (const v of [matrix, unsigned, t]) v.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});
