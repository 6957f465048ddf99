// PyTorch's names and call forms beside gengpu's own: cat, variadic reshape / view, numel, max / min
// with a dim giving values and indices, where with number branches and as a method, oneHot with an
// integer dtype, `using` on tensors and scopes, and toString saying how to read the values.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { argOf, concatRef, reduceRef, reshapedRef } from '../helpers/op-references.js';
import { random, ref, rng, zip } from '../helpers/reference.js';

describe('names and call forms', () => {
  it('cat is concat, as a function and as a method (this tensor first)', async () => {
    await checkOp({
      inputs: [[2, 3], [2, 5], [2, 1]],
      gpu: (a, b, c) => gg.cat([a, b, c], 1),
      ref: (a, b, c) => concatRef([a, b, c], 1),
    });
    await checkOp({ inputs: [[3, 2], [1, 2]], gpu: (a, b) => a.cat(b), ref: (a, b) => concatRef([a, b], 0) });
    await checkOp({ inputs: [[3], [4], [2]], gpu: (a, b, c) => a.concat([b, c], -1), ref: (a, b, c) => concatRef([a, b, c], 0) });
  });

  it('reshape and view take the shape as a list or size by size, with -1', async () => {
    await checkOp({ inputs: [[3, 5]], gpu: (x) => x.reshape(5, -1), ref: (x) => reshapedRef(x, [5, 3]) });
    await checkOp({ inputs: [[3, 5]], gpu: (x) => x.view(-1), ref: (x) => reshapedRef(x, [15]) });
    await checkOp({ inputs: [[3, 5]], gpu: (x) => gg.reshape(x, 1, 15, 1), ref: (x) => reshapedRef(x, [1, 15, 1]) });
    await checkOp({ inputs: [[3, 5]], gpu: (x) => x.view([15, 1]), ref: (x) => reshapedRef(x, [15, 1]) });
    const x = gg.zeros([3, 5]);
    expect(() => x.reshape(4, -1)).toThrow('reshape: cannot infer -1 in [4, -1] (inputs: [3, 5] f32)');
    x.dispose();
  });

  it('numel is the number of elements', () => {
    const x = gg.zeros([3, 1, 7]);
    const s = gg.zeros([]);
    expect([x.numel(), s.numel()]).toEqual([21, 1]);
    x.dispose();
    s.dispose();
  });

  it('max and min with a dim give values and the positions of the extremes; without one, a 0-d tensor', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const next = rng(7);
    // Ties (rounded values) and a NaN in one line: the first tie and the first NaN win, as PyTorch.
    const x = random([4, 7, 5], next).data.map((v) => Math.round(v * 3) / 3);
    x[12] = NaN;
    const xr = ref([4, 7, 5], x);
    const t = gg.tensor(Float32Array.from(x), [4, 7, 5]);
    for (const [name, beats] of [['max', (a: number, b: number) => a > b || (Number.isNaN(a) && !Number.isNaN(b))], ['min', (a: number, b: number) => a < b || (Number.isNaN(a) && !Number.isNaN(b))]] as const) {
      for (const [dim, keepdims] of [[1, false], [-1, true], [0, false]] as const) {
        const [values, indices] = gg.scope(() => {
          const { values, indices } = name === 'max' ? t.max(dim, keepdims) : gg.min(t, dim, keepdims);
          return [values, indices];
        });
        const expectedIndices = reduceRef(xr, dim, keepdims, argOf(beats));
        const expectedValues = reduceRef(xr, dim, keepdims, (v) => v[argOf(beats)(v)]);
        expect([...values.shape]).toEqual(expectedValues.shape);
        expect(indices.dtype).toBe('i32');
        expect(Array.from(await indices.data())).toEqual(Array.from(expectedIndices.data));
        const got = Array.from(await values.data());
        expect(got.map((v, i) => (Number.isNaN(v) ? Number.isNaN(expectedValues.data[i]) : Math.abs(v - expectedValues.data[i]) < 1e-6))).not.toContain(false);
        values.dispose();
        indices.dispose();
      }
    }
    const whole = t.max();
    expect(whole.shape).toEqual([]);
    expect(Number.isNaN(await whole.item())).toBe(true);
    whole.dispose();
    // Existing forms keep giving a tensor that differentiates (values and gradients as before).
    await checkOp({ inputs: [[3, 5]], gpu: (a) => a.max(1).add(a.min(0).sum()), ref: (a) => {
      const mins = reduceRef(a, 0, false, (v) => Math.min(...v)).data.reduce((s, v) => s + v, 0);
      return reduceRef(a, 1, false, (v) => Math.max(...v) + mins);
    } });
    // The indices are computed on first access, from the input as it was: not after it changed.
    const y = gg.tensor([[1, 5, 2]]);
    const late = y.max(1);
    const zero = gg.zeros([1, 3]);
    gg.assign(y, zero);
    expect(() => late.indices).toThrow('max: indices were first asked for after the input was changed in place; read them before (inputs: [1, 3] f32)');
    for (const u of [t, y, late, zero]) u.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('where takes number branches and works as a method, x.where(condition, other)', async () => {
    await checkOp({
      inputs: [[4, 3], [4, 3]],
      gradInputs: [1],
      gpu: (c, a) => gg.where(c.gt(0), a, -2.5),
      ref: (c, a) => zip([c, a], (cv, av) => (cv > 0 ? av : -2.5)),
    });
    await checkOp({
      inputs: [[3], [2, 3]],
      gradInputs: [1],
      gpu: (c, b) => gg.where(c.gt(0), 0.5, b),
      ref: (c, b) => zip([c, b], (cv, bv) => (cv > 0 ? 0.5 : bv)),
    });
    await checkOp({
      inputs: [[2, 3], [2, 1], [3]],
      gradInputs: [0, 2],
      gpu: (a, c, b) => a.where(c.gt(0), b),
      ref: (a, c, b) => zip([c, a, b], (cv, av, bv) => (cv > 0 ? av : bv)),
    });
    const c = gg.tensor([1, 0, 1]);
    const both = gg.where(c, 3, 4);
    expect([both.dtype, ...(await both.data())]).toEqual(['f32', 3, 4, 3]);
    const ints = gg.where(c, gg.tensor([7, 8, 9], { dtype: 'i32' }), -1);
    expect([ints.dtype, ...(await ints.data())]).toEqual(['i32', 7, -1, 9]);
    for (const u of [c, both, ints]) u.dispose();
  });

  it('oneHot gives f32 by default and an integer dtype on request', async () => {
    const index = gg.tensor([[2, 0, 3], [1, 1, 0]], { dtype: 'i32' });
    const expected = [2, 0, 3, 1, 1, 0].flatMap((k) => [0, 1, 2, 3].map((c) => (c === k ? 1 : 0)));
    for (const dtype of [undefined, 'i32', 'u32', 'f32'] as const) {
      const out = dtype ? gg.oneHot(index, 4, { dtype }) : index.oneHot(4);
      expect([out.dtype, ...out.shape]).toEqual([dtype ?? 'f32', 2, 3, 4]);
      expect(Array.from(await out.data())).toEqual(expected);
      out.dispose();
    }
    expect(() => index.oneHot(4, { dtype: 'int64' as gg.DType })).toThrow("oneHot: unknown dtype 'int64'");
    index.dispose();
  });

  it('using frees a tensor, and a scope opened without a function, at the end of the block', async () => {
    const rt = gg.runtime();
    const before = rt.memory().liveBuffers;
    let kept: gg.Tensor;
    const parameter = gg.ones([2], { requiresGrad: true });
    {
      using x = gg.ones([3]);
      expect(x.isDisposed).toBe(false);
      expect(rt.memory().liveBuffers).toBe(before + 2);
    }
    expect(rt.memory().liveBuffers).toBe(before + 1);
    {
      using _ = gg.scope();
      const a = gg.ones([4]).mul(2);
      kept = a.add(1).keep();
      const b = parameter.mul(a.slice(0, 0, 2));
      expect(b.isDisposed).toBe(false);
    }
    expect(Array.from(await kept.data())).toEqual([3, 3, 3, 3]);
    expect(parameter.isDisposed).toBe(false);
    expect(rt.memory().liveBuffers).toBe(before + 2);
    kept.dispose();
    parameter.dispose();
    expect(rt.memory().liveBuffers).toBe(before);
    // Closing an outer scope before an inner one is an error; the inner one still closes after it.
    const outer = gg.scope();
    const inner = gg.scope();
    expect(() => outer.dispose()).toThrow('scope: closed while a scope opened inside it is still open');
    inner.dispose();
    outer.dispose();
    expect(typeof gg.Tensor.prototype[Symbol.dispose]).toBe('function');
  });

  it('toString says shape, dtype and how to read the values', () => {
    const x = gg.zeros([2, 3], { dtype: 'i32' });
    expect(`${x}`).toBe('Tensor(shape=[2, 3], dtype=i32; values: await t.data(), t.toArray() or t.format())');
    x.dispose();
  });
});
