// tril, triu and maskedFill against float64 references: diagonal offsets above, on and below the main
// diagonal, wide, tall and batched matrices, integer dtypes, masks of several dtypes that broadcast,
// NaN in removed places replaced rather than kept, and the named errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { ref, unravel, zip, type Ref } from '../helpers/reference.js';

/** x with the places outside the kept triangle of its last two dimensions set to 0. */
function triangleRef(x: Ref, diagonal: number, lower: boolean): Ref {
  return ref(x.shape, (i) => {
    const c = unravel(i, x.shape);
    const offset = c[c.length - 1] - c[c.length - 2];
    return (lower ? offset <= diagonal : offset >= diagonal) ? x.data[i] : 0;
  });
}

describe('tril and triu', () => {
  const cases: [number[], number][] = [[[5, 5], 0], [[3, 7], 1], [[7, 3], -2], [[2, 3, 4, 5], 2], [[4, 3], -5], [[3, 4], 9]];
  for (const [shape, diagonal] of cases) {
    it(`${JSON.stringify(shape)} diagonal ${diagonal}`, async () => {
      await checkOp({ inputs: [shape], gpu: (x) => gg.tril(x, diagonal), ref: (x) => triangleRef(x, diagonal, true) });
      await checkOp({ inputs: [shape], gpu: (x) => x.triu(diagonal), ref: (x) => triangleRef(x, diagonal, false) });
    });
  }

  it('default diagonal 0, integer dtypes, and NaN in a removed place becomes 0', async () => {
    const x = gg.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'i32' });
    const lower = x.tril();
    const upper = x.triu();
    expect([lower.dtype, ...(await lower.data())]).toEqual(['i32', 1, 0, 0, 4, 5, 0]);
    expect(Array.from(await upper.data())).toEqual([1, 2, 3, 0, 5, 6]);
    const nan = gg.tensor([[1, NaN], [Infinity, 2]]);
    const kept = nan.tril();
    expect(Array.from(await kept.data())).toEqual([1, 0, Infinity, 2]);
    for (const t of [x, lower, upper, nan, kept]) t.dispose();
  });

  it('rejects tensors of rank below 2 and fractional diagonals', () => {
    const v = gg.zeros([3]);
    const m = gg.zeros([2, 2]);
    expect(() => v.tril()).toThrow('tril: needs at least 2 dimensions (the matrix is the last two), got rank 1 (inputs: [3] f32)');
    expect(() => m.triu(0.5)).toThrow('triu: diagonal must be an integer, got 0.5 (inputs: [2, 2] f32)');
    v.dispose();
    m.dispose();
  });
});

describe('maskedFill', () => {
  it('fills where the mask is non-zero, with the mask broadcast to x', async () => {
    for (const [xShape, maskShape] of [[[3, 5], [3, 5]], [[2, 3, 5], [5]], [[4, 3], [4, 1]]]) {
      await checkOp({
        inputs: [xShape, maskShape],
        gradInputs: [0],
        gpu: (x, m) => x.maskedFill(m.gt(0), -7.5),
        ref: (x, m) => zip([x, m], (xv, mv) => (mv > 0 ? -7.5 : xv)),
      });
    }
  });

  it('takes a 0-d tensor value (with its gradient) and masks of any dtype; NaN is replaced', async () => {
    await checkOp({
      inputs: [[3, 4], [4], []],
      gradInputs: [0, 2],
      gpu: (x, m, v) => gg.maskedFill(x, m.gt(0), v),
      ref: (x, m, v) => zip([x, m, v], (xv, mv, vv) => (mv > 0 ? vv : xv)),
    });
    const x = gg.tensor([[NaN, 2], [3, 4]]);
    const mask = gg.tensor([[1, 0], [0, 1]], { dtype: 'i32' });
    const filled = gg.maskedFill(x, mask, -Infinity);
    expect(Array.from(await filled.data())).toEqual([-Infinity, 2, 3, -Infinity]);
    const ints = gg.tensor([5, 6, 7], { dtype: 'u32' });
    const intFilled = ints.maskedFill(gg.tensor([0, 1, 0], { dtype: 'u32' }), 9);
    expect([intFilled.dtype, ...(await intFilled.data())]).toEqual(['u32', 5, 9, 7]);
    for (const t of [x, mask, filled, ints, intFilled]) t.dispose();
  });

  it('rejects a mask that would grow x and a value that is not a 0-d tensor of x\'s dtype', () => {
    const before = gg.runtime().memory().liveBuffers;
    const x = gg.zeros([3]);
    const big = gg.zeros([2, 3]);
    const v = gg.zeros([1]);
    expect(() => x.maskedFill(big, 0)).toThrow("maskedFill: mask must broadcast to x's shape [3] (inputs: [3] f32, [2, 3] f32)");
    expect(() => x.maskedFill(x, v)).toThrow("maskedFill: value must be a number or a 0-d tensor of x's dtype (inputs: [3] f32, [3] f32, [1] f32)");
    for (const t of [x, big, v]) t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});
