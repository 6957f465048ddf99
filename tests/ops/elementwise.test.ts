// Elementwise ops against the float64 reference: values and finite-difference gradients, odd sizes
// and broadcasting included.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { map, zip } from '../helpers/reference.js';
import { collapseDims } from '../../src/ops/shape.js';

const shapes = [[1], [3], [17], [65, 3], [2, 129], [2, 3, 5]];

const gelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
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
    await checkOp({
      inputs: [[4, 1], [4, 3], [3]],
      gradInputs: [1, 2],
      gpu: (c, a, b) => gg.where(c.gt(0), a, b),
      ref: (c, a, b) => zip([c, a, b], (cv, av, bv) => (cv > 0 ? av : bv)),
    });
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
