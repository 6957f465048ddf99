// Reductions against the float64 reference: sum, mean, max, min, logsumexp, var and std (values and
// finite-difference gradients), argmax and argmin (ties, long split lines), over single, multiple,
// negative, leading, middle and all axes with keepdims both ways; the column path's no-copy promise;
// large-magnitude stability; the row reductions' two rungs ('line' and 'workgroup', with NaN and
// infinities as PyTorch); and the named errors for bad axes and dtypes.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { reduceRows, type ReduceOp } from '../../src/ops/reduce.js';
import { recordTuning, resetTuning, rowShapeClass } from '../../src/ops/tuning.js';
import { checkOp } from '../helpers/check.js';
import { argOf, average, logSumExp, reduceRef, total, variance, type Axes } from '../helpers/op-references.js';
import { ref } from '../helpers/reference.js';

// [shape, axes]: single, negative, all, leading, middle, several, and size-1 axes; small enough for
// finite differences. Leading / middle axes with inner sizes that are and are not multiples of 4 take
// the column path (scalar and vec4).
const cases: [number[], Axes][] = [
  [[17], undefined],
  [[129], 0],
  [[3, 17], -1],
  [[65, 3], 0],
  [[17, 8], 0],
  [[1, 65], 1],
  [[3, 5, 4], 1],
  [[3, 5, 7], [0, 2]],
  [[2, 3, 1, 5], [0, 1]],
  [[2, 3, 4, 5], [1, 3]],
  [[2, 1, 4, 3], [-1, -3]],
  [[2, 3, 4], undefined],
  [[5, 12], 1], // rows of a multiple of 4: four values per wide load, then the lanes
  [[2, 4096], -1], // ... in chunks, reduced again four wide
];

type Reduction = [string, (x: gg.Tensor, axes: Axes, keepdims: boolean) => gg.Tensor, (v: number[]) => number];
const reductions: Reduction[] = [
  ['sum', (x, a, k) => x.sum(a, k), total],
  ['mean', (x, a, k) => x.mean(a, k), average],
  ['max', (x, a, k) => x.max(a, k), (v) => Math.max(...v)],
  ['min', (x, a, k) => x.min(a, k), (v) => Math.min(...v)],
  ['logsumexp', (x, a, k) => x.logsumexp(a, k), logSumExp],
  ['var', (x, a, k) => x.var(a, { keepdims: k }), variance(1)],
  ['std', (x, a, k) => x.std(a, { keepdims: k }), (v) => Math.sqrt(variance(1)(v))],
];

describe('differentiable reductions', () => {
  for (const [name, gpu, f] of reductions) {
    it(`${name}: values and gradients over many axis sets, keepdims both ways`, async () => {
      for (const [i, [shape, axes]] of cases.entries()) {
        const keepdims = i % 2 === 0;
        await checkOp({ inputs: [shape], gpu: (x) => gpu(x, axes, keepdims), ref: (x) => reduceRef(x, axes, keepdims, f), seed: i + 1 });
      }
    });
  }

  it('var and std with correction 0 (unbiased = false), 2, and a divisor of 0 (NaN, as PyTorch)', async () => {
    for (const correction of [0, 2]) {
      await checkOp({
        inputs: [[5, 17]],
        gpu: (x) => x.var(-1, { correction }),
        ref: (x) => reduceRef(x, -1, false, variance(correction)),
      });
      await checkOp({
        inputs: [[4, 3, 5]],
        gpu: (x) => x.std([0, 2], { correction, keepdims: true }),
        ref: (x) => reduceRef(x, [0, 2], true, (v) => Math.sqrt(variance(correction)(v))),
      });
    }
    await checkOp({ inputs: [[3, 1]], grad: false, gpu: (x) => x.var(1), ref: (x) => reduceRef(x, 1, false, variance(1)) });
  });

  it('max and min share the gradient equally among tied extremes', async () => {
    const x = gg.tensor([[1, 3, 3], [2, 2, 2]], { requiresGrad: true });
    gg.scope(() => x.max(1).sum().backward());
    expect(await x.grad!.toArray()).toEqual([[0, 0.5, 0.5], [1, 1, 1].map(() => Math.fround(1 / 3))]);
    x.dispose();
  });

  it('gradients of gradients: logsumexp and var differentiate their own backward rules', async () => {
    // d logsumexp(x) / dx = softmax(x), whose own gradient is checked against finite differences.
    await checkOp({
      inputs: [[3, 5]],
      gpu: (x) => gg.grad(x.logsumexp(1).sum(), [x], undefined, { createGraph: true })[0],
      ref: (x) => {
        const lse = reduceRef(x, 1, true, logSumExp).data;
        return ref([3, 5], (i) => Math.exp(x.data[i] - lse[Math.floor(i / 5)]));
      },
    });
    await checkOp({
      inputs: [[2, 6]],
      gpu: (x) => gg.grad(x.var(1).sum(), [x], undefined, { createGraph: true })[0],
      ref: (x) => {
        const means = reduceRef(x, 1, true, average).data;
        return ref([2, 6], (i) => (2 * (x.data[i] - means[Math.floor(i / 6)])) / 5);
      },
    });
  });
});

describe('long lines and the column path', () => {
  it('splits a few long rows or columns into chunks (forward only)', async () => {
    const long: [number[], Axes][] = [
      [[3, 2000], 1],
      [[2000, 3], 0],
      [[1000, 8], 0],
      [[5000], undefined],
      [[300, 3, 7], [0, 2]],
    ];
    for (const [, gpu, f] of reductions.slice(0, 5)) {
      for (const [shape, axes] of long) {
        await checkOp({ inputs: [shape], grad: false, gpu: (x) => gpu(x, axes, false), ref: (x) => reduceRef(x, axes, false, f), atol: 1e-4, rtol: 2e-4 });
      }
    }
  });

  it('reduces leading or middle axes without a transposing copy: one kernel per run of reduced axes', () => {
    const rt = gg.runtime();
    gg.scope(() => {
      const bias = gg.ones([64, 32]);
      const middle = gg.ones([4, 6, 8]);
      const split = gg.ones([5, 3, 7]);
      let before = rt.counters.dispatches;
      bias.sum(0);
      expect(rt.counters.dispatches - before, 'sum over axis 0 of [64, 32]').toBe(1);
      before = rt.counters.dispatches;
      middle.max(1, true);
      expect(rt.counters.dispatches - before, 'max over axis 1 of [4, 6, 8]').toBe(1);
      before = rt.counters.dispatches;
      split.logsumexp([0, 2]);
      expect(rt.counters.dispatches - before, 'logsumexp over axes 0 and 2 of [5, 3, 7]').toBe(2);
    });
  });

  it('sumTo brings a broadcast gradient back (the bias-gradient case)', async () => {
    await checkOp({ inputs: [[17, 12]], gpu: (g) => gg.sumTo(g, [12]), ref: (g) => reduceRef(g, 0, false, total) });
    await checkOp({ inputs: [[3, 4, 5]], gpu: (g) => gg.sumTo(g, [4, 1]), ref: (g) => ({ shape: [4, 1], data: reduceRef(g, [0, 2], false, total).data }) });
  });

  it('reduces empty dimensions as PyTorch does: sum 0, mean NaN, logsumexp -inf', async () => {
    const x = gg.zeros([0, 3]);
    const [s, m, l] = gg.scope(() => [x.sum(0), x.mean(0), x.logsumexp(0)]);
    expect(Array.from(await s.data())).toEqual([0, 0, 0]);
    expect(Array.from(await m.data()).every(Number.isNaN)).toBe(true);
    expect(Array.from(await l.data())).toEqual([-Infinity, -Infinity, -Infinity]);
    for (const t of [x, s, m, l]) t.dispose();
  });
});

describe('numerical stability', () => {
  it('logsumexp of values near +-1000 is finite and exact (max-shifted)', async () => {
    for (const range of [[990, 1010], [-1010, -990], [-1000, 1000]] as [number, number][]) {
      await checkOp({ inputs: [[3, 65]], range, gpu: (x) => x.logsumexp(1), ref: (x) => reduceRef(x, 1, false, logSumExp) });
      await checkOp({ inputs: [[129, 4]], range, gpu: (x) => x.logsumexp(0, true), ref: (x) => reduceRef(x, 0, true, logSumExp) });
    }
  });

  it('logsumexp handles -inf entries and all -inf lines', async () => {
    const x = gg.tensor([[-Infinity, 0, -Infinity], [-Infinity, -Infinity, -Infinity]]);
    const out = x.logsumexp(1);
    expect(Array.from(await out.data())).toEqual([0, -Infinity]);
    out.dispose();
    x.dispose();
    // Rows of 8 take the four-wide path, where whole lanes can be -inf.
    const wide = gg.tensor([[-Infinity, 0, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity], Array(8).fill(-Infinity), [Infinity, 0, 1, 2, 3, 4, 5, 6]]);
    const wideOut = wide.logsumexp(1);
    expect(Array.from(await wideOut.data())).toEqual([0, -Infinity, Infinity]);
    wideOut.dispose();
    wide.dispose();
  });

  it('var of values with a large common offset keeps its digits (two-pass)', async () => {
    await checkOp({ inputs: [[4, 129]], range: [1000, 1001], gpu: (x) => x.var(1), ref: (x) => reduceRef(x, 1, false, variance(1)), rtol: 2e-3, gradRtol: 1e-2, gradAtol: 1e-3 });
  });
});

describe("row reductions on both rungs ('line': one invocation per row, 'workgroup': one workgroup per row)", () => {
  // [name, op, scale for a row of `cols` (1/cols makes a mean), float64 reference]
  const rowOps: [string, ReduceOp, (cols: number) => number, (v: number[]) => number][] = [
    ['sum', 'sum', () => 1, total],
    ['mean', 'sum', (cols) => 1 / cols, average],
    ['max', 'max', () => 1, (v) => Math.max(...v)],
    ['min', 'min', () => 1, (v) => Math.min(...v)],
    ['logsumexp', 'logsumexp', () => 1, logSumExp],
  ];
  // Lengths around the workgroup sizes the 'workgroup' rung picks (32 to 256 invocations of ~8 values)
  // and past its chunk length (3001 rows are cut in two, then reduced again); the line rung's four-wide
  // path takes the multiples of 4.
  const lengths = [1, 3, 7, 63, 64, 65, 257, 1000, 3001];
  const rowCounts = [1, 2, 5];
  for (const variant of ['line', 'workgroup'] as const) {
    for (const [name, op, scale, f] of rowOps) {
      it(`${name} on the '${variant}' rung against float64, odd lengths and several row counts`, async () => {
        for (const [i, cols] of lengths.entries()) {
          for (const rows of rowCounts) {
            await checkOp({
              inputs: [[rows, cols]], grad: false, seed: 100 + 3 * i + rows,
              gpu: (x) => reduceRows(x, rows, cols, op, scale(cols), { variant }), ref: (x) => reduceRef(x, 1, false, f),
              atol: 1e-5, rtol: 1e-4,
            });
          }
        }
        if (op === 'logsumexp') {
          for (const range of [[990, 1010], [-1010, -990]] as [number, number][]) {
            await checkOp({ inputs: [[3, 1000]], range, grad: false, gpu: (x) => reduceRows(x, 3, 1000, op, 1, { variant }), ref: (x) => reduceRef(x, 1, false, f), atol: 1e-5, rtol: 1e-6 });
          }
        }
      });
    }

    it(`NaN and infinities on the '${variant}' rung, as PyTorch, wherever they fall in a row`, async () => {
      // [what, positions and values]: each special value lands in a different invocation's partial
      // (and, at 2500 of 3001, in the second chunk).
      const specials: [string, [number, number][]][] = [
        ['NaN', [[517, NaN]]],
        ['+inf', [[2500, Infinity]]],
        ['-inf', [[40, -Infinity]]],
        ['two +inf', [[5, Infinity], [900, Infinity]]],
        ['+inf and -inf', [[3, Infinity], [2999, -Infinity]]],
        ['+inf and NaN', [[1, Infinity], [700, NaN]]],
      ];
      for (const cols of [65, 1000, 3001]) {
        const rows = specials.map(([, at]) => {
          const row = Array.from({ length: cols }, (_, i) => Math.sin(i));
          for (const [position, value] of at) row[position % cols] = value;
          return row;
        });
        const x = gg.tensor(rows);
        for (const op of ['sum', 'max', 'min', 'logsumexp'] as const) {
          const out = reduceRows(x, rows.length, cols, op, 1, { variant });
          const got = Array.from(await out.data());
          out.dispose();
          specials.forEach(([what], r) => {
            const want = pytorchRowReduction[op](rows[r]);
            const message = `${op} of a row of ${cols} with ${what}`;
            if (Number.isFinite(want)) expect(Math.abs(got[r] - want), message).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
            else expect(got[r], message).toBe(want);
          });
        }
        x.dispose();
      }
    });
  }

  /** PyTorch's results in float64: IEEE arithmetic and Math.max / Math.min propagate NaN as it does;
   * logsumexp of +inf (and no NaN) is +inf, where the max-shifted reference would meet inf - inf. */
  const pytorchRowReduction: Record<ReduceOp, (row: number[]) => number> = {
    sum: total,
    max: (row) => Math.max(...row),
    min: (row) => Math.min(...row),
    logsumexp: (row) => (row.includes(Infinity) && !row.some(Number.isNaN) ? Infinity : logSumExp(row)),
  };

  it('all -inf and empty rows give -inf for logsumexp, empty rows 0 for sum, on both rungs', async () => {
    const x = gg.tensor([Array(300).fill(-Infinity), [...Array(299).fill(-Infinity), 0]]);
    const empty = gg.zeros([3, 0]);
    for (const variant of ['line', 'workgroup'] as const) {
      const [l, s, e] = gg.scope(() => [reduceRows(x, 2, 300, 'logsumexp', 1, { variant }), reduceRows(empty, 3, 0, 'sum', 1, { variant }), reduceRows(empty, 3, 0, 'logsumexp', 1, { variant })]);
      expect(Array.from(await l.data()), variant).toEqual([-Infinity, 0]);
      expect(Array.from(await s.data()), variant).toEqual([0, 0, 0]);
      expect(Array.from(await e.data()), variant).toEqual([-Infinity, -Infinity, -Infinity]);
      for (const t of [l, s, e]) t.dispose();
    }
    x.dispose();
    empty.dispose();
  });

  it('an unknown variant throws, naming the op; the public reductions follow chooseRowVariant; no buffer is left', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const x = gg.randn([3, 1000], { generator: new gg.Generator(5) });
    for (const op of ['sum', 'max', 'min', 'logsumexp'] as const) {
      expect(() => reduceRows(x, 3, 1000, op, 1, { variant: 'tiles' as 'line' })).toThrow(new RegExp(`^${op}: unknown variant 'tiles'; expected 'line' or 'workgroup'`));
    }
    // SwiftShader keeps 'line' (four values per wide load, then the lanes: two launches); a tuning table
    // that says 'workgroup' for the class makes x.sum(-1) one launch of a workgroup per row.
    const rt = gg.runtime();
    expect(gg.chooseRowVariant(1000)).toBe('line');
    const lineSum = gg.scope(() => {
      const start = rt.counters.dispatches;
      const out = x.sum(-1);
      expect(rt.counters.dispatches - start, "sum(-1) of [3, 1000] on the 'line' rung").toBe(2);
      return out;
    });
    recordTuning('rows', rowShapeClass(1000), 'workgroup');
    try {
      const workgroupSum = gg.scope(() => {
        const start = rt.counters.dispatches;
        const out = x.sum(-1);
        expect(rt.counters.dispatches - start, "sum(-1) of [3, 1000] on the 'workgroup' rung").toBe(1);
        return out;
      });
      const [a, b] = [await lineSum.data(), await workgroupSum.data()];
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-4);
      workgroupSum.dispose();
    } finally {
      resetTuning();
    }
    lineSum.dispose();
    x.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});

describe('argmax and argmin', () => {
  const argCases: [number[], number | undefined][] = [
    [[17], undefined],
    [[3, 17], 1],
    [[65, 3], 0],
    [[3, 5, 8], 1],
    [[2, 3, 4, 5], -2],
    [[2, 3, 4], undefined],
    [[1, 129], -1],
  ];
  for (const [name, beats] of [['argmax', (a: number, b: number) => a > b], ['argmin', (a: number, b: number) => a < b]] as const) {
    it(`${name}: i32 positions over one axis or the flattened tensor, keepdims both ways`, async () => {
      for (const [i, [shape, axis]] of argCases.entries()) {
        const keepdims = i % 2 === 1;
        await checkOp({
          inputs: [shape],
          grad: false,
          gpu: (x) => {
            const out = name === 'argmax' ? x.argmax(axis, keepdims) : x.argmin(axis, keepdims);
            expect(out.dtype).toBe('i32');
            return out;
          },
          ref: (x) => {
            const r = reduceRef(x, axis, keepdims, argOf(beats));
            // With no axis, keepdims keeps every dimension as 1 (PyTorch).
            return axis === undefined && !keepdims ? { shape: [], data: r.data } : r;
          },
        });
      }
    });
  }

  it('takes the first position on ties, also across the chunks of long lines', async () => {
    const x = gg.tensor([[1, 7, 7, 0], [2, 2, 2, 2], [-1, -5, 3, -5]]);
    const long = new Float32Array(6000);
    long[4000] = 5;
    long[4500] = 5; // two maxima in different chunks
    long[1234] = -5;
    long[5999] = -5;
    const y = gg.tensor(long);
    const columns = gg.tensor(long, [2000, 3]);
    const [a, b, c, d, e, f] = gg.scope(() => [x.argmax(1), x.argmin(1), y.argmax(), y.argmin(), columns.argmax(0), gg.zeros([3000]).argmax()]);
    expect(Array.from(await a.data())).toEqual([1, 0, 2]);
    expect(Array.from(await b.data())).toEqual([3, 0, 1]);
    expect(await c.item()).toBe(4000);
    expect(await d.item()).toBe(1234);
    expect(Array.from(await e.data())).toEqual([1500, 1333, 0]);
    expect(await f.item()).toBe(0);
    for (const t of [x, y, columns, a, b, c, d, e, f]) t.dispose();
  });

  it('works on integer tensors, on 0-d tensors, and is not differentiable', async () => {
    const ints = gg.tensor(new Int32Array([4, -9, 12, 12, 3]));
    const scalar = gg.tensor(2.5);
    const x = gg.tensor([1, 3, 2], { requiresGrad: true });
    const [a, b, c, d] = gg.scope(() => [ints.argmax(), ints.argmin(0, true), scalar.argmax(), x.argmax()]);
    expect(await a.item()).toBe(2);
    expect(await b.toArray()).toEqual([1]);
    expect(await c.item()).toBe(0);
    expect(d.requiresGrad).toBe(false);
    for (const t of [ints, scalar, x, a, b, c, d]) t.dispose();
  });
});

describe('bad input gets a named error', () => {
  it('axes out of range or repeated', () => {
    gg.scope(() => {
      const x = gg.ones([2, 3]);
      expect(() => x.sum(2)).toThrow('sum: axis 2 is out of range for shape [2, 3] (rank 2)');
      expect(() => x.mean([0, -3])).toThrow('mean: axis -3 is out of range for shape [2, 3] (rank 2)');
      expect(() => x.logsumexp(5)).toThrow('logsumexp: axis 5 is out of range for shape [2, 3] (rank 2)');
      expect(() => x.var(7)).toThrow('var: axis 7 is out of range for shape [2, 3] (rank 2)');
      expect(() => x.std([0, 0])).toThrow('std: repeated axis in [0, 0] for shape [2, 3]');
      expect(() => x.argmax(-3)).toThrow('argmax: axis -3 is out of range for shape [2, 3] (rank 2)');
      expect(() => x.max(1.5)).toThrow('max: axis 1.5 is out of range');
      expect(() => x.sum([1, -1])).toThrow('sum: repeated axis in [1, -1] for shape [2, 3]');
      expect(() => x.argmin([0, 1] as unknown as number)).toThrow('argmin: takes one axis (or none, for the flattened tensor), got [0,1] (inputs: [2, 3] f32)');
    });
  });

  it('integer tensors where f32 is needed, and empty reductions', () => {
    gg.scope(() => {
      const ints = gg.ones([4], { dtype: 'i32' });
      expect(() => ints.sum()).toThrow('sum: expected dtype f32, got i32 (inputs: [4] i32)');
      expect(() => ints.logsumexp()).toThrow('logsumexp: expected dtype f32, got i32 (inputs: [4] i32)');
      expect(() => ints.var()).toThrow('var: expected dtype f32, got i32 (inputs: [4] i32)');
      expect(() => gg.ones([2, 3]).var(0, { correction: NaN })).toThrow('var: correction must be a finite number, got NaN (inputs: [2, 3] f32)');
      expect(() => gg.ones([0, 3]).max(0)).toThrow('max: cannot reduce over an empty dimension (axes [0]) (inputs: [0, 3] f32)');
      expect(() => gg.ones([0, 3]).argmax(0)).toThrow('argmax: cannot take the argmax of an empty dimension 0 (inputs: [0, 3] f32)');
      expect(() => gg.ones([0]).argmin()).toThrow('argmin: cannot take the argmin of an empty tensor (inputs: [0] f32)');
    });
  });
});
