// Bad input throws an Error that names the op, the shapes and what was expected — one case per kind.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

describe('bad input gets a named error', () => {
  it('mismatched shapes', () => {
    gg.scope(() => {
      expect(() => gg.ones([2, 3]).add(gg.ones([4]))).toThrow('add: shapes [2, 3] and [4] cannot be broadcast together');
      expect(() => gg.ones([2, 3]).matmul(gg.ones([2, 3]))).toThrow(/matmul: .*\[2, 3\].*\[2, 3\]/);
      expect(() => gg.concat([gg.ones([2, 3]), gg.ones([2, 4])], 0)).toThrow(/concat: .*\[2, 3\].*\[2, 4\]/);
      expect(() => gg.ones([6]).reshape([4, 2])).toThrow('reshape: cannot reshape 6 elements into [4, 2]');
    });
  });

  it('mismatched dtypes', () => {
    gg.scope(() => {
      expect(() => gg.ones([2]).add(gg.ones([2], { dtype: 'i32' }))).toThrow('add: dtypes differ; cast one with .to(dtype) first (inputs: [2] f32, [2] i32)');
      expect(() => gg.ones([2], { dtype: 'i32' }).exp()).toThrow('exp: expected dtype f32, got i32 (inputs: [2] i32)');
      expect(() => gg.indexSelect(gg.ones([4, 2]), 0, gg.ones([2]))).toThrow(/indexSelect: .*i32/);
    });
  });

  it('axes out of range', () => {
    gg.scope(() => {
      expect(() => gg.ones([2, 3]).sum(2)).toThrow('sum: axis 2 is out of range for shape [2, 3] (rank 2)');
      expect(() => gg.ones([2, 3]).softmax(-3)).toThrow(/softmax: axis -3 is out of range for shape \[2, 3\]/);
      expect(() => gg.ones([2, 3]).permute([0, 0])).toThrow(/permute: axes \[0, 0\] are not a permutation/);
    });
  });

  it('wrong-rank conv inputs', () => {
    gg.scope(() => {
      expect(() => gg.conv2d(gg.ones([3, 5, 5]), gg.ones([2, 3, 3, 3]))).toThrow(/conv2d: .*rank 4.*\[3, 5, 5\]/);
      expect(() => gg.conv2d(gg.ones([1, 4, 5, 5]), gg.ones([2, 3, 3, 3]))).toThrow(/conv2d: .*channel/);
    });
  });

  it('use after dispose', () => {
    const x = gg.ones([2, 2]);
    x.dispose();
    expect(() => x.sum()).toThrow(/sum: tensor #\d+ \[2, 2\] f32 was used after dispose\(\)/);
    expect(() => gg.ones([2, 2]).matmul(x)).toThrow(/used after dispose/);
  });

  it('no silent NaN from a stable op on extreme input', async () => {
    const big = gg.tensor([1000, -1000, 0]);
    const values = gg.scope(() => [big.softmax(0), big.logSoftmax(0), big.sigmoid(), big.softplus(), big.tanh(), big.logsumexp(0)]);
    for (const v of values) {
      for (const n of await v.data()) expect(Number.isFinite(n)).toBe(true);
      v.dispose();
    }
    big.dispose();
  });
});
