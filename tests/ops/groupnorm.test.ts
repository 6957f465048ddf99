// groupNorm (src/ops/groupnorm.ts) against float64: values and finite-difference gradients of x,
// weight and bias, through the fused backward kernels and the tensor-op rule (createGraph), over
// ranks 2 to 4, odd channel, group and spatial sizes, groups longer than a workgroup, with and
// without the affine terms; a large common offset (two-pass variance); second derivatives; NaN kept
// to its group; empty inputs; errors naming the op, the shapes and the dtype; live buffers back to
// baseline.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp, expectClose, expectNormalizationBackward } from '../helpers/check.js';
import { groupNormRef } from '../helpers/op-references.js';
import { ref } from '../helpers/reference.js';

const { groupNorm } = gg.nn.functional;

/** [input shape, numGroups]: C = 6 in 3 groups over 5x7 (N = 1 and 3), rank 3, rank 2 (no spatial), one group, a group per channel, groups of 1200 values. */
const cases: [number[], number][] = [
  [[1, 6, 5, 7], 3],
  [[3, 6, 5, 7], 3],
  [[2, 4, 9], 2],
  [[3, 4], 2],
  [[2, 5, 3], 1],
  [[2, 6, 3], 6],
  [[1, 2, 30, 40], 1],
];

describe('groupNorm', () => {
  for (const [weight, bias] of [[true, true], [true, false], [false, true], [false, false]]) {
    it(`values and gradients (weight ${weight}, bias ${bias})`, async () => {
      for (const [i, [shape, groups]] of cases.entries()) {
        const channels = shape[1];
        const inputs = [shape, ...(weight ? [[channels]] : []), ...(bias ? [[channels]] : [])];
        await checkOp({
          inputs,
          seed: i,
          gpu: (x, ...rest) => groupNorm(x, groups, weight ? rest[0] : null, bias ? rest[weight ? 1 : 0] : null),
          ref: (x, ...rest) => groupNormRef(x, groups, weight ? rest[0] : null, bias ? rest[weight ? 1 : 0] : null, 1e-5),
          gradAtol: 2e-4,
          gradRtol: 2e-3,
        });
      }
    });
  }

  it('eps is added to the variance', async () => {
    await checkOp({
      inputs: [[2, 4, 3]],
      range: [-0.01, 0.01],
      gpu: (x) => groupNorm(x, 2, null, null, 1e-3),
      ref: (x) => groupNormRef(x, 2, null, null, 1e-3),
      grad: false,
    });
  });

  it('stays exact for groups far from zero (two-pass variance)', async () => {
    const x = ref([2, 4, 8], (i) => Math.fround(1000 + Math.sin(i * 1.7)));
    const input = gg.tensor(Float32Array.from(x.data), x.shape);
    const y = groupNorm(input, 2);
    expectClose(await y.data(), groupNormRef(x, 2, null, null, 1e-5).data, 2e-3, 0, 'groupNorm at an offset of 1000');
    for (const t of [input, y]) t.dispose();
  });

  it('the tensor-op backward (createGraph) agrees with the fused one, and its second derivatives with a composite', async () => {
    const shape = [2, 6, 5];
    const n = 60;
    const x = gg.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.9)), shape, { requiresGrad: true });
    const w = gg.tensor(Float32Array.from({ length: 6 }, (_, i) => 0.5 + Math.cos(i)), [6], { requiresGrad: true });
    const b = gg.tensor(Float32Array.from({ length: 6 }, (_, i) => 0.1 * i), [6], { requiresGrad: true });
    const g = gg.tensor(Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.4)), shape);
    const composite = (v: gg.Tensor) => {
      const rows = v.reshape([2, 3, 10]);
      const centered = rows.sub(rows.mean(-1, true));
      const normalized = centered.mul(centered.square().mean(-1, true).add(1e-5).rsqrt()).reshape(shape);
      return normalized.mul(w.reshape([6, 1])).add(b.reshape([6, 1]));
    };
    await expectNormalizationBackward((v, weight, bias) => groupNorm(v, 3, weight, bias), composite, [x, w, b], g);
    for (const t of [x, w, b, g]) t.dispose();
  });

  it('a NaN makes its own group NaN and leaves the others alone', async () => {
    const x = gg.tensor([[[1, NaN], [2, 3], [1, 3], [5, 7]]]);
    const y = groupNorm(x, 2);
    const values = await y.data();
    expect([...values.slice(0, 4)].every(Number.isNaN)).toBe(true);
    expectClose(values.slice(4), groupNormRef(ref([1, 2, 2], [1, 3, 5, 7]), 1, null, null, 1e-5).data, 1e-5, 1e-4, 'the other group');
    for (const t of [x, y]) t.dispose();
  });

  it('takes empty inputs (no samples, no spatial positions), gradients included', async () => {
    const before = gg.runtime().memory().liveBuffers;
    for (const shape of [[0, 4, 3], [2, 4, 0]]) {
      const x = gg.zeros(shape, { requiresGrad: true });
      const w = gg.ones([4], { requiresGrad: true });
      const b = gg.zeros([4], { requiresGrad: true });
      const y = gg.scope(() => {
        const out = groupNorm(x, 2, w, b);
        out.sum().backward();
        return out;
      });
      expect(y.shape).toEqual(shape);
      expect([...(await w.grad!.data())]).toEqual([0, 0, 0, 0]);
      expect([...(await b.grad!.data())]).toEqual([0, 0, 0, 0]);
      for (const t of [x, w, b, y]) t.dispose();
    }
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('names the op, the shapes and the dtype in its errors', () => {
    const before = gg.runtime().memory().liveBuffers;
    const x = gg.zeros([2, 6, 5]);
    const flat = gg.zeros([6]);
    const indices = gg.zeros([2, 6, 5], { dtype: 'i32' });
    const weight = gg.ones([4]);
    expect(() => groupNorm(x, 4)).toThrow(/^groupNorm: the number of channels 6 must be divisible by numGroups 4 \(inputs: \[2, 6, 5\] f32\)$/);
    expect(() => groupNorm(flat, 3)).toThrow(/^groupNorm: expected an input of shape \[N, C, \.\.\.\], got rank 1 \(inputs: \[6\] f32\)$/);
    expect(() => groupNorm(indices, 3)).toThrow(/^groupNorm: expected dtype f32, got i32 \(inputs: \[2, 6, 5\] i32\)$/);
    expect(() => groupNorm(x, 3, weight)).toThrow(/^groupNorm: weight must have shape \[6\], got \[4\] \(inputs: \[2, 6, 5\] f32, \[4\] f32\)$/);
    expect(() => groupNorm(x, 0)).toThrow(/^groupNorm: numGroups must be a positive integer, got 0 \(inputs: \[2, 6, 5\] f32\)$/);
    expect(() => groupNorm(x, 3, null, null, -1)).toThrow(/^groupNorm: eps must be a finite number >= 0, got -1/);
    for (const t of [x, flat, indices, weight]) t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});
