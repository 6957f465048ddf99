// cumsum and cumprod against float64 running sums and products along every dim of odd shapes (lengths
// that are and are not powers of two), with finite-difference gradients, zeros in cumprod's input (the
// gradient stays exact), integer dtypes, 0-d and length-1 axes, and the named errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { mapLines } from '../helpers/op-references.js';
import { random, ref, rng } from '../helpers/reference.js';

const running = (combine: (a: number, b: number) => number) => (line: number[]) => {
  const out: number[] = [];
  line.forEach((v, i) => out.push(i === 0 ? v : combine(out[i - 1], v)));
  return out;
};
const runningSum = running((a, b) => a + b);
const runningProduct = running((a, b) => a * b);

describe('cumsum and cumprod', () => {
  const cases: [number[], number][] = [[[7], 0], [[3, 9], 1], [[5, 4], 0], [[2, 3, 5], -2], [[2, 17, 3], 1], [[1, 8], -1], [[3, 1], 1]];
  for (const [shape, dim] of cases) {
    it(`${JSON.stringify(shape)} along ${dim}`, async () => {
      await checkOp({ inputs: [shape], gpu: (x) => gg.cumsum(x, dim), ref: (x) => mapLines(x, dim, runningSum) });
      // Values near 1 keep long products in range; the reference's gradient is by finite differences.
      await checkOp({ inputs: [shape], range: [0.5, 1.5], gpu: (x) => x.cumprod(dim), ref: (x) => mapLines(x, dim, runningProduct) });
    });
  }

  it("cumprod's gradient is exact where the input has zeros (one or two in a line)", async () => {
    const x = random([3, 6], rng(5), 0.5, 1.5);
    x.data[2] = 0;
    x.data[6 + 1] = 0;
    x.data[6 + 4] = 0;
    await checkOp({ inputs: [x], gpu: (t) => t.cumprod(1), ref: (t) => mapLines(t, 1, runningProduct) });
  });

  it('keeps integer dtypes; copies 0-d tensors and length-1 axes', async () => {
    const ints = gg.tensor([[1, 2, 3, 4, 5], [-1, 2, -3, 4, -5]], { dtype: 'i32' });
    const sums = ints.cumsum(1);
    const products = ints.cumprod(-1);
    expect([sums.dtype, ...(await sums.data())]).toEqual(['i32', 1, 3, 6, 10, 15, -1, 1, -2, 2, -3]);
    expect(Array.from(await products.data())).toEqual([1, 2, 6, 24, 120, -1, -2, 6, 24, -120]);
    const scalar = gg.tensor(3);
    const same = scalar.cumsum(0);
    expect([same.shape.length, await same.item()]).toEqual([0, 3]);
    for (const t of [ints, sums, products, scalar, same]) t.dispose();
    await checkOp({ inputs: [ref([2, 1], [0.5, -2])], gpu: (x) => x.cumprod(1), ref: (x) => x });
  });

  it('rejects a dim out of range, naming the op and the shape', () => {
    const x = gg.zeros([2, 3]);
    expect(() => x.cumsum(2)).toThrow('cumsum: axis 2 is out of range for shape [2, 3] (rank 2)');
    expect(() => x.cumprod(undefined as unknown as number)).toThrow('cumprod: dim must be a number, got undefined (inputs: [2, 3] f32)');
    x.dispose();
  });
});
