// Indexing and joining ops against the float64 reference: slice, pad, concat, stack, split, chunk,
// gather, indexSelect and oneHot. Values and finite-difference gradients on odd shapes, negative
// axes and indices, i32 data, bit-identical scatter-adds, gradients of gradients, named errors, and
// out-of-range indices reported by the next read (Runtime.checkIndices) without leaking buffers.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp, expectClose } from '../helpers/check.js';
import { concatRef, gatherRef, indexSelectRef, padModeRef, padRef, sliceRef, stackRef, type Range } from '../helpers/op-references.js';
import { ref, size, type Ref } from '../helpers/reference.js';

// ---- helpers -------------------------------------------------------------------------------------

/** Deterministic pseudo-random integers in [lo, hi) (includes repeats for small ranges). */
function randomInts(n: number, lo: number, hi: number, seed: number): Int32Array {
  let s = seed;
  return Int32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return lo + (s % (hi - lo));
  });
}

/** Reads tensors back as plain arrays, then disposes them. */
async function readAll(tensors: gg.Tensor[]): Promise<number[][]> {
  const values = await Promise.all(tensors.map(async (t) => [...(await t.data())]));
  for (const t of tensors) t.dispose();
  return values;
}

// ---- slice ---------------------------------------------------------------------------------------

describe('slice', () => {
  const cases: [number[], Range[]][] = [
    [[17], [[3, 15, 1]]],
    [[17], [[-5, null, 1]]],
    [[17], [[1, -2, 4]]],
    [[65, 3], [[null, null, 8], [1, null, 1]]],
    [[3, 129], [null, [-100, 120, 7]]],
    [[2, 3, 17], [[1, 2, 1], [-3, -1, 1], [0, 17, 2]]],
    [[3, 5], [[5, 9, 1], null]],
    [[4, 6], [[-10, 10, 3], [4, 2, 1]]],
  ];
  for (const [shape, ranges] of cases) {
    it(`${JSON.stringify(shape)} ${JSON.stringify(ranges)}`, async () => {
      await checkOp({ inputs: [shape], gpu: (x) => x.slice(ranges), ref: (x) => sliceRef(x, ranges) });
    });
  }

  it('one axis at a time, negative axis and default end', async () => {
    await checkOp({ inputs: [[5, 17]], gpu: (x) => gg.slice(x, -1, 2, null, 3), ref: (x) => sliceRef(x, [null, [2, null, 3]]) });
    await checkOp({ inputs: [[5, 17]], gpu: (x) => x.slice(0, -2), ref: (x) => sliceRef(x, [[-2, null, 1], null]) });
    await checkOp({ inputs: [[1, 3]], gpu: (x) => x.slice(1, 1, 2), ref: (x) => sliceRef(x, [null, [1, 2, 1]]) });
  });

  it('the whole tensor is a view; i32 data slices exactly', async () => {
    const x = gg.tensor(Int32Array.from({ length: 24 }, (_, i) => i * 7 - 50), [4, 6]);
    const [whole, part] = await readAll([x.slice([null, [0, null, 1]]), x.slice([[1, 4, 2], [-1, null, 1]])]);
    expect(whole).toEqual([...(await x.data())]);
    expect(part).toEqual([6 * 1 + 5, 6 * 3 + 5].map((i) => i * 7 - 50));
    x.dispose();
  });
});

// ---- pad -----------------------------------------------------------------------------------------

describe('pad', () => {
  const cases: [number[], number[], number][] = [
    [[17], [2, 3], 0],
    [[3, 5], [1, 0, 0, 2], 0.5],
    [[2, 3, 17], [0, 1, 2, 0, 1, 1], -1],
    [[65], [-3, 4], 0],
    [[3, 129], [-128, -1, 1, -1], 2],
    [[1, 4], [], 0],
    [[3, 3], [-2, 5], 0],
  ];
  for (const [shape, pads, value] of cases) {
    it(`${JSON.stringify(shape)} pads ${JSON.stringify(pads)} value ${value}`, async () => {
      await checkOp({ inputs: [shape], gpu: (x) => x.pad(pads, value), ref: (x) => padRef(x, pads, value) });
    });
  }

  it('pads i32 tensors with an integer value', async () => {
    const x = gg.tensor(new Int32Array([1, -2, 3]), [1, 3]);
    const [out] = await readAll([gg.pad(x, [1, 0, 1, 1], -7)]);
    expect(out).toEqual([-7, -7, -7, -7, -7, 1, -2, 3, -7, -7, -7, -7]);
    x.dispose();
  });
});

describe('pad modes', () => {
  // [shape, pads, mode]: 1, 2 and 3 padded dimensions, batched and unbatched, odd sizes, crops.
  const cases: [number[], number[], 'reflect' | 'replicate' | 'circular'][] = [
    [[2, 7], [3, 6], 'reflect'],
    [[2, 3, 5], [4, 1], 'reflect'],
    [[1, 2, 5, 3], [2, 1, 0, 4], 'reflect'],
    [[3, 4, 5], [-1, 2, 3, -2], 'reflect'],
    [[1, 2, 3, 4, 5], [1, 2, 2, 0, 1, 1], 'reflect'],
    [[2, 5], [7, 0], 'replicate'],
    [[2, 3, 1, 4], [2, 3, 5, 1], 'replicate'],
    [[3, 4, 5], [-2, 3, 1, -3], 'replicate'],
    [[1, 3, 2, 3], [1, 1, 2, 1, 0, 1], 'replicate'],
    [[2, 3, 5], [5, 2], 'circular'],
    [[1, 2, 3, 5], [2, 1, 3, 3], 'circular'],
    [[3, 6], [2, -1], 'circular'],
    [[2, 3, 3, 4], [1, 0, 2, 2, 1, 3], 'circular'],
  ];
  for (const [shape, pads, mode] of cases) {
    it(`${mode} ${JSON.stringify(shape)} pads ${JSON.stringify(pads)}`, async () => {
      await checkOp({ inputs: [shape], gpu: (x) => gg.pad(x, pads, mode), ref: (x) => padModeRef(x, pads, mode) });
    });
  }

  it("gives torch.nn.functional.pad's values, negative amounts included", async () => {
    // Printed by PyTorch for x = arange(5) as [1, 1, 5].
    const expected: [number[], 'reflect' | 'replicate' | 'circular', number[]][] = [
      [[-1, 2], 'reflect', [1, 2, 3, 4, 3, 2]],
      [[2, -1], 'reflect', [2, 1, 0, 1, 2, 3]],
      [[4, 0], 'reflect', [4, 3, 2, 1, 0, 1, 2, 3, 4]],
      [[-5, 1], 'reflect', [3]],
      [[-1, 2], 'replicate', [1, 2, 3, 4, 4, 4]],
      [[6, 0], 'replicate', [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4]],
      [[-5, 1], 'replicate', [4]],
      [[-1, 2], 'circular', [1, 2, 3, 4, 1, 2]],
      [[2, -1], 'circular', [2, 3, 0, 1, 2, 3]],
      [[0, 5], 'circular', [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]],
    ];
    const x = gg.arange(0, 5).reshape([1, 1, 5]);
    for (const [pads, mode, values] of expected) {
      const [out] = await readAll([x.pad(pads, mode)]);
      expect(out, `${mode} ${JSON.stringify(pads)}`).toEqual(values);
    }
    x.dispose();
  });

  it('pads i32 tensors, and gives a view for zero amounts', async () => {
    const x = gg.tensor(new Int32Array([1, -2, 3]), [1, 3]);
    const [out] = await readAll([gg.pad(x, [2, 1], 'reflect')]);
    expect(out).toEqual([3, -2, 1, -2, 3, -2]);
    const same = gg.pad(x, [0, 0], 'replicate');
    expect(same.buffer).toBe(x.buffer);
    same.dispose();
    x.dispose();
  });

  it('names the mode, the amounts and the shape on bad input', () => {
    gg.scope(() => {
      const x = gg.ones([2, 3, 4]);
      expect(() => x.pad([4, 0], 'reflect')).toThrow('pad: reflect padding [4, 0] on dimension 2 (size 4) must be less than the size (inputs: [2, 3, 4] f32)');
      expect(() => x.pad([0, 1, 3, 1], 'reflect')).toThrow('pad: reflect padding [3, 1] on dimension 1 (size 3) must be less than the size');
      expect(() => x.pad([5, 0], 'circular')).toThrow('pad: circular padding [5, 0] on dimension 2 (size 4) must be at most the size (inputs: [2, 3, 4] f32)');
      expect(() => x.pad([3, -2], 'circular')).toThrow('pad: circular padding [3, -2] on dimension 2 (size 4) must be at most the size after the crop (2)');
      expect(() => x.pad([-4, 0], 'replicate')).toThrow("pad: mode 'replicate' with [-4, 0] on dimension 2 (size 4) leaves no places");
      expect(() => x.pad([1, 1, 1, 1, 1, 1], 'replicate')).toThrow("pad: mode 'replicate' pads the last 1, 2 or 3 dimensions of a tensor with 1 or 2 more; got pads [1, 1, 1, 1, 1, 1] for rank 3");
      expect(() => gg.ones([4]).pad([1, 1], 'reflect')).toThrow("pad: mode 'reflect' pads the last 1, 2 or 3 dimensions");
      expect(() => gg.ones([1, 1, 1, 4]).pad([1, 1], 'circular')).toThrow("pad: mode 'circular' pads the last 1, 2 or 3 dimensions");
      expect(() => x.pad([1, 1], 'reflect', 0)).toThrow("pad: mode 'reflect' takes no value (got 0)");
      expect(() => x.pad([1, 1], 'wrap' as gg.PadMode)).toThrow("pad: mode must be 'constant', 'reflect', 'replicate', 'circular', got 'wrap'");
    });
  });
});

// ---- concat and stack ----------------------------------------------------------------------------

describe('concat and stack', () => {
  const cases: [number[][], number][] = [
    [[[3], [17], [1]], 0],
    [[[2, 3], [5, 3]], 0],
    [[[3, 17], [3, 1], [3, 65]], 1],
    [[[2, 3, 5], [2, 1, 5], [2, 4, 5]], -2],
    [[[2, 3, 4], [2, 3, 0], [2, 3, 1]], -1],
    [[[129, 2]], 0],
  ];
  for (const [shapes, axis] of cases) {
    it(`concat ${JSON.stringify(shapes)} on axis ${axis}`, async () => {
      const a = axis < 0 ? axis + shapes[0].length : axis;
      await checkOp({ inputs: shapes, gpu: (...xs) => gg.concat(xs, axis), ref: (...xs) => concatRef(xs, a) });
    });
  }

  it('concat routes gradients to the same tensor twice, and only to inputs that need them', async () => {
    await checkOp({ inputs: [[3, 4]], gpu: (x) => gg.concat([x, x.mul(2), x], 1), ref: (x) => concatRef([x, { ...x, data: x.data.map((v) => 2 * v) }, x], 1) });
    const constant = gg.ones([2, 4]);
    await checkOp({ inputs: [[3, 4]], gpu: (x) => gg.concat([constant, x], 0), ref: (x) => concatRef([ref([2, 4], () => 1), x], 0) });
    constant.dispose();
  });

  for (const axis of [0, 1, 2, -1]) {
    it(`stack three [3, 5] on axis ${axis}`, async () => {
      await checkOp({ inputs: [[3, 5], [3, 5], [3, 5]], gpu: (...xs) => gg.stack(xs, axis), ref: (...xs) => stackRef(xs, axis) });
    });
  }

  it('joins i32 tensors exactly', async () => {
    const a = gg.tensor(new Int32Array([1, 2, 3, 4]), [2, 2]);
    const b = gg.tensor(new Int32Array([-5, -6]), [2, 1]);
    const scalar = gg.full([], -9, { dtype: 'i32' });
    const [joined, stacked, scalars] = await readAll([gg.concat([a, b], 1), gg.stack([a, a], 2), gg.stack([scalar, scalar, scalar])]);
    expect(joined).toEqual([1, 2, -5, 3, 4, -6]);
    expect(stacked).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(scalars).toEqual([-9, -9, -9]);
    scalar.dispose();
    a.dispose();
    b.dispose();
  });
});

// ---- split and chunk -----------------------------------------------------------------------------

describe('split and chunk', () => {
  it('split by sizes; unused pieces get zero gradient', async () => {
    await checkOp({
      inputs: [[3, 17]],
      gpu: (x) => {
        const [a, , c] = x.split([5, 2, 10], 1);
        return gg.concat([c, a], -1);
      },
      ref: (x) => concatRef([sliceRef(x, [null, [7, 17, 1]]), sliceRef(x, [null, [0, 5, 1]])], 1),
    });
  });

  it('split by piece size leaves a short last piece', async () => {
    const x = gg.tensor(Float32Array.from({ length: 17 }, (_, i) => i));
    const pieces = gg.split(x, 5);
    expect(pieces.map((p) => p.shape[0])).toEqual([5, 5, 5, 2]);
    const values = await readAll(pieces);
    expect(values.flat()).toEqual([...Array(17).keys()]);
    for (let i = 0; i < 4; i++) {
      await checkOp({ inputs: [[65, 2]], gpu: (t) => t.split(17, 0)[i], ref: (t) => sliceRef(t, [[17 * i, 17 * i + 17, 1], null]) });
    }
    x.dispose();
  });

  it('chunk matches torch.chunk piece sizes', () => {
    gg.scope(() => {
      const sizes = (n: number, chunks: number) => gg.zeros([2, n]).chunk(chunks, -1).map((p) => p.shape[1]);
      expect(sizes(5, 4)).toEqual([2, 2, 1]);
      expect(sizes(6, 3)).toEqual([2, 2, 2]);
      expect(sizes(17, 5)).toEqual([4, 4, 4, 4, 1]);
      expect(sizes(1, 3)).toEqual([1]);
      expect(sizes(0, 3)).toEqual([0, 0, 0]);
      expect(gg.zeros([0]).split(4).map((p) => p.shape[0])).toEqual([0]);
    });
  });

  it('chunk three ways (attention q, k, v) with gradients', async () => {
    await checkOp({
      inputs: [[5, 3 * 7]],
      gpu: (x) => {
        const [q, k, v] = x.chunk(3, 1);
        return q.mul(k).add(v);
      },
      ref: (x) => {
        const [q, k, v] = [0, 1, 2].map((i) => sliceRef(x, [null, [7 * i, 7 * i + 7, 1]]));
        return ref([5, 7], (i) => q.data[i] * k.data[i] + v.data[i]);
      },
    });
  });

  it('splits i32 tensors exactly', async () => {
    const x = gg.tensor(new Int32Array([9, -8, 7, -6, 5]));
    expect(await readAll(x.split([1, 4]))).toEqual([[9], [-8, 7, -6, 5]]);
    x.dispose();
  });
});

// ---- gather and indexSelect ----------------------------------------------------------------------

describe('gather', () => {
  const cases: [number[], number, number[]][] = [
    [[17], 0, [40]],
    [[5, 17], 1, [5, 1]],
    [[5, 17], 0, [9, 17]],
    [[3, 4, 65], -1, [3, 2, 7]],
    [[3, 4, 5], 1, [2, 9, 3]],
    [[129, 3], -2, [129, 3]],
  ];
  for (const [shape, axis, indexShape] of cases) {
    it(`x ${JSON.stringify(shape)} axis ${axis} index ${JSON.stringify(indexShape)} (repeated indices)`, async () => {
      const a = axis < 0 ? axis + shape.length : axis;
      const values = randomInts(size(indexShape), 0, shape[a], 7 + a);
      const index = gg.tensor(values, indexShape);
      await checkOp({ inputs: [shape], gpu: (x) => x.gather(axis, index), ref: (x) => gatherRef(x, a, values, indexShape) });
      index.dispose();
    });
  }

  it('with checkIndices off, clamps out-of-range indices into the axis without an error', async () => {
    const values = new Int32Array([-3, 0, 4, 99, -1, 2]);
    const index = gg.tensor(values, [2, 3]);
    await withoutIndexChecks(() =>
      checkOp({ inputs: [[2, 5]], gpu: (x) => gg.gather(x, 1, index), ref: (x) => gatherRef(x, 1, values, [2, 3]) }),
    );
    index.dispose();
  });

  it('gathers i32 data exactly', async () => {
    const x = gg.tensor(new Int32Array([10, 11, 12, 20, 21, 22]), [2, 3]);
    const index = gg.tensor(new Int32Array([2, 2, 0, 1]), [2, 2]);
    expect(await readAll([x.gather(1, index)])).toEqual([[12, 12, 20, 21]]);
    x.dispose();
    index.dispose();
  });
});

describe('indexSelect', () => {
  const cases: [number[], number, number][] = [
    [[17, 3], 0, 40],
    [[65, 5], 0, 300],
    [[3, 17, 2], 1, 17],
    [[3, 5], -1, 1],
    [[2, 129], 1, 129],
    [[4, 2], 0, 0],
  ];
  for (const [shape, axis, count] of cases) {
    it(`x ${JSON.stringify(shape)} axis ${axis}, ${count} indices (repeated)`, async () => {
      const a = axis < 0 ? axis + shape.length : axis;
      const values = randomInts(count, 0, shape[a], 3 + count);
      const index = gg.tensor(values, [count], { dtype: 'i32' });
      await checkOp({ inputs: [shape], gpu: (x) => x.indexSelect(axis, index), ref: (x) => indexSelectRef(x, a, values) });
      index.dispose();
    });
  }

  it('with checkIndices off, clamps out-of-range indices; selects i32 rows exactly', async () => {
    const values = new Int32Array([7, -2, 1, 1]);
    const index = gg.tensor(values);
    await withoutIndexChecks(() => checkOp({ inputs: [[3, 4]], gpu: (x) => x.indexSelect(0, index), ref: (x) => indexSelectRef(x, 0, values) }));
    const table = gg.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [3, 2]);
    const column = gg.tensor(new Int32Array([1]));
    const inRange = gg.tensor(new Int32Array([2, 0, 1, 1]));
    expect(await readAll([table.indexSelect(0, inRange), table.indexSelect(1, column)])).toEqual([
      [5, 6, 1, 2, 3, 4, 3, 4],
      [2, 4, 6],
    ]);
    inRange.dispose();
    table.dispose();
    column.dispose();
    index.dispose();
  });
});

describe('the scatter-adds of the backward passes', () => {
  /** Gradient of sum(op(x) * weights) for x of `shape`, read back as raw bits. */
  async function gradientBits(shape: number[], op: (x: gg.Tensor) => gg.Tensor, weightSeed: number): Promise<Uint32Array> {
    const x = gg.zeros(shape, { requiresGrad: true });
    gg.scope(() => {
      const y = op(x);
      const weights = gg.tensor(Float32Array.from({ length: y.size }, (_, i) => Math.sin(i * 12.9898 + weightSeed) * 1e3), y.shape);
      y.mul(weights).sum().backward();
    });
    const bits = new Uint32Array((await x.grad!.data()).buffer);
    x.dispose();
    return bits;
  }

  /** The weight gradientBits puts on output element i. */
  const weight = (i: number, weightSeed: number) => Math.fround(Math.sin(i * 12.9898 + weightSeed) * 1e3);

  /**
   * indexAdd of gradientBits' weights ([count, inner]) into [rows, inner] on the host: float32 sums
   * in increasing position (what the kernels must give bit for bit) and float64 sums.
   */
  function positionOrderSums(tokens: Int32Array, rows: number, inner: number, weightSeed: number): [Float32Array, Float64Array] {
    const f32 = new Float32Array(rows * inner);
    const f64 = new Float64Array(rows * inner);
    tokens.forEach((token, l) => {
      const row = Math.min(Math.max(token, 0), rows - 1);
      for (let c = 0; c < inner; c++) {
        const w = weight(l * inner + c, weightSeed);
        f32[row * inner + c] = Math.fround(f32[row * inner + c] + w);
        f64[row * inner + c] += w;
      }
    });
    return [f32, f64];
  }

  /** The dispatches of indexSelect's backward alone, for an index of `count` into [rows, inner]. */
  async function backwardDispatches(rows: number, inner: number, index: gg.Tensor): Promise<number> {
    const x = gg.zeros([rows, inner], { requiresGrad: true });
    const y = x.indexSelect(0, index);
    const g = gg.ones(y.shape);
    await Promise.all([y.data(), g.data()]);
    const before = gg.runtime().counters.dispatches;
    const [dx] = gg.grad(y, [x], g);
    const dispatches = gg.runtime().counters.dispatches - before;
    for (const t of [x, y, g, dx]) t.dispose();
    return dispatches;
  }

  // The sort keeps 2048 keys per workgroup (SORT_BLOCK in src/ops/bitonic.ts): up to that one
  // dispatch sorts, beyond it each stage of s = log2(padded / 2048) adds its global passes and a merge.
  // These sizes pass scanIndexAddReads on the software adapter, which CI runs, so they sort there;
  // a GPU scans them in one dispatch. [what, rows, inner, tokens, sort dispatches]
  const sortCases: [string, number, number, Int32Array, number][] = [
    ['1 position', 65537, 1, new Int32Array([65536]), 2],
    ['700 positions: one short block', 9, 12, randomInts(700, 0, 9, 700), 2],
    ['2048 positions: one full block', 9, 4, randomInts(2048, 0, 9, 2048), 2],
    ['2049 positions: one stage across blocks', 9, 4, randomInts(2049, 0, 9, 2049), 4],
    ['4099 positions: two stages', 9, 4, randomInts(4099, 0, 9, 4099), 7],
    ['9000 positions: three stages', 13, 4, randomInts(9000, 0, 13, 9000), 11],
    ['2049 positions, all the same row', 9, 4, new Int32Array(2049).fill(4), 4],
  ];
  for (const [what, rows, inner, tokens, sortDispatches] of sortCases) {
    it(`add in position order, the float32 sums of a host loop bit for bit: ${what}`, async () => {
      const index = gg.tensor(tokens);
      const bits = await gradientBits([rows, inner], (x) => x.indexSelect(0, index), 1);
      const [f32, f64] = positionOrderSums(tokens, rows, inner, 1);
      expect(bits).toEqual(new Uint32Array(f32.buffer));
      expectClose(new Float32Array(bits.buffer), f64, 0.05, 1e-5, `index-add of ${what}`);
      const software = gg.runtime().adapterInfo.isFallbackAdapter;
      expect(await backwardDispatches(rows, inner, index)).toBe(software ? sortDispatches : 1);
      index.dispose();
    });
  }

  it('scan few rows and positions in one dispatch, in position order too', async () => {
    // 36 x 1000 reads scan on every adapter.
    const tokens = randomInts(1000, 0, 9, 1000);
    const index = gg.tensor(tokens);
    const bits = await gradientBits([9, 4], (x) => x.indexSelect(0, index), 1);
    expect(bits).toEqual(new Uint32Array(positionOrderSums(tokens, 9, 4, 1)[0].buffer));
    expect(await backwardDispatches(9, 4, index)).toBe(1);
    index.dispose();
  });

  it('sorting, clamp an index out of range with checks off, and report it with checks on', async () => {
    const tokens = randomInts(2049, 0, 9, 5);
    tokens[3] = -1;
    tokens[2000] = 99;
    const index = gg.tensor(tokens);
    const bits = await withoutIndexChecks(() => gradientBits([9, 4], (x) => x.indexSelect(0, index), 2));
    expect(bits).toEqual(new Uint32Array(positionOrderSums(tokens, 9, 4, 2)[0].buffer));
    const x = gg.zeros([9, 4], { requiresGrad: true });
    const selected = await withoutIndexChecks(async () => x.indexSelect(0, index));
    selected.sum().backward();
    // Either bad index may be the first reported: invocations of one dispatch race for the flag.
    await expect(x.grad!.data()).rejects.toThrow(/^indexSelect backward: index (-1|99) is out of range for dimension 0 of size 9 \(inputs: \[9, 4\] f32, \[2049\] i32\)/);
    for (const t of [x, index, selected]) t.dispose();
  });

  it('are bit-identical run to run and match a float64 sum (embedding rows hit thousands of times)', async () => {
    const tokens = randomInts(3000, 0, 9, 11);
    const index = gg.tensor(tokens);
    const first = await gradientBits([9, 4], (x) => x.indexSelect(0, index), 1);
    const second = await gradientBits([9, 4], (x) => x.indexSelect(0, index), 1);
    expect(second).toEqual(first);
    const expected = new Float64Array(36);
    tokens.forEach((row, l) => {
      for (let c = 0; c < 4; c++) expected[row * 4 + c] += Math.fround(Math.sin((l * 4 + c) * 12.9898 + 1) * 1e3);
    });
    expectClose(new Float32Array(first.buffer), expected, 0.05, 1e-5, 'index-add');

    const gatherIndex = gg.tensor(randomInts(2 * 500, 0, 3, 5), [2, 500]);
    const a = await gradientBits([2, 3], (x) => x.gather(1, gatherIndex), 2);
    const b = await gradientBits([2, 3], (x) => x.gather(1, gatherIndex), 2);
    expect(b).toEqual(a);
    index.dispose();
    gatherIndex.dispose();
  });

  it('are differentiable: gradients of gradients give back the forward op', async () => {
    // For a linear op L, grad(L(x), x, v) = L^T v, whose gradient with respect to v is L applied to the weights.
    const cases: [number[], (x: gg.Tensor) => gg.Tensor, (w: Ref) => Ref][] = [];
    const selectIndex = new Int32Array([2, 0, 2, 2, 1]);
    const gatherIndex = new Int32Array([1, 1, 0, 3, 3, 3]);
    const index = gg.tensor(selectIndex);
    const index2 = gg.tensor(gatherIndex, [3, 2]);
    cases.push([[3, 4], (x) => x.indexSelect(0, index), (w) => indexSelectRef(w, 0, selectIndex)]);
    cases.push([[3, 4], (x) => x.gather(1, index2), (w) => gatherRef(w, 1, gatherIndex, [3, 2])]);
    cases.push([[4, 5], (x) => x.slice([[1, null, 2], [-4, -1, 1]]), (w) => sliceRef(w, [[1, null, 2], [-4, -1, 1]])]);
    cases.push([[4, 5], (x) => x.pad([-1, 2, 1, -2], 0), (w) => padRef(w, [-1, 2, 1, -2], 0)]);
    cases.push([[2, 4, 5], (x) => x.pad([3, 1, 2, 0], 'reflect'), (w) => padModeRef(w, [3, 1, 2, 0], 'reflect')]);
    for (const [shape, op, forwardRef] of cases) {
      const x = gg.zeros(shape, { requiresGrad: true });
      const outShape = gg.scope(() => op(x).shape);
      // Reference for L^T v: the transpose of the forward reference, built column by column.
      const transposeRef = (v: Ref): Ref =>
        ref(shape, (i) => {
          const unit = ref(shape, (j) => (j === i ? 1 : 0));
          const column = forwardRef(unit);
          return column.data.reduce((s, c, j) => s + c * v.data[j], 0);
        });
      await checkOp({
        inputs: [[...outShape]],
        gpu: (v) => gg.grad(op(x), [x], v, { createGraph: true })[0],
        ref: transposeRef,
      });
      x.dispose();
    }
    index.dispose();
    index2.dispose();
  });
});

// ---- index checks --------------------------------------------------------------------------------

/** Runs `fn` with the GPU index checks off (the speed switch), restoring them after. */
async function withoutIndexChecks<T>(fn: () => Promise<T>): Promise<T> {
  const rt = gg.runtime();
  rt.checkIndices = false;
  try {
    return await fn();
  } finally {
    rt.checkIndices = true;
  }
}

describe('out-of-range indices are reported at the next read', () => {
  it('gather: names the op, the index, the axis and the shapes; the flag then clears', async () => {
    const x = gg.tensor([[1, 2, 3, 4, 5]]);
    const index = gg.tensor(new Int32Array([0, 99]), [1, 2]);
    const y = x.gather(1, index);
    await expect(y.data()).rejects.toThrow('gather: index 99 is out of range for dimension 1 of size 5 (inputs: [1, 5] f32, [1, 2] i32)');
    expect(Array.from(await x.data())).toEqual([1, 2, 3, 4, 5]);
    for (const t of [x, index, y]) t.dispose();
  });

  it('indexSelect -1 does not read row 0; the error rides on the next read of any tensor, without an extra readback', async () => {
    const rt = gg.runtime();
    const table = gg.tensor([[1, 2], [3, 4], [5, 6]]);
    const index = gg.tensor(new Int32Array([1, -1]));
    const unrelated = gg.tensor([7, 8]);
    const rows = table.indexSelect(0, index);
    const before = rt.counters.readbacks;
    await expect(unrelated.data()).rejects.toThrow('indexSelect: index -1 is out of range for dimension 0 of size 3 (inputs: [3, 2] f32, [2] i32)');
    expect(rt.counters.readbacks).toBe(before + 1);
    expect(Array.from(await unrelated.data())).toEqual([7, 8]);
    for (const t of [table, index, unrelated, rows]) t.dispose();
  });

  it('indexSelect on other axes and i32 data; in-range indices raise nothing', async () => {
    const x = gg.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const good = gg.tensor(new Int32Array([2, 0]));
    const bad = gg.tensor(new Int32Array([0, 3]));
    const fine = x.indexSelect(1, good);
    expect(Array.from(await fine.data())).toEqual([3, 1, 6, 4]);
    const picked = x.indexSelect(1, bad);
    await expect(picked.data()).rejects.toThrow('indexSelect: index 3 is out of range for dimension 1 of size 3 (inputs: [2, 3] i32, [2] i32)');
    for (const t of [x, good, bad, fine, picked]) t.dispose();
  });

  it('the backward kernels check their indices too (scatter-add of gather, index-add of indexSelect)', async () => {
    const x = gg.zeros([2, 3], { requiresGrad: true });
    const gatherIndex = gg.tensor(new Int32Array([0, 7, 1, 2]), [2, 2]);
    const selectIndex = gg.tensor(new Int32Array([1, 5]));
    // The forward passes run unchecked, so only the backward kernels see the bad indices.
    const [picked, selected] = await withoutIndexChecks(async () => [x.gather(1, gatherIndex), x.indexSelect(0, selectIndex)]);
    picked.sum().backward();
    await expect(x.grad!.data()).rejects.toThrow('gather backward: index 7 is out of range for dimension 1 of size 3 (inputs: [2, 3] f32, [2, 2] i32)');
    x.grad!.dispose();
    x.grad = null;
    selected.sum().backward();
    await expect(x.grad!.data()).rejects.toThrow('indexSelect backward: index 5 is out of range for dimension 0 of size 2 (inputs: [2, 3] f32, [2] i32)');
    for (const t of [x, gatherIndex, selectIndex, picked, selected]) t.dispose();
  });

  it('ops built on them name themselves: Embedding', async () => {
    const layer = new gg.nn.Embedding(5, 3, { generator: new gg.Generator(1) });
    const tokens = gg.tensor(new Int32Array([1, 99, 2, 0]), [2, 2]);
    const out = layer.forward(tokens);
    await expect(out.data()).rejects.toThrow('Embedding: index 99 is out of range for a table of 5 rows (inputs: [5, 3] f32, [2, 2] i32)');
    out.dispose();
    tokens.dispose();
    layer.weight.dispose();
  });

  it('leaves no buffer behind on the error paths (a bad index, a gather from a size-0 axis)', async () => {
    const rt = gg.runtime();
    const x = gg.ones([4, 2]);
    const empty = gg.zeros([2, 0]);
    const index = gg.tensor(new Int32Array([9]));
    const zeroIndex = gg.zeros([2, 1], { dtype: 'i32' });
    const before = rt.memory().liveBuffers;
    for (let i = 0; i < 3; i++) {
      expect(() => empty.gather(1, zeroIndex)).toThrow('gather: cannot pick from axis 1 of size 0 (inputs: [2, 0] f32, [2, 1] i32)');
      expect(() => empty.indexSelect(1, index)).toThrow('indexSelect: cannot pick from axis 1 of size 0');
    }
    expect(rt.memory().liveBuffers).toBe(before);
    const total = gg.scope(() => x.indexSelect(0, index).sum());
    await expect(total.data()).rejects.toThrow('indexSelect: index 9 is out of range');
    total.dispose();
    expect(rt.memory().liveBuffers).toBe(before);
    for (const t of [x, empty, index, zeroIndex]) t.dispose();
  });
});

// ---- oneHot --------------------------------------------------------------------------------------

describe('oneHot', () => {
  it('adds a class axis of f32 0/1; out-of-range indices give zero rows', async () => {
    const index = gg.tensor(new Int32Array([0, 2, 1, 2, -1, 3]), [2, 3]);
    const encoded = gg.oneHot(index, 3);
    expect(encoded.shape).toEqual([2, 3, 3]);
    expect(encoded.dtype).toBe('f32');
    expect(await readAll([encoded, index.oneHot(1)])).toEqual([
      [1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
      [1, 0, 0, 0, 0, 0],
    ]);
    index.dispose();
  });
});

// ---- errors --------------------------------------------------------------------------------------

describe('bad input gets a named error', () => {
  it('names the op, the shapes and what was expected', () => {
    gg.scope(() => {
      const x = gg.ones([2, 3]);
      const i32 = gg.tensor(new Int32Array([0, 1]));
      expect(() => gg.concat([x, gg.ones([3, 3])], 1)).toThrow('concat: shapes must match except along axis 1 (inputs: [2, 3] f32, [3, 3] f32)');
      expect(() => gg.concat([x, gg.ones([2, 3, 1])])).toThrow(/concat: shapes must match .*\[2, 3, 1\]/);
      expect(() => gg.concat([x, gg.ones([2, 3], { dtype: 'i32' })])).toThrow('concat: dtypes differ');
      expect(() => gg.concat([])).toThrow('concat: needs at least one tensor');
      expect(() => gg.concat([gg.ones([])])).toThrow('concat: needs tensors with at least one dimension (inputs: [] f32)');
      expect(() => gg.concat([x, x], 2)).toThrow('concat: axis 2 is out of range for shape [2, 3] (rank 2)');
      expect(() => gg.stack([x, gg.ones([3, 2])])).toThrow('stack: all tensors must have the same shape (inputs: [2, 3] f32, [3, 2] f32)');
      expect(() => gg.stack([x], -4)).toThrow('stack: axis -4 is out of range');
      expect(() => x.slice(2, 0, 1)).toThrow('slice: axis 2 is out of range for shape [2, 3]');
      expect(() => x.slice(1, 0, 3, 0)).toThrow('slice: step must be a positive integer, got 0 on axis 1 (inputs: [2, 3] f32)');
      expect(() => x.slice(1, 0, 3, -1)).toThrow('slice: step must be a positive integer');
      expect(() => x.slice(0, 0.5)).toThrow('slice: bounds must be integers, got 0.5');
      expect(() => x.slice([null, null, null])).toThrow('slice: 3 ranges given for 2 dimensions (inputs: [2, 3] f32)');
      expect(() => x.pad([1])).toThrow('pad: pads [1] must be integers, two per dimension (last dimension first), for at most 2 dimensions (inputs: [2, 3] f32)');
      expect(() => x.pad([1, 1, 1, 1, 1, 1])).toThrow('pad: pads [1, 1, 1, 1, 1, 1] must be integers');
      expect(() => x.pad([0.5, 1])).toThrow('pad: pads [0.5, 1] must be integers');
      expect(() => x.pad([-2, -2])).toThrow('pad: pads [-2, -2] shrink dimension 1 (size 3) to -1 (inputs: [2, 3] f32)');
      expect(() => x.split([1, 1], 1)).toThrow('split: sizes [1, 1] must be integers >= 0 summing to 3, the size of axis 1 (inputs: [2, 3] f32)');
      expect(() => x.split(0)).toThrow('split: piece size must be a positive integer, got 0');
      expect(() => x.chunk(0)).toThrow('chunk: chunks must be a positive integer, got 0 (inputs: [2, 3] f32)');
      expect(() => x.chunk(2, 5)).toThrow('chunk: axis 5 is out of range');
      expect(() => x.gather(1, gg.ones([2, 3]))).toThrow('gather: expected dtype i32, got f32 (inputs: [2, 3] f32)');
      expect(() => x.gather(1, i32)).toThrow("gather: index must have x's rank and no larger sizes than x off axis 1 (inputs: [2, 3] f32, [2] i32)");
      expect(() => x.gather(1, gg.zeros([3, 1], { dtype: 'i32' }))).toThrow("gather: index must have x's rank");
      expect(() => x.gather(-3, gg.zeros([2, 1], { dtype: 'i32' }))).toThrow('gather: axis -3 is out of range for shape [2, 3]');
      expect(() => gg.zeros([2, 0]).gather(1, gg.zeros([2, 1], { dtype: 'i32' }))).toThrow('gather: cannot pick from axis 1 of size 0');
      expect(() => x.indexSelect(0, gg.ones([2]))).toThrow('indexSelect: expected dtype i32, got f32 (inputs: [2] f32)');
      expect(() => x.indexSelect(0, gg.zeros([2, 1], { dtype: 'i32' }))).toThrow('indexSelect: index must be 1-D, got rank 2 (inputs: [2, 3] f32, [2, 1] i32)');
      expect(() => x.indexSelect(2, i32)).toThrow('indexSelect: axis 2 is out of range');
      expect(() => gg.oneHot(gg.ones([2]), 3)).toThrow('oneHot: expected dtype i32, got f32');
      expect(() => gg.oneHot(i32, 0)).toThrow('oneHot: numClasses must be a positive integer, got 0 (inputs: [2] i32)');
    });
  });
});
