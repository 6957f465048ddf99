// Deterministic GPU memory: scopes free what they made, dispose is final, the pool reuses buffers.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const live = () => gg.runtime().memory().liveBuffers;

describe('memory', () => {
  it('scope frees every intermediate and keeps what it returns', async () => {
    const before = live();
    const x = gg.tensor([1, 2, 3]);
    const kept = gg.scope(() => x.mul(2).add(1).exp().log().sum());
    expect(live()).toBe(before + 2);
    expect(await kept.item()).toBeCloseTo(15, 5);
    kept.dispose();
    x.dispose();
    expect(live()).toBe(before);
  });

  it('returns arrays and objects of tensors, nests, and honours keep()', () => {
    const before = live();
    const { a, list } = gg.scope(() => {
      const inner = gg.scope(() => [gg.ones([2]), gg.zeros([3])]);
      gg.ones([4]).keep();
      gg.ones([5]);
      return { a: gg.full([2], 3), list: inner };
    });
    expect(live()).toBe(before + 4); // a, the two inner results, and the kept tensor
    for (const t of [a, ...list]) t.dispose();
    expect(live()).toBe(before + 1);
  });

  it('frees what it made when the function throws', () => {
    const before = live();
    expect(() =>
      gg.scope(() => {
        gg.ones([8]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(live()).toBe(before);
  });

  it('keeps parameters (leaves that require grad) and their gradients', () => {
    const before = live();
    const w = gg.scope(() => {
      const p = gg.ones([3], { requiresGrad: true });
      p.mul(2).sum().backward();
      return null;
    });
    expect(w).toBeNull();
    expect(live()).toBe(before + 2); // the parameter and its .grad
  });

  it('rejects async functions, which would lose track of tensors', () => {
    expect(() => gg.scope((async () => gg.ones([1])) as unknown as () => gg.Tensor)).toThrow(/scope: the function returned a Promise/);
  });

  it('reports use after dispose with the op, shape and dtype', async () => {
    const x = gg.tensor([1, 2]);
    x.dispose();
    x.dispose(); // harmless twice
    expect(() => x.add(1)).toThrow(/add_scalar|addScalar|used after dispose/);
    expect(() => x.exp()).toThrow(/exp: tensor #\d+ \[2\] f32 was used after dispose\(\)/);
    await expect(x.data()).rejects.toThrow(/data: .* used after dispose/);
  });

  it('reshape views share the buffer and survive the original being disposed', async () => {
    const x = gg.tensor([1, 2, 3, 4]);
    const before = live();
    const v = x.reshape([2, 2]);
    expect(live()).toBe(before);
    x.dispose();
    expect(await v.toArray()).toEqual([[1, 2], [3, 4]]);
    v.dispose();
    expect(live()).toBe(before - 1);
  });

  it('reuses pooled buffers instead of allocating new ones', () => {
    const rt = gg.runtime();
    const a = gg.zeros([1000]);
    a.dispose();
    const pooled = rt.memory().pooledBuffers;
    const b = gg.zeros([1000]);
    expect(rt.memory().pooledBuffers).toBe(pooled - 1);
    b.dispose();
  });
});
