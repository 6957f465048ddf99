// Movement ops against the float64 reference: reshape (with -1), permute, transpose, .T, expand,
// squeeze, unsqueeze, flatten, detach and clone. Values and finite-difference gradients on odd
// shapes, views versus copies, i32 data, and named errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { checkOp } from '../helpers/check.js';
import { permute, ref, unravel, type Ref } from '../helpers/reference.js';

/** The same values under another shape (reshape, squeeze, unsqueeze, flatten keep row-major order). */
const reshaped = (x: Ref, shape: number[]): Ref => ({ shape, data: x.data });

/** x broadcast to `shape` (NumPy rules). */
function expandRef(x: Ref, shape: number[]): Ref {
  const lead = shape.length - x.shape.length;
  return ref(shape, (i) => {
    const c = unravel(i, shape).slice(lead).map((v, k) => (x.shape[k] === 1 ? 0 : v));
    return x.data[c.reduce((acc, v, k) => acc * x.shape[k] + v, 0)];
  });
}

describe('reshape', () => {
  const cases: [number[], number[], number[]][] = [
    [[17], [1, 17], [1, 17]],
    [[3, 65], [-1], [195]],
    [[2, 129], [3, -1, 2], [3, 43, 2]],
    [[2, 3, 5], [5, -1], [5, 6]],
    [[1], [], []],
    [[], [1, 1], [1, 1]],
  ];
  for (const [from, to, expected] of cases) {
    it(`${JSON.stringify(from)} -> ${JSON.stringify(to)}`, async () => {
      await checkOp({ inputs: [from], gpu: (x) => x.reshape(to), ref: (x) => reshaped(x, expected) });
    });
  }

  it('is a view sharing the buffer (no copy), as is view()', () => {
    gg.scope(() => {
      const x = gg.ones([4, 6]);
      expect(x.reshape([-1, 3]).buffer).toBe(x.buffer);
      expect(x.view([24]).buffer).toBe(x.buffer);
      expect(gg.zeros([0, 3]).reshape([-1, 3]).shape).toEqual([0, 3]);
    });
  });

  it('keeps i32 data', async () => {
    const x = gg.tensor(new Int32Array([1, -2, 3, -4, 5, -6]), [2, 3]);
    const y = x.reshape([3, -1]);
    expect(await y.toArray()).toEqual([[1, -2], [3, -4], [5, -6]]);
    y.dispose();
    x.dispose();
  });
});

describe('permute, transpose and .T', () => {
  const cases: [number[], number[]][] = [
    [[3, 17], [1, 0]],
    [[2, 3, 5], [2, 0, 1]],
    [[2, 3, 5], [-1, -3, -2]],
    [[65, 1, 3], [1, 2, 0]],
    [[2, 1, 3, 4, 2], [4, 3, 2, 1, 0]],
    // Reversing 8 axes leaves 8 dimensions after merging: every lane of the kernel's coordinates.
    [[2, 3, 2, 3, 2, 3, 2, 3], [7, 6, 5, 4, 3, 2, 1, 0]],
    [[3, 2, 1, 2, 3, 2], [1, 0, 3, 2, 5, 4]],
  ];
  for (const [shape, axes] of cases) {
    it(`permute ${JSON.stringify(shape)} by ${JSON.stringify(axes)}`, async () => {
      const normalized = axes.map((a) => (a < 0 ? a + shape.length : a));
      await checkOp({ inputs: [shape], gpu: (x) => x.permute(axes), ref: (x) => permute(x, normalized) });
    });
  }

  it('the identity permutation is a view', () => {
    gg.scope(() => {
      const x = gg.ones([2, 3]);
      expect(x.permute([0, 1]).buffer).toBe(x.buffer);
      expect(x.transpose(1, 1).buffer).toBe(x.buffer);
    });
  });

  it('transpose swaps the last two by default, or the given pair', async () => {
    await checkOp({ inputs: [[2, 3, 17]], gpu: (x) => x.transpose(), ref: (x) => permute(x, [0, 2, 1]) });
    await checkOp({ inputs: [[2, 3, 17]], gpu: (x) => gg.transpose(x, 0, -1), ref: (x) => permute(x, [2, 1, 0]) });
    await checkOp({ inputs: [[129, 3]], gpu: (x) => x.T, ref: (x) => permute(x, [1, 0]) });
  });

  it('permutes i32 data exactly', async () => {
    const x = gg.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const y = x.T;
    expect(await y.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    y.dispose();
    x.dispose();
  });
});

describe('expand', () => {
  const cases: [number[], number[], number[]][] = [
    [[1], [17], [17]],
    [[3, 1], [3, 65], [3, 65]],
    [[17], [2, 3, 17], [2, 3, 17]],
    [[1, 3, 1], [2, -1, 5], [2, 3, 5]],
    [[], [4, 3], [4, 3]],
    [[2, 1], [2, 0], [2, 0]],
  ];
  for (const [from, to, expected] of cases) {
    it(`${JSON.stringify(from)} -> ${JSON.stringify(to)} (gradient sums the copies)`, async () => {
      await checkOp({ inputs: [from], gpu: (x) => x.expand(to), ref: (x) => expandRef(x, expected) });
    });
  }

  it('to its own shape is a view', () => {
    gg.scope(() => {
      const x = gg.ones([2, 3]);
      expect(x.expand([2, -1]).buffer).toBe(x.buffer);
    });
  });
});

describe('squeeze, unsqueeze and flatten', () => {
  it('squeeze drops all size-1 dimensions, or the given ones', async () => {
    await checkOp({ inputs: [[1, 17, 1, 3]], gpu: (x) => x.squeeze(), ref: (x) => reshaped(x, [17, 3]) });
    await checkOp({ inputs: [[1, 17, 1, 3]], gpu: (x) => x.squeeze(-2), ref: (x) => reshaped(x, [1, 17, 3]) });
    await checkOp({ inputs: [[1, 17, 1, 3]], gpu: (x) => x.squeeze([0, 2]), ref: (x) => reshaped(x, [17, 3]) });
    await checkOp({ inputs: [[1, 1]], gpu: (x) => x.squeeze(), ref: (x) => reshaped(x, []) });
  });

  it('unsqueeze inserts a dimension (negative axes count from the end of the result)', async () => {
    await checkOp({ inputs: [[3, 17]], gpu: (x) => x.unsqueeze(0), ref: (x) => reshaped(x, [1, 3, 17]) });
    await checkOp({ inputs: [[3, 17]], gpu: (x) => x.unsqueeze(-1), ref: (x) => reshaped(x, [3, 17, 1]) });
    await checkOp({ inputs: [[3, 17]], gpu: (x) => x.unsqueeze(-2), ref: (x) => reshaped(x, [3, 1, 17]) });
    await checkOp({ inputs: [[]], gpu: (x) => x.unsqueeze(0), ref: (x) => reshaped(x, [1]) });
  });

  it('flatten merges a range of dimensions', async () => {
    await checkOp({ inputs: [[2, 3, 5, 2]], gpu: (x) => x.flatten(), ref: (x) => reshaped(x, [60]) });
    await checkOp({ inputs: [[2, 3, 5, 2]], gpu: (x) => x.flatten(1), ref: (x) => reshaped(x, [2, 30]) });
    await checkOp({ inputs: [[2, 3, 5, 2]], gpu: (x) => x.flatten(1, -2), ref: (x) => reshaped(x, [2, 15, 2]) });
    await checkOp({ inputs: [[]], gpu: (x) => x.flatten(), ref: (x) => reshaped(x, [1]) });
  });
});

describe('detach and clone', () => {
  it('detach shares the values and cuts the graph', async () => {
    const x = gg.tensor([1, 2, 3], { requiresGrad: true });
    const y = gg.scope(() => {
      const d = x.mul(2).detach();
      expect(d.requiresGrad).toBe(false);
      expect(d.node).toBe(null);
      const loss = x.mul(d).sum();
      loss.backward();
      return d;
    });
    expect([...(await y.data())]).toEqual([2, 4, 6]);
    // d(x * stop(2x))/dx = stop(2x): no gradient through the detached factor.
    expect([...(await x.grad!.data())]).toEqual([2, 4, 6]);
    y.dispose();
    x.dispose();
  });

  it('clone is an independent copy with an identity gradient', async () => {
    await checkOp({ inputs: [[3, 65]], gpu: (x) => x.clone(), ref: (x) => x });
    gg.scope(() => {
      const x = gg.ones([2, 2]);
      expect(x.clone().buffer).not.toBe(x.buffer);
    });
  });
});

describe('bad input gets a named error', () => {
  it('names the op, the shapes and what was expected', () => {
    gg.scope(() => {
      const x = gg.ones([2, 3]);
      expect(() => x.reshape([4, 2])).toThrow('reshape: cannot reshape 6 elements into [4, 2] (inputs: [2, 3] f32)');
      expect(() => x.reshape([-1, -1])).toThrow('reshape: only one dimension may be -1, got [-1, -1]');
      expect(() => x.reshape([4, -1])).toThrow('reshape: cannot infer -1 in [4, -1] (inputs: [2, 3] f32)');
      expect(() => x.reshape([-2, -3])).toThrow('reshape: cannot reshape 6 elements into [-2, -3]');
      expect(() => x.reshape([2.5, 2])).toThrow('reshape: cannot reshape 6 elements into [2.5, 2]');
      expect(() => x.permute([0])).toThrow('permute: axes [0] are not a permutation of 2 dimensions (inputs: [2, 3] f32)');
      expect(() => x.permute([0, 0])).toThrow('permute: axes [0, 0] are not a permutation');
      expect(() => x.permute([0, 2])).toThrow('permute: axis 2 is out of range for shape [2, 3] (rank 2)');
      expect(() => x.transpose(0, 2)).toThrow('transpose: axis 2 is out of range for shape [2, 3]');
      expect(() => gg.ones([3]).T).toThrow('transpose: axis -2 is out of range for shape [3] (rank 1)');
      expect(() => x.expand([4, 3])).toThrow('expand: cannot broadcast to [4, 3] (inputs: [2, 3] f32)');
      expect(() => x.expand([3])).toThrow('expand: cannot broadcast to [3]');
      expect(() => x.expand([-1, 2, 3])).toThrow('expand: cannot broadcast to [-1, 2, 3]');
      expect(() => gg.ones([1]).expand([-2])).toThrow('expand: cannot broadcast to [-2]');
      expect(() => gg.ones([1, 2, 1, 2, 1, 2, 1, 2, 1]).permute([8, 7, 6, 5, 4, 3, 2, 1, 0])).toThrow('permute: rank 9 exceeds the supported maximum of 8');
      expect(() => gg.ones([1]).expand([1, 1, 1, 1, 1, 1, 1, 1, 2])).toThrow('expand: rank 9 exceeds the supported maximum of 8');
      expect(() => x.squeeze(0)).toThrow('squeeze: dimension 0 has size 2, not 1 (inputs: [2, 3] f32)');
      expect(() => x.squeeze(2)).toThrow('squeeze: axis 2 is out of range for shape [2, 3]');
      expect(() => x.unsqueeze(3)).toThrow('unsqueeze: axis 3 is out of range for shape [2, 3]');
      expect(() => x.unsqueeze(-4)).toThrow('unsqueeze: axis -4 is out of range');
      expect(() => x.flatten(1, 0)).toThrow('flatten: startDim 1 comes after endDim 0 (inputs: [2, 3] f32)');
      expect(() => x.flatten(0, 2)).toThrow('flatten: axis 2 is out of range for shape [2, 3]');
    });
    const gone = gg.ones([2]);
    gone.dispose();
    for (const op of [(t: gg.Tensor) => t.reshape([2]), (t: gg.Tensor) => t.detach(), (t: gg.Tensor) => t.clone(), (t: gg.Tensor) => t.permute([0])]) {
      expect(() => op(gone)).toThrow(/used after dispose\(\)/);
    }
  });
});
