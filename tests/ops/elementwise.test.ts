// Elementwise ops against the float64 reference: values and finite-difference gradients, odd sizes
// and broadcasting included.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp, expectClose } from '../helpers/check.js';
import { erf, map, normalCdf, ref, zip } from '../helpers/reference.js';
import { collapseDims } from '../../src/ops/shape.js';

const shapes = [[1], [3], [17], [65, 3], [2, 129], [2, 3, 5]];

const gelu = (v: number) => v * normalCdf(v);
const geluDerivative = (v: number) => normalCdf(v) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI);
const geluTanh = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
const unary: [string, (x: gg.Tensor) => gg.Tensor, (v: number) => number, [number, number]?][] = [
  ['neg', (x) => x.neg(), (v) => -v],
  ['exp', (x) => x.exp(), Math.exp],
  ['log', (x) => x.log(), Math.log, [0.2, 3]],
  ['sqrt', (x) => x.sqrt(), Math.sqrt, [0.2, 3]],
  ['rsqrt', (x) => x.rsqrt(), (v) => 1 / Math.sqrt(v), [0.2, 3]],
  ['abs', (x) => x.abs(), Math.abs],
  ['tanh', (x) => x.tanh(), Math.tanh, [-3, 3]],
  ['sigmoid', (x) => x.sigmoid(), (v) => 1 / (1 + Math.exp(-v)), [-5, 5]],
  ['relu', (x) => x.relu(), (v) => Math.max(v, 0)],
  ['leakyRelu', (x) => x.leakyRelu(0.2), (v) => (v > 0 ? v : 0.2 * v)],
  ['gelu', (x) => x.gelu(), gelu, [-3, 3]],
  ['gelu tanh', (x) => x.gelu('tanh'), geluTanh, [-3, 3]],
  ['erf', (x) => x.erf(), erf, [-3, 3]],
  ['softplus', (x) => x.softplus(), (v) => Math.log1p(Math.exp(v)), [-5, 5]],
  ['sin', (x) => x.sin(), Math.sin, [-3, 3]],
  ['cos', (x) => x.cos(), Math.cos, [-3, 3]],
  ['square', (x) => x.square(), (v) => v * v],
  ['reciprocal', (x) => x.reciprocal(), (v) => 1 / v, [0.5, 2]],
  ['add 2.5', (x) => x.add(2.5), (v) => v + 2.5],
  ['mul -3', (x) => x.mul(-3), (v) => -3 * v],
  ['pow 3', (x) => x.pow(3), (v) => v ** 3],
  ['pow 0.5', (x) => x.pow(0.5), Math.sqrt, [0.2, 2]],
  ['clamp', (x) => x.clamp(-0.5, 0.5), (v) => Math.min(Math.max(v, -0.5), 0.5)],
];

describe('unary ops', () => {
  for (const [name, gpu, f, range] of unary) {
    it(name, async () => {
      for (const shape of shapes) {
        await checkOp({ inputs: [shape], range, gpu, ref: (x) => map(x, f), rtol: 2e-4, atol: 2e-5 });
      }
    });
  }
});

/** Values from -limit to limit in steps of `step`, the tiny magnitudes 1e-30..1e-2 of both signs, and the
 * two sides of the erf polynomials' seams (0.875 and 6 for erf's argument), rounded to f32. */
function sweep(limit: number, step: number, seams: number[]): number[] {
  const values = [0];
  for (let v = -limit; v <= limit; v += step) values.push(v);
  for (let e = -30; e <= -2; e++) values.push(10 ** e, -(10 ** e));
  for (const seam of seams) for (const d of [-1e-6, 0, 1e-6]) values.push(seam + d, -seam - d);
  return values.map(Math.fround);
}

describe('erf and exact GELU accuracy', () => {
  // f32 cannot do better than ~6e-8 absolute near |erf| = 1, nor ~1e-6 relative in the far tails,
  // where erfc's exponent is large and one rounding of it moves the result that much.
  it('erf within 1.5e-7 absolute and 1e-6 relative near zero over [-8, 8]', async () => {
    const xs = sweep(8, 0.0137, [0.875, 6]);
    await checkOp({ inputs: [ref([xs.length], xs)], gpu: (x) => x.erf(), ref: (x) => map(x, erf), grad: false, atol: 1.5e-7, rtol: 1e-6 });
  });
  it('GELU keeps ~1e-5 relative accuracy in its negative tail (down to x = -12) and its derivative too', async () => {
    const xs = sweep(12, 0.0171, [0.875 * Math.SQRT2, 6 * Math.SQRT2]);
    await checkOp({ inputs: [ref([xs.length], xs)], gpu: (x) => x.gelu(), ref: (x) => map(x, gelu), grad: false, atol: 1e-37, rtol: 2e-5 });
    const x = gg.tensor(Float32Array.from(xs), [xs.length], { requiresGrad: true });
    gg.scope(() => x.gelu().sum().backward());
    expectClose(await x.grad!.data(), xs.map(geluDerivative), 3e-7, 2e-5, 'GELU derivative');
    x.dispose();
  });
  it('second derivatives of erf and both GELUs through createGraph', async () => {
    const derivatives: [string, (x: gg.Tensor) => gg.Tensor, (v: number) => number][] = [
      ['erf', (x) => x.erf(), (v) => (2 / Math.sqrt(Math.PI)) * Math.exp(-v * v)],
      ['gelu', (x) => x.gelu(), geluDerivative],
      ['gelu tanh', (x) => x.gelu('tanh'), (v) => (geluTanh(v + 1e-6) - geluTanh(v - 1e-6)) / 2e-6],
    ];
    for (const [, f, derivative] of derivatives) {
      await checkOp({
        inputs: [[37]],
        range: [-3, 3],
        gpu: (x) => gg.grad(f(x).sum(), [x], undefined, { createGraph: true })[0],
        ref: (x) => map(x, derivative),
        atol: 1e-5,
        eps: 1e-4,
        gradAtol: 1e-3,
      });
    }
  });
});

const binary: [string, (a: gg.Tensor, b: gg.Tensor) => gg.Tensor, (a: number, b: number) => number, [number, number]?][] = [
  ['add', gg.add, (a, b) => a + b],
  ['sub', gg.sub, (a, b) => a - b],
  ['mul', gg.mul, (a, b) => a * b],
  ['div', gg.div, (a, b) => a / b, [0.5, 2]],
  ['pow', gg.pow, (a, b) => a ** b, [0.5, 2]],
  ['maximum', gg.maximum, Math.max],
  ['minimum', gg.minimum, Math.min],
];
const pairs = [
  [[17], [17]],
  [[65, 3], [3]],
  [[2, 129], [2, 1]],
  [[3, 1, 5], [1, 4, 1]],
  [[1], [2, 3, 5]],
  [[], [4, 3]],
  // Last extents divisible by 4 take the 4-outputs-per-invocation broadcast path.
  [[3, 8], [8]],
  [[4, 1, 8], [1, 5, 1]],
  [[2, 3, 4], [3, 4]],
  [[6, 4], [6, 1]],
  // Alternating broadcast dimensions do not merge: ranks 7 and 8 reach the kernels.
  [[2, 1, 3, 1, 2, 1, 3], [1, 2, 1, 2, 1, 3, 1]],
  [[2, 1, 2, 1, 2, 1, 2, 1], [1, 3, 1, 2, 1, 2, 1, 4]],
];

describe('binary ops with broadcasting', () => {
  for (const [name, gpu, f, range] of binary) {
    it(name, async () => {
      for (const [a, b] of pairs) {
        await checkOp({ inputs: [a, b], range, gpu, ref: (x, y) => zip([x, y], f), rtol: 2e-4, atol: 2e-5 });
      }
    });
  }
  it('comparisons give f32 masks', async () => {
    const cmp: [(a: gg.Tensor, b: gg.Tensor) => gg.Tensor, (a: number, b: number) => boolean][] = [
      [gg.eq, (a, b) => a === b], [gg.ne, (a, b) => a !== b], [gg.lt, (a, b) => a < b],
      [gg.le, (a, b) => a <= b], [gg.gt, (a, b) => a > b], [gg.ge, (a, b) => a >= b],
    ];
    for (const [gpu, f] of cmp) {
      await checkOp({ inputs: [[5, 3], [3]], grad: false, gpu, ref: (x, y) => zip([x, y], (a, b) => (f(a, b) ? 1 : 0)) });
    }
  });
  it('where', async () => {
    for (const inputs of [[[4, 1], [4, 3], [3]], [[], [2, 5], [2, 5]], [[2, 1, 2, 1, 2, 1], [1, 3, 1, 2, 1, 1], [1, 1, 1, 1, 1, 3]]]) {
      await checkOp({
        inputs,
        gradInputs: [1, 2],
        gpu: (c, a, b) => gg.where(c.gt(0), a, b),
        ref: (c, a, b) => zip([c, a, b], (cv, av, bv) => (cv > 0 ? av : bv)),
      });
    }
  });
});

describe('broadcast index simplification', () => {
  it('merges dimensions every operand walks contiguously and drops size-1 ones', () => {
    expect(collapseDims([8, 16, 32], [[512, 32, 1], [0, 0, 1]])).toEqual({ shape: [128, 32], strides: [[32, 1], [0, 1]] });
    expect(collapseDims([4, 1, 5], [[5, 0, 1], [0, 0, 0]])).toEqual({ shape: [20], strides: [[1], [0]] });
    expect(collapseDims([4, 5], [[5, 1], [1, 0]])).toEqual({ shape: [4, 5], strides: [[5, 1], [1, 0]] });
    expect(collapseDims([1, 1], [[0, 0]])).toEqual({ shape: [1], strides: [[0]] });
    expect(collapseDims([2, 3], [[3, 1], [1, 2]])).toEqual({ shape: [2, 3], strides: [[3, 1], [1, 2]] });
  });
});
