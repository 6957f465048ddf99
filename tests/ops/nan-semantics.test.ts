// NaN, infinity and signed-zero semantics of the elementwise ops and reductions, checked against
// PyTorch's rules written out in float64 JS, and the accuracy of the functions written out in the kernels:
// tanh near zero, softplus's tail with its beta and threshold, pow's gradients at base 0 and below,
// and integer division by zero. Every op runs on both kernel layouts (vec4 and scalar lanes, or the
// same-shape and broadcasting paths), since each lays the same expression out differently.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp, expectClose } from '../helpers/check.js';
import { erf, map } from '../helpers/reference.js';

const f32 = Math.fround;
const specials = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 0.5, -0.5, 2, -2, 3, -3, 1e-8, -1e-8, 30, -30, 100, -100, 1e30, -1e30].map(f32);

/** Runs `op` on `xs` laid out as a multiple of 4 (the vec4 path) and as 4k + 1 (the scalar path). */
async function runUnary(op: (x: gg.Tensor) => gg.Tensor, xs: number[]): Promise<Float32Array[]> {
  const layouts = [xs.length % 4 === 0 ? xs : [...xs, ...Array(4 - (xs.length % 4)).fill(0)]];
  layouts.push([...layouts[0], 0]);
  const results: Float32Array[] = [];
  for (const values of layouts) {
    const x = gg.tensor(Float32Array.from(values), [values.length]);
    const y = gg.scope(() => op(x));
    results.push((await y.data()).slice(0, xs.length) as Float32Array);
    x.dispose();
    y.dispose();
  }
  return results;
}

async function expectUnary(name: string, op: (x: gg.Tensor) => gg.Tensor, f: (v: number) => number, xs = specials, atol = 1e-30, rtol = 2e-6) {
  // The float64 result rounded to f32 (1e30 squared is inf in f32).
  const expected = xs.map((v) => f32(f(v)));
  for (const actual of await runUnary(op, xs)) expectClose(actual, expected, atol, rtol, `${name} at [${xs.join(', ')}]`);
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const relu = (v: number) => (Number.isNaN(v) ? NaN : v > 0 ? v : 0);
const softplus = (v: number, beta = 1, threshold = 20) => (v * beta > threshold ? v : Math.log1p(Math.exp(v * beta)) / beta);
/** NaN-propagating max and min, as torch.maximum / torch.clamp. */
const nanMax = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));
const nanMin = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));
/** C's pow (what PyTorch's pow follows); JS's ** differs only at pow(1, NaN) and pow(-1, +-inf). */
const cPow = (x: number, y: number) => (x === 1 || y === 0 ? 1 : x === -1 && !Number.isFinite(y) && !Number.isNaN(y) ? 1 : x ** y);

describe('unary ops at NaN, +-inf, +-0 and extreme values follow PyTorch', () => {
  // Only the special values of sin and cos are checked here: WGSL's accuracy bound holds within
  // [-pi, pi] only, and is 2^-11 absolute there (SwiftShader's cos(3) is 2e-4 off, its sin(30) too).
  const bounded = specials.filter((v) => !(Math.abs(v) > 3 && Number.isFinite(v)));
  const cases: [string, (x: gg.Tensor) => gg.Tensor, (v: number) => number, number?, number[]?][] = [
    ['exp', (x) => x.exp(), Math.exp],
    ['log', (x) => x.log(), Math.log],
    ['sqrt', (x) => x.sqrt(), Math.sqrt],
    ['rsqrt', (x) => x.rsqrt(), (v) => 1 / Math.sqrt(v)],
    ['abs', (x) => x.abs(), Math.abs],
    ['neg', (x) => x.neg(), (v) => -v],
    // NumPy's rule: NaN in, NaN out (PyTorch's CPU kernel returns 0 there, its open issue #41245).
    ['sign', (x) => x.sign(), Math.sign],
    ['sin', (x) => x.sin(), Math.sin, 1e-6, bounded],
    ['cos', (x) => x.cos(), Math.cos, 1e-6, bounded],
    ['square', (x) => x.square(), (v) => v * v],
    ['reciprocal', (x) => x.reciprocal(), (v) => 1 / v],
    ['tanh', (x) => x.tanh(), Math.tanh],
    ['sigmoid', (x) => x.sigmoid(), sigmoid],
    ['relu', (x) => x.relu(), relu],
    ['leakyRelu', (x) => x.leakyRelu(0.1), (v) => (v > 0 ? v : v * f32(0.1))],
    ['softplus', (x) => x.softplus(), (v) => softplus(v)],
    ['erf', (x) => x.erf(), erf, 0],
    ['clamp', (x) => x.clamp(-1, 2), (v) => nanMin(nanMax(v, -1), 2)],
    ['clamp low only', (x) => x.clamp(0.5), (v) => nanMax(v, 0.5)],
    ['maximum with a number', (x) => x.maximum(0), (v) => nanMax(v, 0)],
    ['minimum with a number', (x) => x.minimum(0), (v) => nanMin(v, 0)],
    ['pow 2', (x) => x.pow(2), (v) => cPow(v, 2)],
    ['pow 3', (x) => x.pow(3), (v) => cPow(v, 3)],
    ['pow -1', (x) => x.pow(-1), (v) => cPow(v, -1)],
    ['pow -2', (x) => x.pow(-2), (v) => cPow(v, -2)],
    // PyTorch computes these two as sqrt(x) and 1 / sqrt(x): pow(-inf, 0.5) = NaN, pow(-0, -0.5) = -inf.
    ['pow 0.5', (x) => x.pow(0.5), Math.sqrt],
    ['pow -0.5', (x) => x.pow(-0.5), (v) => 1 / Math.sqrt(v)],
    ['pow 1.5', (x) => x.pow(1.5), (v) => cPow(v, 1.5)],
    ['pow -3', (x) => x.pow(-3), (v) => cPow(v, -3)],
    ['pow 0', (x) => x.pow(0), (v) => cPow(v, 0)],
    ['pow inf', (x) => x.pow(Infinity), (v) => cPow(v, Infinity)],
    ['pow -inf', (x) => x.pow(-Infinity), (v) => cPow(v, -Infinity)],
    ['pow NaN', (x) => x.pow(NaN), (v) => cPow(v, NaN)],
    ['add -inf', (x) => x.add(-Infinity), (v) => v - Infinity],
    ['mul 0', (x) => x.mul(0), (v) => v * 0],
  ];
  for (const [name, gpu, f, rtol, xs] of cases) {
    it(name, async () => {
      // erf's value is checked elsewhere to 1.5e-7 absolute; here only its special values and signs.
      if (rtol === 0) await expectUnary(name, gpu, f, specials, 2e-7, 0);
      else await expectUnary(name, gpu, f, xs ?? specials, xs ? 2 ** -11 : 1e-30, rtol ?? 2e-6);
    });
  }
  it('NaN and infinities through gelu (both forms)', async () => {
    await expectUnary('gelu', (x) => x.gelu(), (v) => (Number.isNaN(v) ? NaN : v === Infinity ? v : NaN), [NaN, Infinity].map(f32));
    await expectUnary('gelu tanh', (x) => x.gelu('tanh'), (v) => (Number.isNaN(v) ? NaN : v), [NaN, Infinity].map(f32));
  });
  it('log of subnormals, zeros and negatives; exp far below underflow', async () => {
    const tiny = [1e-38, 1e-40, 1e-45, 2.5e-44, -1e-40, 0, -0, -1, Number.MIN_VALUE].map(f32);
    await expectUnary('log', (x) => x.log(), Math.log, tiny, 0, 2e-6);
    await expectUnary('exp', (x) => x.exp(), (v) => f32(Math.exp(v)) || 0, [-87, -103, -104, -200, -1e30, 88, 89, 1e30].map(f32), 1.2e-38, 2e-6);
  });
  it('scalar comparisons follow IEEE: false with NaN, ne true', async () => {
    const ops: [string, (x: gg.Tensor, c: number) => gg.Tensor, (a: number, b: number) => boolean][] = [
      ['eq', gg.eq, (a, b) => a === b], ['ne', gg.ne, (a, b) => a !== b], ['lt', gg.lt, (a, b) => a < b],
      ['le', gg.le, (a, b) => a <= b], ['gt', gg.gt, (a, b) => a > b], ['ge', gg.ge, (a, b) => a >= b],
    ];
    for (const [name, op, f] of ops) {
      for (const c of [NaN, 0, 1, Infinity, -Infinity]) {
        await expectUnary(`${name} ${c}`, (x) => op(x, c), (v) => (f(v, c) ? 1 : 0));
      }
    }
  });
});

/** Every pair of `values`, as [n, n] same-shape tensors and as [n, 1] against [n] (broadcasting). */
async function expectBinary(name: string, op: (a: gg.Tensor, b: gg.Tensor) => gg.Tensor, f: (a: number, b: number) => number, values = specials, rtol = 2e-6) {
  const n = values.length;
  const as = Array.from({ length: n * n }, (_, i) => values[Math.floor(i / n)]);
  const bs = Array.from({ length: n * n }, (_, i) => values[i % n]);
  const expected = as.map((a, i) => f32(f(a, bs[i])));
  const layouts: [number[], number[], number[], number[]][] = [
    [as, [n, n], bs, [n, n]], // n * n is odd: scalar lanes
    [[...as, 0, 0, 0], [n * n + 3], [...bs, 0, 0, 0], [n * n + 3]], // a multiple of 4: vec4 lanes
    [values, [n, 1], values, [n]], // broadcasting
  ];
  for (const [a, aShape, b, bShape] of layouts) {
    const at = gg.tensor(Float32Array.from(a), aShape);
    const bt = gg.tensor(Float32Array.from(b), bShape);
    const y = gg.scope(() => op(at, bt));
    const actual = (await y.data()).slice(0, n * n);
    for (const t of [at, bt, y]) t.dispose();
    expectClose(actual, expected, 1e-30, rtol, `${name} [${aShape}] with [${bShape}]`);
  }
}

describe('binary ops at NaN, +-inf, +-0 follow PyTorch', () => {
  it('maximum and minimum propagate NaN', async () => {
    await expectBinary('maximum', gg.maximum, nanMax);
    await expectBinary('minimum', gg.minimum, nanMin);
  });
  it('comparisons follow IEEE: false with NaN, ne true', async () => {
    await expectBinary('eq', gg.eq, (a, b) => (a === b ? 1 : 0));
    await expectBinary('ne', gg.ne, (a, b) => (a !== b ? 1 : 0));
    await expectBinary('lt', gg.lt, (a, b) => (a < b ? 1 : 0));
    await expectBinary('le', gg.le, (a, b) => (a <= b ? 1 : 0));
    await expectBinary('gt', gg.gt, (a, b) => (a > b ? 1 : 0));
    await expectBinary('ge', gg.ge, (a, b) => (a >= b ? 1 : 0));
  });
  it('pow follows C pow at 0, +-inf, NaN and negative bases', async () => {
    await expectBinary('pow', gg.pow, cPow, [...specials, 0.25, -0.25, 1.5, -1.5, 4, -4].map(f32), 4e-6);
  });
  it('add, sub, mul and div are IEEE (inf - inf and 0 * inf are NaN, x / 0 is +-inf)', async () => {
    await expectBinary('add', gg.add, (a, b) => a + b);
    await expectBinary('sub', gg.sub, (a, b) => a - b);
    await expectBinary('mul', gg.mul, (a, b) => a * b);
    await expectBinary('div', gg.div, (a, b) => a / b);
  });
  it('integer comparisons, maximum and minimum are unchanged (scalar and vec4 lanes)', async () => {
    for (const ints of [[-2147483648, -5, -1, 0, 1, 7, 2147483647], [-2147483648, -1, 0, 2147483647]]) await integerCases(ints);
    // u32 values whose bits are a NaN's when read as f32 (0x7fc00000, 0xffffffff) stay plain numbers.
    const u = gg.tensor(Uint32Array.from([0x7fc00000, 0xffffffff, 3, 0]), [4], { dtype: 'u32' });
    const v = gg.tensor(Uint32Array.from([1, 2, 0x7fc00000, 0]), [4], { dtype: 'u32' });
    const [high, low, different] = gg.scope(() => [gg.maximum(u, v), gg.minimum(u, v), gg.ne(u, v)]);
    expect([...(await high.data())]).toEqual([0x7fc00000, 0xffffffff, 0x7fc00000, 0]);
    expect([...(await low.data())]).toEqual([1, 2, 3, 0]);
    expect([...(await different.data())]).toEqual([1, 1, 1, 0]);
    for (const t of [u, v, high, low, different]) t.dispose();
  });
  async function integerCases(ints: number[]) {
    const a = gg.tensor(Int32Array.from(ints.flatMap((x) => ints.map(() => x))), [ints.length, ints.length]);
    const b = gg.tensor(Int32Array.from(ints.flatMap(() => ints)), [ints.length, ints.length]);
    const expected = (f: (x: number, y: number) => number) => ints.flatMap((x) => ints.map((y) => f(x, y)));
    const results = gg.scope(() => [gg.maximum(a, b), gg.minimum(a, b), gg.ne(a, b), gg.eq(a, b), gg.lt(a, b)]);
    expect([...(await results[0].data())]).toEqual(expected(Math.max));
    expect([...(await results[1].data())]).toEqual(expected(Math.min));
    expect([...(await results[2].data())]).toEqual(expected((x, y) => (x !== y ? 1 : 0)));
    expect([...(await results[3].data())]).toEqual(expected((x, y) => (x === y ? 1 : 0)));
    expect([...(await results[4].data())]).toEqual(expected((x, y) => (x < y ? 1 : 0)));
    for (const t of [a, b, ...results]) t.dispose();
  }
});

/** Reduces `values` (shape `shape`) with `op` and returns the data. */
async function reduceValues(values: ArrayLike<number>, shape: number[], op: (x: gg.Tensor) => gg.Tensor): Promise<number[]> {
  const x = gg.tensor(Float32Array.from(values), shape);
  const y = gg.scope(() => op(x));
  const out = [...(await y.data())];
  x.dispose();
  y.dispose();
  return out;
}

/** Lines of length k (the reduced axis) with a NaN, +inf or -inf planted at chosen positions. */
function plantedLines(lines: number, k: number, plant: (line: number) => [number, number][]): number[][] {
  return Array.from({ length: lines }, (_, l) => {
    const line = Array.from({ length: k }, (_, j) => f32(Math.sin(l * 7.1 + j * 1.3) * 10));
    for (const [at, v] of plant(l)) line[at] = v;
    return line;
  });
}

// Layouts of the reduction kernels: short rows, rows four wide, long rows in chunks, columns
// (scalar and vec4), and long columns in chunks.
const lineLayouts: [string, number, number][] = [
  ['short rows', 5, 7],
  ['rows of a multiple of 4', 5, 12],
  ['long rows in chunks', 3, 5000],
  ['columns', 7, 9],
  ['long columns in chunks', 2, 5003],
];

/** Runs `op(x, axis)` over lines laid out as rows ([lines, k], axis 1) or columns ([k, lines], axis 0). */
async function reduceLines(name: string, lines: number[][], op: (x: gg.Tensor, axis: number) => gg.Tensor): Promise<number[]> {
  const k = lines[0].length;
  if (!name.includes('columns')) return reduceValues(lines.flat(), [lines.length, k], (x) => op(x, 1));
  // Columns: [k, lines] for scalar lanes, [k, lines, 4] (each line repeated 4 times) for vec4 lanes.
  const columns = Array.from({ length: k }, (_, j) => lines.map((line) => line[j]));
  const scalar = await reduceValues(columns.flat(), [k, lines.length], (x) => op(x, 0));
  const wide = await reduceValues(columns.flatMap((row) => row.flatMap((v) => [v, v, v, v])), [k, lines.length, 4], (x) => op(x, 0));
  expect(wide.filter((_, i) => i % 4 === 0).map(String), `${name}: vec4 columns agree with scalar columns`).toEqual(scalar.map(String));
  return scalar;
}

describe('reductions with NaN and infinities follow PyTorch', () => {
  // Line l: no NaN (l = 0), NaN first, NaN last, NaN in the middle, two NaNs, +inf, -inf with NaN, ...
  const plant = (k: number) => (l: number): [number, number][] => {
    const mid = Math.floor(k / 2) + 1;
    return [[], [[0, NaN]], [[k - 1, NaN]], [[mid, NaN]], [[1, NaN], [k - 2, NaN]], [[mid, Infinity]], [[mid, -Infinity], [1, NaN]]][l % 7] as [number, number][];
  };
  for (const [layout, count, k] of lineLayouts) {
    it(`max, min, argmax and argmin: ${layout}`, async () => {
      const lines = plantedLines(count, k, plant(k));
      const max = (v: number[]) => v.reduce(nanMax);
      const min = (v: number[]) => v.reduce(nanMin);
      // PyTorch's argmax / argmin: the first NaN if there is one, else the first extremum.
      const firstNaN = (v: number[]) => v.findIndex(Number.isNaN);
      const argmax = (v: number[]) => (firstNaN(v) >= 0 ? firstNaN(v) : v.indexOf(max(v)));
      const argmin = (v: number[]) => (firstNaN(v) >= 0 ? firstNaN(v) : v.indexOf(min(v)));
      expectClose(await reduceLines(layout, lines, (x, a) => x.max(a)), lines.map(max), 0, 0, `max over ${layout}`);
      expectClose(await reduceLines(layout, lines, (x, a) => x.min(a)), lines.map(min), 0, 0, `min over ${layout}`);
      expect(await reduceLines(layout, lines, (x, a) => x.argmax(a)), `argmax over ${layout}`).toEqual(lines.map(argmax));
      expect(await reduceLines(layout, lines, (x, a) => x.argmin(a)), `argmin over ${layout}`).toEqual(lines.map(argmin));
    });
  }
  it('logsumexp: NaN anywhere gives NaN; +inf gives +inf; all -inf gives -inf', async () => {
    const cases = [
      [1, NaN, 2, 3],
      [NaN, 1, 2, 3, 4, 5, 6, 7],
      [1, 2, Infinity, 3],
      [Infinity, Infinity, 1, 2, 3, 4, 5, 6],
      [Infinity, -Infinity, 0, 1],
      [-Infinity, -Infinity, -Infinity, -Infinity],
      [Infinity, NaN, 1, 2],
    ];
    const expected = [NaN, NaN, Infinity, Infinity, Infinity, -Infinity, NaN];
    for (let i = 0; i < cases.length; i++) {
      for (const layout of ['rows', 'columns']) {
        expectClose(await reduceLines(layout, [cases[i]], (x, a) => x.logsumexp(a)), [expected[i]], 0, 0, `logsumexp [${cases[i]}] as ${layout}`);
      }
    }
    // A long line in chunks, NaN in one chunk only.
    const long = Array.from({ length: 6000 }, (_, j) => Math.sin(j));
    long[4321] = NaN;
    expectClose(await reduceValues(long, [6000], (x) => x.logsumexp()), [NaN], 0, 0, 'logsumexp of a long line with one NaN');
  });
  it('sum and mean propagate NaN and infinities', async () => {
    expectClose(await reduceValues([1, NaN, 2, 3, 4, 5, 6, 7], [8], (x) => x.sum()), [NaN], 0, 0, 'sum with NaN');
    expectClose(await reduceValues([1, Infinity, 2, 3], [4], (x) => x.mean()), [Infinity], 0, 0, 'mean with inf');
    expectClose(await reduceValues([1, Infinity, -Infinity], [3], (x) => x.sum()), [NaN], 0, 0, 'inf - inf');
  });
  it("max's gradient with NaN goes to the NaN positions (PyTorch's evenly_distribute_backward)", async () => {
    const x = gg.tensor(Float32Array.from([1, NaN, 3, NaN, 2, 5, 0, 1]), [2, 4], { requiresGrad: true });
    gg.scope(() => x.max().backward());
    expect([...(await x.grad!.data())]).toEqual([0, 0.5, 0, 0.5, 0, 0, 0, 0]);
    x.dispose();
    const y = gg.tensor(Float32Array.from([1, NaN, 3, 4, 2, 5, 5, 1]), [2, 4], { requiresGrad: true });
    gg.scope(() => y.max(1).sum().backward());
    expect([...(await y.grad!.data())]).toEqual([0, 1, 0, 0, 0, 0.5, 0.5, 0]);
    y.dispose();
  });
});

describe('gradients at NaN, ties and bounds follow PyTorch', () => {
  it('clamp passes the whole gradient at its bounds (torch.clamp), none outside, none at NaN', async () => {
    const x = gg.tensor(Float32Array.from([-2, -1, 0, 2, 3, NaN]), [6], { requiresGrad: true });
    gg.scope(() => x.clamp(-1, 2).sum().backward());
    expect([...(await x.grad!.data())]).toEqual([0, 1, 1, 1, 0, 0]);
    x.dispose();
  });
  it('maximum and minimum: the loser gets nothing, a tie half each, and both sides all of it where one is NaN', async () => {
    const a = gg.tensor(Float32Array.from([1, 2, 3, NaN, 1]), [5], { requiresGrad: true });
    const b = gg.tensor(Float32Array.from([2, 2, 1, 0, NaN]), [5], { requiresGrad: true });
    gg.scope(() => gg.maximum(a, b).sum().backward());
    expect([...(await a.grad!.data())]).toEqual([0, 0.5, 1, 1, 1]);
    expect([...(await b.grad!.data())]).toEqual([1, 0.5, 0, 1, 1]);
    const c = gg.tensor(Float32Array.from([1, 2, 3, NaN]), [4], { requiresGrad: true });
    gg.scope(() => gg.minimum(c, 2).sum().backward());
    expect([...(await c.grad!.data())]).toEqual([1, 0.5, 0, 1]);
    for (const t of [a, b, c]) t.dispose();
  });
});

describe('accuracy of the written-out functions', () => {
  it('exp and log are accurate to ~1 ULP (the built-ins were up to 4e-6 and 1e-5 off), subnormal logs included', async () => {
    const xs: number[] = [];
    for (let v = -87; v <= 88.7; v += 0.0131) xs.push(v);
    await expectUnary('exp', (x) => x.exp(), Math.exp, xs.map(f32), 0, 2.5e-7);
    const ys: number[] = [];
    for (let e = -44; e <= 38; e += 0.0173) ys.push(10 ** e);
    for (let v = 0.5; v <= 2; v += 0.000731) ys.push(v);
    for (let d = -12; d <= -1; d += 0.25) ys.push(1 + 10 ** d, 1 - 10 ** d);
    // log near 1 is tiny: its accuracy is relative there, 1e-6 absolute elsewhere is ~1 ULP of 88.
    await expectUnary('log', (x) => x.log(), Math.log, ys.map(f32).filter((v) => v > 0), 1e-30, 2.5e-7);
  });
  it('tanh is accurate to 1e-6 relative everywhere, tiny arguments included', async () => {
    const xs: number[] = [];
    // From 1e-37: below f32's smallest normal (1.2e-38) the adapter may flush to zero.
    for (let e = -37; e <= 1; e += 0.25) xs.push(10 ** e, -(10 ** e));
    for (let v = -12; v <= 12; v += 0.00731) xs.push(v);
    for (const v of [0.54, 0.55, 0.56, 0.6, 0.625, 0.65, 8.9, 9, 9.1, 10, 20]) xs.push(v, -v);
    const values = xs.map(f32);
    await expectUnary('tanh', (x) => x.tanh(), Math.tanh, values, 0, 1e-6);
  });
  it('tanh gradient through the small-argument branch', async () => {
    await checkOp({ inputs: [[33]], range: [-0.7, 0.7], gpu: (x) => x.tanh(), ref: (x) => map(x, Math.tanh), rtol: 1e-6, atol: 0 });
  });
  it('softplus keeps its relative accuracy in the negative tail (softplus(-30) = 9.4e-14)', async () => {
    const xs: number[] = [];
    for (let v = -80; v <= 30; v += 0.0937) xs.push(v);
    for (const v of [-30, -17, -16, -1e-3, 0, 1e-3, 19.9, 20, 20.1]) xs.push(v);
    const values = xs.map(f32);
    await expectUnary('softplus', (x) => x.softplus(), (v) => softplus(v), values, 0, 2e-6);
    const [out] = await runUnary((x) => x.softplus(), [f32(-30)]);
    expect(out[0] / 9.357622968839299e-14 - 1).toBeLessThan(1e-6);
  });
  it('softplus beta and threshold, as torch.nn.functional.softplus, with gradients', async () => {
    const values = [-40, -3, -1, -0.01, 0, 0.5, 1, 1.9, 2.1, 5, 9.9, 10.1, 30].map(f32);
    for (const [beta, threshold] of [[1, 20], [2, 4], [0.5, 1], [3, 20], [1, 0]]) {
      await expectUnary(`softplus beta ${beta} threshold ${threshold}`, (x) => gg.softplus(x, { beta, threshold }), (v) => softplus(v, beta, threshold), values, 0, 2e-6);
      await checkOp({
        inputs: [[41]],
        range: [-6, 6],
        gpu: (x) => gg.softplus(x, { beta, threshold }),
        ref: (x) => map(x, (v) => softplus(v, beta, threshold)),
        // The finite difference straddles the jump at x = threshold / beta only within eps of it.
        eps: 1e-7,
      });
    }
    const layer = new gg.nn.Softplus({ beta: 2, threshold: 4 });
    await expectUnary('nn.Softplus', (x) => layer.forward(x), (v) => softplus(v, 2, 4), values, 0, 2e-6);
    expect(String(layer)).toContain('beta=2');
  });
  it("pow's gradients at base 0 and below follow PyTorch's pow_backward", async () => {
    // Base 0 with exponent >= 0: the exponent's gradient is 0 (not log(0) times 0). Base < 0: NaN.
    // Exponent 0: the base's gradient is 0 (not 0 * 0^-1).
    const bases = [0, 0, 0, -2, -2, 2, 0, 3].map(f32);
    const exps = [2, 0, 0.5, 2, 0.5, 0, -1, 1.5].map(f32);
    const a = gg.tensor(Float32Array.from(bases), [8], { requiresGrad: true });
    const b = gg.tensor(Float32Array.from(exps), [8], { requiresGrad: true });
    gg.scope(() => gg.pow(a, b).sum().backward());
    const gradA = bases.map((x, i) => (exps[i] === 0 ? 0 : exps[i] * cPow(x, exps[i] - 1)));
    const gradB = bases.map((x, i) => (x === 0 && exps[i] >= 0 ? 0 : cPow(x, exps[i]) * Math.log(x)));
    expectClose(await a.grad!.data(), gradA, 1e-6, 1e-5, 'gradient of the base');
    expectClose(await b.grad!.data(), gradB, 1e-6, 1e-5, 'gradient of the exponent');
    a.dispose();
    b.dispose();
  });
  it('integer division by zero: a number divisor throws, a tensor divisor gives -1 (all bits set)', async () => {
    const a = gg.tensor(Int32Array.from([7, -7, 0, 5, -2147483648]), [5], { dtype: 'i32' });
    const u = gg.tensor(Uint32Array.from([7, 0, 4294967295]), [3], { dtype: 'u32' });
    expect(() => gg.div(a, 0)).toThrow(/div: integer division by zero/);
    expect(() => gg.div(u, 0)).toThrow(/div: integer division by zero/);
    const b = gg.tensor(Int32Array.from([0, 0, 0, 2, -1]), [5], { dtype: 'i32' });
    const z = gg.tensor(Uint32Array.from([0, 0, 0]), [3], { dtype: 'u32' });
    const [q, r] = gg.scope(() => [gg.div(a, b), gg.div(u, z)]);
    // -2147483648 / -1 overflows; WGSL (and CUDA) give the dividend back.
    expect([...(await q.data())]).toEqual([-1, -1, -1, 2, -2147483648]);
    expect([...(await r.data())]).toEqual([4294967295, 4294967295, 4294967295]);
    // The vec4 lanes and the broadcasting path.
    const wide = gg.tensor(Int32Array.from([9, -9, 8, 7, 6, 5, 4, 3]), [2, 4], { dtype: 'i32' });
    const divisors = gg.tensor(Int32Array.from([0, 2, 0, -3]), [4], { dtype: 'i32' });
    const [same, broadcast] = gg.scope(() => [gg.div(wide, gg.tensor(Int32Array.from([0, 2, 0, -3, 0, 2, 0, -3]), [2, 4], { dtype: 'i32' })), gg.div(wide, divisors)]);
    expect([...(await same.data())]).toEqual([-1, -4, -1, -2, -1, 2, -1, -1]);
    expect([...(await broadcast.data())]).toEqual([-1, -4, -1, -2, -1, 2, -1, -1]);
    for (const t of [a, u, b, z, q, r, wide, divisors, same, broadcast]) t.dispose();
  });
});
