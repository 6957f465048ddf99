// softmax and logSoftmax against the float64 reference: values and finite-difference gradients along
// the last, first, middle and negative axes (rows, columns, vec4 columns), the tensor-op backward used
// under createGraph (second derivatives), stability at +-1000 and -inf, and the named errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { logSoftmaxLine, mapLines, softmaxLine } from '../helpers/op-references.js';
import { ref } from '../helpers/reference.js';

// [shape, axis]: rows (last axis), columns with inner sizes that are not (17, 3) and are (8, 4)
// multiples of 4, negative and middle axes, ranks 1 to 4.
const cases: [number[], number | undefined][] = [
  [[17], undefined],
  [[1], 0],
  [[3, 65], -1],
  [[129, 2], 1],
  [[65, 3], 0],
  [[5, 8], 0],
  [[3, 17, 4], 1],
  [[2, 5, 3], -2],
  [[2, 3, 4, 5], 2],
  [[3, 2, 1, 4], 0],
];

const ops = [
  ['softmax', (x: gg.Tensor, axis?: number) => x.softmax(axis), softmaxLine],
  ['logSoftmax', (x: gg.Tensor, axis?: number) => x.logSoftmax(axis), logSoftmaxLine],
] as const;

describe('softmax and logSoftmax', () => {
  for (const [name, gpu, line] of ops) {
    it(`${name}: values and gradients along any axis`, async () => {
      for (const [i, [shape, axis]] of cases.entries()) {
        await checkOp({ inputs: [shape], seed: i + 1, gpu: (x) => gpu(x, axis), ref: (x) => mapLines(x, axis ?? -1, line) });
      }
    });

    it(`${name}: long lines (forward)`, async () => {
      for (const [shape, axis] of [[[2, 3000], 1], [[1500, 4], 0]] as const) {
        await checkOp({ inputs: [shape], grad: false, gpu: (x) => gpu(x, axis), ref: (x) => mapLines(x, axis, line), atol: 1e-6, rtol: 1e-4 });
      }
    });

    it(`${name}: values near +-1000 give no NaN or Inf`, async () => {
      for (const range of [[990, 1010], [-1010, -990], [-1000, 1000]] as [number, number][]) {
        for (const [shape, axis] of [[[3, 17], -1], [[17, 4], 0]] as const) {
          await checkOp({ inputs: [shape], range, gpu: (x) => gpu(x, axis), ref: (x) => mapLines(x, axis, line), atol: 1e-5, rtol: 2e-4 });
        }
      }
    });
  }

  it('masks -inf entries to probability 0', async () => {
    const x = gg.tensor([[0, -Infinity, 0, -Infinity], [5, 5, -Infinity, 5]]);
    const [p, lp] = gg.scope(() => [x.softmax(), x.logSoftmax()]);
    expect(await p.toArray()).toEqual([[0.5, 0, 0.5, 0], [1, 1, 0, 1].map((v) => Math.fround(v / 3))]);
    const logs = (await lp.toArray()) as number[][];
    expect(logs[0][1]).toBe(-Infinity);
    expect(logs[0][0]).toBeCloseTo(-Math.LN2, 6);
    for (const t of [x, p, lp]) t.dispose();
  });

  it('the default axis is the last', async () => {
    await checkOp({ inputs: [[3, 5]], gpu: (x) => x.softmax(), ref: (x) => mapLines(x, 1, softmaxLine) });
    await checkOp({ inputs: [[3, 5]], gpu: (x) => gg.logSoftmax(x), ref: (x) => mapLines(x, 1, logSoftmaxLine) });
  });
});

describe('backward rules written with tensor ops (createGraph)', () => {
  // With createGraph the backward pass is recorded, so the rules run as tensor ops rather than the
  // fused kernels; their values are the first-order gradient, and checkOp differentiates them again.
  const weights = (shape: number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i + 1));

  it('softmax: d/dx sum(w * softmax(x)) = y * (w - sum(w * y)), and its own gradient', async () => {
    for (const [shape, axis] of [[[3, 5], -1], [[4, 3, 2], 1]] as [number[], number][]) {
      const w = weights(shape);
      await checkOp({
        inputs: [shape],
        gpu: (x) => gg.grad(x.softmax(axis).mul(gg.tensor(w, shape)).sum(), [x], undefined, { createGraph: true })[0],
        ref: (x) => {
          const y = mapLines(x, axis, softmaxLine);
          const yw = ref(shape, (i) => y.data[i] * w[i]);
          const dot = mapLines(yw, axis, (v) => v.map(() => v.reduce((a, b) => a + b, 0)));
          return ref(shape, (i) => y.data[i] * (w[i] - dot.data[i]));
        },
      });
    }
  });

  it('logSoftmax: d/dx sum(w * logSoftmax(x)) = w - softmax(x) * sum(w), and its own gradient', async () => {
    for (const [shape, axis] of [[[3, 5], -1], [[4, 3, 2], 0]] as [number[], number][]) {
      const w = weights(shape);
      await checkOp({
        inputs: [shape],
        gpu: (x) => gg.grad(x.logSoftmax(axis).mul(gg.tensor(w, shape)).sum(), [x], undefined, { createGraph: true })[0],
        ref: (x) => {
          const y = mapLines(x, axis, softmaxLine);
          const sumW = mapLines(ref(shape, (i) => w[i]), axis, (v) => v.map(() => v.reduce((a, b) => a + b, 0)));
          return ref(shape, (i) => w[i] - y.data[i] * sumW.data[i]);
        },
      });
    }
  });
});

describe('bad input gets a named error', () => {
  it('axis out of range and integer tensors', () => {
    gg.scope(() => {
      expect(() => gg.ones([2, 3]).softmax(-3)).toThrow('softmax: axis -3 is out of range for shape [2, 3] (rank 2)');
      expect(() => gg.ones([2, 3]).logSoftmax(2)).toThrow('logSoftmax: axis 2 is out of range for shape [2, 3] (rank 2)');
      expect(() => gg.ones([4], { dtype: 'i32' }).softmax()).toThrow('softmax: expected dtype f32, got i32 (inputs: [4] i32)');
      expect(() => gg.ones([4], { dtype: 'u32' }).logSoftmax()).toThrow('logSoftmax: expected dtype f32, got u32 (inputs: [4] u32)');
    });
  });

  it('use after dispose', () => {
    const x = gg.ones([2, 2]);
    x.dispose();
    expect(() => x.softmax()).toThrow(/softmax: tensor #\d+ \[2, 2\] f32 was used after dispose\(\)/);
  });
});

describe("the 'workgroup' rung (one workgroup per row, the GPU's default for rows of 64 or more)", () => {
  // Row lengths around the workgroup sizes it picks (32 to 256 invocations, ~8 elements each), odd ones
  // included, and more rows than one dimension of workgroups holds is covered by grid1d's folding.
  const rowCases: number[][] = [[1, 1], [3, 7], [5, 64], [2, 255], [4, 257], [3, 1000], [2, 3001], [1, 2, 129]];
  for (const [name, gpu, line] of ops) {
    it(`${name}: values and gradients against float64, fused and composed backward`, async () => {
      for (const [i, shape] of rowCases.entries()) {
        await checkOp({
          inputs: [shape], seed: 40 + i, grad: shape[shape.length - 1] <= 257,
          gpu: (x) => (name === 'softmax' ? x.softmax(-1, { variant: 'workgroup' }) : x.logSoftmax(-1, { variant: 'workgroup' })),
          ref: (x) => mapLines(x, -1, line), atol: 1e-6, rtol: 1e-4,
        });
      }
      await checkOp({ inputs: [[3, 300]], range: [990, 1010], grad: false, gpu: (x) => gpu(x, -1), ref: (x) => mapLines(x, -1, line), atol: 1e-5, rtol: 2e-4 });
    });
  }

  it('gives the line rung\'s values to float32 rounding, and says where it cannot run', async () => {
    const x = gg.randn([6, 777], { generator: new gg.Generator(3) });
    const [a, b] = gg.scope(() => [x.softmax(-1, { variant: 'line' }), x.softmax(-1, { variant: 'workgroup' })]);
    const [va, vb] = [await a.data(), await b.data()];
    for (let i = 0; i < va.length; i++) expect(Math.abs(va[i] - vb[i])).toBeLessThan(1e-6 + 1e-5 * va[i]);
    expect(() => x.softmax(0, { variant: 'workgroup' })).toThrow(/softmax: variant 'workgroup' runs along the last axis only, got axis 0/);
    expect(() => x.logSoftmax(-1, { variant: 'tiles' as 'line' })).toThrow(/logSoftmax: unknown variant 'tiles'; expected 'line' or 'workgroup'/);
    expect(gg.chooseRowVariant(1000)).toBe('line'); // SwiftShader: one invocation per row wins
    for (const t of [x, a, b]) t.dispose();
  });
});
