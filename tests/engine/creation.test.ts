// Creating tensors and reading them back: nested and typed arrays, dtypes, GPU fills, formatting.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

describe('tensor creation and readback', () => {
  it('builds from nested arrays with the right shape and dtype', async () => {
    const t = gg.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('f32');
    expect(await t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const s = gg.tensor(7.5);
    expect(s.shape).toEqual([]);
    expect(await s.item()).toBe(7.5);
    t.dispose();
    s.dispose();
  });

  it('builds from typed arrays with a shape, keeping integer dtypes', async () => {
    const i = gg.tensor(Int32Array.from([-3, 0, 5, 2147483647]), [2, 2]);
    expect(i.dtype).toBe('i32');
    expect(Array.from(await i.data())).toEqual([-3, 0, 5, 2147483647]);
    const u = gg.tensor([1, 2, 3], { dtype: 'u32' });
    expect(u.dtype).toBe('u32');
    expect(await u.data()).toBeInstanceOf(Uint32Array);
    i.dispose();
    u.dispose();
  });

  it('fills on the GPU: zeros, ones, full, arange, linspace', async () => {
    expect(Array.from(await gg.zeros([3]).data())).toEqual([0, 0, 0]);
    expect(Array.from(await gg.ones([2, 2]).data())).toEqual([1, 1, 1, 1]);
    expect(Array.from(await gg.full([2], -2.5).data())).toEqual([-2.5, -2.5]);
    const r = gg.arange(5);
    expect(r.dtype).toBe('i32');
    expect(Array.from(await r.data())).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(await gg.arange(1, 2, 0.25).data())).toEqual([1, 1.25, 1.5, 1.75]);
    expect(Array.from(await gg.arange(10, 0, -3).data())).toEqual([10, 7, 4, 1]);
    const l = Array.from(await gg.linspace(0, 1, 5).data());
    expect(l).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(gg.zeros([0, 3]).size).toBe(0);
    expect(Array.from(await gg.full([3], 7, { dtype: 'i32' }).data())).toEqual([7, 7, 7]);
  });

  it('fills large tensors past 65535 workgroups (2-D grid)', async () => {
    const n = 65536 * 256 + 3;
    const t = gg.full([n], 2);
    const total = t.sum();
    expect(Math.abs((await total.item()) - 2 * n) / (2 * n)).toBeLessThan(1e-6);
    t.dispose();
    total.dispose();
  });

  it('formats like PyTorch and describes itself in toString', async () => {
    const t = gg.tensor([[1.5, 2], [3, 4]]);
    expect(await t.format()).toBe('tensor([[1.5, 2],\n        [3, 4]], shape=[2, 2], dtype=f32)');
    expect(String(t)).toBe('Tensor(shape=[2, 2], dtype=f32; values: await t.data(), t.toArray() or t.format())');
    const g = gg.tensor([1, 2], { requiresGrad: true });
    expect(String(g.mul(2))).toBe('Tensor(shape=[2], dtype=f32, requiresGrad, from mulScalar; values: await t.data(), t.toArray() or t.format())');
    const long = gg.arange(20);
    expect(await long.format()).toBe('tensor([0, 1, 2, ..., 17, 18, 19], shape=[20], dtype=i32)');
    t.dispose();
    expect(String(t)).toBe('Tensor(shape=[2, 2], dtype=f32, disposed)');
  });

  it('rejects bad data with named errors', async () => {
    expect(() => gg.tensor([[1, 2], [3]])).toThrow(/tensor: ragged nested array/);
    expect(() => gg.tensor(new Float32Array(5), [2, 3])).toThrow(/tensor: 5 values do not fill shape \[2, 3\]/);
    expect(() => gg.zeros([2, -1])).toThrow('zeros: shape must be a list of integers >= 0, got [2, -1]');
    expect(() => gg.arange(0, 5, 0)).toThrow(/arange: step must be/);
    await expect(gg.tensor([1, 2]).item()).rejects.toThrow(/item: tensor has shape \[2\]/);
  });

  it('rejects unknown dtypes and bad shapes up front, naming the op and the value: nothing leaks, no kernel is built', async () => {
    const rt = gg.runtime();
    const x = gg.tensor([1.5, -2]);
    const before = rt.memory().liveBuffers;
    const bad = (dtype: string) => ({ dtype: dtype as gg.DType });
    const cases: [() => unknown, string][] = [
      [() => x.to('float32' as gg.DType), "cast: unknown dtype 'float32' (did you mean 'f32'?); the dtypes are 'f32', 'i32', 'u32'"],
      [() => gg.cast(x, undefined as unknown as gg.DType), 'cast: unknown dtype undefined'],
      [() => gg.full([3], 1, bad('f16')), "full: unknown dtype 'f16'; the dtypes are"],
      [() => gg.tensor([1, 2], bad('f16')), "tensor: unknown dtype 'f16'"],
      [() => gg.tensor(new Float32Array(2), [2], bad('int32')), "tensor: unknown dtype 'int32' (did you mean 'i32'?)"],
      [() => gg.zeros([2], bad('float')), "zeros: unknown dtype 'float' (did you mean 'f32'?)"],
      [() => gg.onesLike(x, bad('uint32')), "unknown dtype 'uint32' (did you mean 'u32'?)"],
      [() => gg.arange(3, undefined, 1, bad('f64')), "arange: unknown dtype 'f64'"],
      [() => gg.linspace(0, 1, 3, bad('bf16')), "linspace: unknown dtype 'bf16'"],
      [() => gg.randint(0, 3, [2], bad('i64')), "randint: unknown dtype 'i64'"],
      [() => gg.rand([2], bad('half')), "rand: unknown dtype 'half'"],
      [() => gg.zeros([-1]), 'zeros: shape must be a list of integers >= 0, got [-1]'],
      [() => gg.zeros([NaN]), 'zeros: shape must be a list of integers >= 0, got [NaN]'],
      [() => gg.ones([2, 1.5]), 'ones: shape must be a list of integers >= 0, got [2, 1.5]'],
      [() => gg.full(3 as unknown as number[], 0), 'full: shape must be a list of integers >= 0, got 3'],
      [() => gg.full([Infinity], 0), 'full: shape must be a list of integers >= 0, got [Infinity]'],
      [() => gg.tensor(new Float32Array(2), [2, NaN]), 'tensor: shape must be a list of integers >= 0, got [2, NaN]'],
      [() => gg.arange(NaN), 'arange: start and end must be finite numbers, got start 0 and end NaN'],
      [() => gg.randn([NaN]), 'randn: shape must be a list of integers >= 0, got [NaN]'],
      [() => gg.randint(0, 2, [-3]), 'randint: shape must be a list of integers >= 0, got [-3]'],
      [() => x.reshape('2' as unknown as number[]), 'reshape: shape must be a list of integers or integers one by one (one may be -1), got 2 (inputs: [2] f32)'],
      [() => x.reshape(1, [2] as unknown as number), 'reshape: shape must be a list of integers or integers one by one (one may be -1), got 1, 2 (inputs: [2] f32)'],
      [() => x.reshape([NaN]), 'reshape: cannot reshape 2 elements into [NaN]'],
      [() => x.expand(4 as unknown as number[]), 'expand: shape must be a list of integers (-1 keeps a dimension), got 4'],
      [() => gg.tensor([1.5], { dtype: 'i32' }), 'tensor: value 1.5 at flat position 0 does not fit dtype i32 (integers in [-2147483648, 2147483648))'],
      [() => gg.tensor([[0, 1], [2, NaN]], { dtype: 'i32' }), 'tensor: value NaN at flat position 3 does not fit dtype i32'],
      [() => gg.tensor([-1], { dtype: 'u32' }), 'tensor: value -1 at flat position 0 does not fit dtype u32 (integers in [0, 4294967296))'],
      [() => gg.tensor(new Float32Array([2 ** 31]), [1], { dtype: 'i32' }), 'tensor: value 2147483648 at flat position 0 does not fit dtype i32'],
    ];
    for (const [fn, message] of cases) {
      for (let repeat = 0; repeat < 2; repeat++) expect(fn).toThrow(message);
    }
    expect(rt.memory().liveBuffers).toBe(before);
    // No WGSL was built for a bad dtype, so no GPU error waits to poison the next, unrelated read.
    expect(Array.from(await x.data())).toEqual([1.5, -2]);
    const ints = gg.tensor([3, -4], { dtype: 'i32' });
    expect(Array.from(await ints.data())).toEqual([3, -4]);
    for (const t of [x, ints]) t.dispose();
  });
});
