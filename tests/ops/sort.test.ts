// sort, argsort and topk against a float64 stable sort in plain JS (tests/helpers/op-references.ts
// sortOrder): lines of 1, 7, 300 and 5000 values (powers of two and not; the longest sort across
// blocks of workgroup memory), dims other than the last, ties, NaN, infinities and signed zeros in
// PyTorch's order, descending, i32 and u32, 0-d and empty tensors; the values' gradients by finite
// differences; the named errors; and live buffers back to their baseline.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { mapLines, sortOrder } from '../helpers/op-references.js';
import { rng, size } from '../helpers/reference.js';

type Values = Float32Array | Int32Array | Uint32Array;

/** Values with many ties, and (for f32) NaN, +-inf and both zeros among them. */
function tiedValues(dtype: gg.DType, count: number, seed: number): Values {
  const next = rng(seed);
  const specials = [Number.NaN, Infinity, -Infinity, -0, 0];
  const draw = () => Math.floor(next() * 9) - 4;
  if (dtype === 'i32') return Int32Array.from({ length: count }, () => (next() < 0.1 ? (next() < 0.5 ? -(2 ** 31) : 2 ** 31 - 1) : draw()));
  if (dtype === 'u32') return Uint32Array.from({ length: count }, () => (next() < 0.2 ? 2 ** 32 - 1 - Math.floor(next() * 3) : draw() + 4));
  return Float32Array.from({ length: count }, () => (next() < 0.15 ? specials[Math.floor(next() * specials.length)] : draw() / 2));
}

/** The lines of `data` (shape `shape`) along `axis`, each as its flat positions. */
function linePositions(shape: readonly number[], axis: number): number[][] {
  const inner = size(shape.slice(axis + 1));
  const n = shape[axis];
  const lines: number[][] = [];
  for (let o = 0; o < size(shape.slice(0, axis)); o++) {
    for (let c = 0; c < inner; c++) lines.push(Array.from({ length: n }, (_, i) => (o * n + i) * inner + c));
  }
  return lines;
}

/** The expected sort of every line: values (as Object.is compares them) and positions, in x's layout. */
function expectedSort(data: Values, shape: readonly number[], axis: number, descending: boolean, k = shape[axis]) {
  const outShape = shape.map((d, a) => (a === axis ? k : d));
  const values = new Array<number>(size(outShape));
  const indices = new Array<number>(size(outShape));
  const inLines = linePositions(shape, axis);
  const outLines = linePositions(outShape, axis);
  inLines.forEach((positions, l) => {
    const order = sortOrder(positions.map((p) => data[p]), descending);
    outLines[l].forEach((p, i) => {
      indices[p] = order[i];
      values[p] = data[positions[order[i]]];
    });
  });
  return { shape: outShape, values, indices };
}

async function read(result: gg.SortResult) {
  const [values, indices] = [Array.from(await result.values.data()), Array.from(await result.indices.data())];
  return { values, indices, valueShape: [...result.values.shape], indexShape: [...result.indices.shape], indexDtype: result.indices.dtype };
}

/** sort, argsort and topk of `data` along `dim` match the reference exactly, and free what they made. */
async function expectSortsMatch(data: Values, shape: number[], dim: number, descending: boolean, k: number): Promise<void> {
  const axis = dim < 0 ? dim + shape.length : dim;
  const before = gg.runtime().memory().liveBuffers;
  const x = gg.tensor(data, shape);
  const [sorted, top] = [x.sort(dim, { descending }), gg.topk(x, k, dim, { largest: descending })];
  const order = gg.argsort(x, dim, { descending, stable: true });
  const full = expectedSort(data, shape, axis, descending);
  const partial = expectedSort(data, shape, axis, descending, k);
  const [got, gotTop] = [await read(sorted), await read(top)];
  expect(got.valueShape).toEqual(shape);
  expect(got.indexShape).toEqual(shape);
  expect(got.indexDtype).toBe('i32');
  expect(got.indices).toEqual(full.indices);
  expect(got.values).toEqual(full.values); // toEqual tells -0 from +0 and matches NaN with NaN
  expect(Array.from(await order.data())).toEqual(full.indices);
  expect(gotTop.valueShape).toEqual(partial.shape);
  expect(gotTop.indices).toEqual(partial.indices);
  expect(gotTop.values).toEqual(partial.values);
  for (const t of [x, sorted.values, sorted.indices, top.values, top.indices, order]) t.dispose();
  expect(gg.runtime().memory().liveBuffers).toBe(before);
}

describe('sort, argsort and topk', () => {
  // [shape, dim, k]: lines of 1, 7, 300 (one workgroup sorts several lines or one), 2100 and 5000
  // (more than the 2048 keys of one workgroup: global passes and merges), along the last dim and others.
  const cases: [number[], number, number][] = [
    [[7], 0, 3], [[1], -1, 1], [[3, 300], 1, 17], [[300, 3], 0, 300], [[2, 7, 5], 1, 0], [[4, 1, 3], 1, 1],
    [[5000], -1, 5], [[2, 2100], 1, 2050], [[2100, 2], 0, 1],
  ];
  for (const [shape, dim, k] of cases) {
    for (const dtype of ['f32', 'i32', 'u32'] as const) {
      it(`${dtype} ${JSON.stringify(shape)} along ${dim}, ascending and descending, top ${k}`, async () => {
        const data = tiedValues(dtype, size(shape), shape.length * 100 + dim + k);
        await expectSortsMatch(data, shape, dim, false, k);
        await expectSortsMatch(data, shape, dim, true, k);
      });
    }
  }

  it("puts NaN after +inf (first when descending), -0 with +0, ties in order, as PyTorch's stable sort", async () => {
    const x = gg.tensor([1, Number.NaN, -0, 0, Infinity, -Infinity, 2, 0]);
    const up = x.sort();
    const down = x.sort(-1, { descending: true, stable: true });
    // torch.sort(x, stable=True) and torch.sort(x, descending=True, stable=True), torch 1.13.
    expect(await read(up)).toMatchObject({ values: [-Infinity, -0, 0, 0, 1, 2, Infinity, Number.NaN], indices: [5, 2, 3, 7, 0, 6, 4, 1] });
    expect(await read(down)).toMatchObject({ values: [Number.NaN, Infinity, 2, 1, -0, 0, 0, -Infinity], indices: [1, 4, 6, 0, 2, 3, 7, 5] });
    const top = x.topk(3);
    expect(await read(top)).toMatchObject({ values: [Number.NaN, Infinity, 2], indices: [1, 4, 6] });
    for (const t of [x, up.values, up.indices, down.values, down.indices, top.values, top.indices]) t.dispose();
  });

  it('sorts 0-d and empty tensors as PyTorch', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const scalar = gg.tensor(3);
    const sorted = scalar.sort();
    const top = scalar.topk(0);
    const order = scalar.argsort(0);
    expect(await read(sorted)).toMatchObject({ values: [3], indices: [0], valueShape: [], indexShape: [] });
    expect(await read(top)).toMatchObject({ values: [3], indices: [0], valueShape: [], indexShape: [] });
    expect([...order.shape]).toEqual([]);
    const empty = gg.zeros([2, 0]);
    const none = empty.sort(1);
    const noTop = empty.topk(0, 1);
    expect(await read(none)).toMatchObject({ values: [], indices: [], valueShape: [2, 0], indexShape: [2, 0] });
    expect((await read(noTop)).valueShape).toEqual([2, 0]);
    for (const t of [scalar, sorted.values, sorted.indices, top.values, top.indices, order, empty, none.values, none.indices, noTop.values, noTop.indices]) t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  // Distinct values (random f32 in [-1, 1)), so that no step of the finite differences reorders them.
  const gradCases: [number[], number][] = [[[9], 0], [[3, 7], 1], [[5, 4], 0], [[2, 3, 6], -2]];
  for (const [shape, dim] of gradCases) {
    it(`values' gradients by finite differences: ${JSON.stringify(shape)} along ${dim}`, async () => {
      const sortLine = (descending: boolean) => (line: number[]) => sortOrder(line, descending).map((i) => line[i]);
      await checkOp({ inputs: [shape], gpu: (x) => x.sort(dim).values, ref: (x) => mapLines(x, dim, sortLine(false)) });
      await checkOp({ inputs: [shape], gpu: (x) => gg.sort(x, dim, { descending: true }).values, ref: (x) => mapLines(x, dim, sortLine(true)) });
      const k = Math.ceil(shape.at(dim)! / 2);
      await checkOp({ inputs: [shape], gpu: (x) => x.topk(k, dim).values, ref: (x) => mapLines(x, dim, (line) => sortLine(true)(line).slice(0, k), k) });
      await checkOp({ inputs: [shape], gpu: (x) => x.topk(k, dim, { largest: false }).values, ref: (x) => mapLines(x, dim, (line) => sortLine(false)(line).slice(0, k), k) });
    });
  }

  it('a gradient flows through tied values to each one once', async () => {
    const x = gg.tensor([[1, 1, 0, 1]], { requiresGrad: true });
    const weights = gg.tensor([[1, 2, 3, 4]]);
    gg.scope(() => x.sort(1).values.mul(weights).sum().backward());
    // Sorted: 0 (from 2), 1 (0), 1 (1), 1 (3): weights 1, 2, 3, 4 go back to positions 2, 0, 1, 3.
    expect(Array.from(await x.grad!.data())).toEqual([2, 3, 1, 4]);
    for (const t of [x, weights]) t.dispose();
  });

  it('rejects bad dims, options and k, naming the op, the shape and the dtype', () => {
    const x = gg.zeros([2, 3]);
    expect(() => x.sort(2)).toThrow('sort: axis 2 is out of range for shape [2, 3] (rank 2)');
    expect(() => x.argsort('1' as unknown as number)).toThrow('argsort: dim must be a number, got 1 (inputs: [2, 3] f32)');
    expect(() => x.sort(1, { descending: 'yes' as unknown as boolean })).toThrow('sort: descending must be true or false, got yes (inputs: [2, 3] f32)');
    expect(() => x.topk(4)).toThrow('topk: k must be an integer in [0, 3] (the size of dimension 1), got 4 (inputs: [2, 3] f32)');
    expect(() => x.topk(-1, 0)).toThrow('topk: k must be an integer in [0, 2] (the size of dimension 0), got -1');
    expect(() => x.topk(1.5)).toThrow('got 1.5');
    x.dispose();
  });
});
