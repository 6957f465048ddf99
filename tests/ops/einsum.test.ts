// einsum against a brute-force float64 einsum in plain JS (tests/helpers/op-references.ts einsumRef):
// matmul, batched matmul, attention scores, transpose, diagonal and trace, full and partial sums, dot
// and outer products, elementwise products, '...' broadcasting leading dimensions, size-1 dimensions
// broadcasting, operands read transposed in place, implicit outputs, chains of three operands;
// gradients of every operand by finite differences (checkOp also asserts that live buffers return to
// their baseline); NaN off a diagonal; and the errors, which name einsum, the equation and the shapes.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { einsumRef } from '../helpers/op-references.js';

describe('einsum', () => {
  const cases: [string, number[][]][] = [
    ['ij,jk->ik', [[3, 5], [5, 4]]],
    ['bij,bjk->bik', [[2, 3, 5], [2, 5, 4]]],
    ['ij->ji', [[3, 5]]],
    ['ii->i', [[4, 4]]],
    ['ii', [[3, 3]]],
    ['iij->j', [[3, 3, 2]]],
    ['ij->', [[3, 5]]],
    ['ij->j', [[3, 5]]],
    ['i,i->', [[7], [7]]],
    ['i,j->ij', [[3], [5]]],
    ['bhqd,bhkd->bhqk', [[2, 2, 3, 4], [2, 2, 5, 4]]],
    ['...ij,...jk->...ik', [[2, 3, 4, 5], [3, 5, 2]]],
    ['...ij,...jk->...ik', [[3, 4], [2, 4, 3]]],
    ['...ij->ij', [[2, 3, 4]]],
    ['...,...->...', [[2, 3], [3]]],
    ['ij,ij->ij', [[3, 5], [3, 5]]],
    ['ij,jk', [[3, 5], [5, 4]]],
    ['ba', [[3, 5]]],
    ['aB', [[3, 5]]],
    ['ij,jk->ik', [[3, 1], [4, 5]]],
    ['bi,bi->b', [[4, 3], [4, 3]]],
    ['ij,kj->ik', [[3, 5], [4, 5]]],
    ['ji,jk->ik', [[5, 3], [5, 4]]],
    ['bji,bkj->bik', [[2, 5, 3], [2, 4, 5]]],
    ['ij,jk,kl->il', [[2, 3], [3, 4], [4, 5]]],
    [' i j , j k -> k i ', [[3, 2], [2, 4]]],
  ];
  for (const [equation, shapes] of cases) {
    it(`'${equation}' on ${shapes.map((s) => JSON.stringify(s)).join(' and ')}`, async () => {
      await checkOp({ inputs: shapes, gpu: (...ts) => gg.einsum(equation, ...ts), ref: (...rs) => einsumRef(equation, ...rs) });
    });
  }

  it('takes the operands as one list, as PyTorch does', async () => {
    await checkOp({ inputs: [[2, 3], [3, 4]], gpu: (a, b) => gg.einsum('ij,jk->ik', [a, b]), ref: (a, b) => einsumRef('ij,jk->ik', a, b) });
  });

  it('keeps NaN off the diagonal out of it, and sums a 0-d operand', async () => {
    const x = gg.tensor([[1, Number.NaN], [2, 3]]);
    const diagonal = gg.einsum('ii->i', x);
    expect(Array.from(await diagonal.data())).toEqual([1, 3]);
    const scalar = gg.tensor(2.5);
    const same = gg.einsum('->', scalar);
    expect([same.shape.length, await same.item()]).toEqual([0, 2.5]);
    for (const t of [x, diagonal, scalar, same]) t.dispose();
  });

  it('rejects bad equations and mismatched sizes, naming einsum, the equation and the shapes', () => {
    const before = gg.runtime().memory().liveBuffers;
    const [a, b, square, ints] = [gg.zeros([2, 3]), gg.zeros([4, 5]), gg.zeros([3, 3]), gg.zeros([2], { dtype: 'i32' })];
    expect(() => gg.einsum('ij,jk->ik', a, b)).toThrow("einsum: 'ij,jk->ik' subscript 'j' has size 3 in operand 0 but 4 in operand 1 (inputs: [2, 3] f32, [4, 5] f32)");
    expect(() => gg.einsum('ijk', a)).toThrow("einsum: 'ijk' operand 0 has rank 2 but its term 'ijk' has 3 subscripts (inputs: [2, 3] f32)");
    expect(() => gg.einsum('...ijk', a)).toThrow("operand 0 has rank 2 but its term '...ijk' has 3 subscripts and an ellipsis");
    expect(() => gg.einsum('ij,jk', a)).toThrow("einsum: 'ij,jk' has 2 operand terms for 1 operand");
    expect(() => gg.einsum('ij->k', a)).toThrow("einsum: 'ij->k' output subscript 'k' appears in no operand");
    expect(() => gg.einsum('ij->ii', a)).toThrow("output subscript 'i' appears more than once");
    expect(() => gg.einsum('i1->', a)).toThrow("einsum: 'i1->' '1' in operand 0's term 'i1' is not a subscript (a letter a-z or A-Z, or '...')");
    expect(() => gg.einsum('ii->i', a)).toThrow("einsum: 'ii->i' subscript 'i' is repeated in operand 0 with sizes 2 and 3 (a diagonal needs equal sizes) (inputs: [2, 3] f32)");
    expect(() => gg.einsum('...i...', square)).toThrow("has more than one '...'");
    expect(() => gg.einsum('ij->i->j', square)).toThrow("einsum: 'ij->i->j' has more than one '->'");
    expect(() => gg.einsum('...i,...i', a, b)).toThrow("einsum: '...i,...i' the ellipsis dimension has size 2 in operand 0 but 4 in operand 1");
    expect(() => gg.einsum('i', ints)).toThrow('einsum: expected dtype f32, got i32 (inputs: [2] i32)');
    expect(() => gg.einsum('ij')).toThrow("einsum: 'ij' needs at least one operand");
    for (const t of [a, b, square, ints]) t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});
