// Reverse-mode autodiff semantics: accumulation, reuse, broadcasting, no-grad, detach, higher order.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const values = async (t: gg.Tensor | null) => Array.from(await t!.data());

describe('autograd', () => {
  it('accumulates the gradient of a tensor used twice (x * x)', async () => {
    const x = gg.tensor([1, -2, 3], { requiresGrad: true });
    gg.scope(() => x.mul(x).sum().backward());
    expect(await values(x.grad)).toEqual([2, -4, 6]);
    x.dispose();
  });

  it('accumulates across backward calls until the gradient is cleared', async () => {
    const x = gg.tensor([1, 2], { requiresGrad: true });
    gg.scope(() => x.mul(3).sum().backward());
    gg.scope(() => x.mul(3).sum().backward());
    expect(await values(x.grad)).toEqual([6, 6]);
    x.grad!.dispose();
    x.grad = null;
    gg.scope(() => x.sum().backward());
    expect(await values(x.grad)).toEqual([1, 1]);
    x.dispose();
  });

  it('reduces broadcast gradients back to the input shape', async () => {
    const a = gg.tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const b = gg.tensor([10, 20, 30], { requiresGrad: true });
    const c = gg.tensor([[2], [3]], { requiresGrad: true });
    gg.scope(() => a.add(b).mul(c).sum().backward());
    expect(await values(b.grad)).toEqual([5, 5, 5]);
    expect(await values(c.grad)).toEqual([66, 75]);
    expect(await a.grad!.toArray()).toEqual([[2, 2, 2], [3, 3, 3]]);
    for (const t of [a, b, c]) t.dispose();
  });

  it('records nothing under noGrad, and detach cuts the graph', async () => {
    const x = gg.tensor([1, 2], { requiresGrad: true });
    gg.scope(() => {
      const y = gg.noGrad(() => x.mul(2));
      expect(y.requiresGrad).toBe(false);
      expect(y.node).toBeNull();
      const z = x.detach().mul(x);
      z.sum().backward();
    });
    expect(await values(x.grad)).toEqual([1, 2]);
    x.dispose();
  });

  it('needs an explicit gradient for non-scalar outputs and a graph to walk', () => {
    const x = gg.tensor([1, 2], { requiresGrad: true });
    gg.scope(() => {
      expect(() => x.mul(2).backward()).toThrow(/backward: output has shape \[2\]; pass a gradient/);
      expect(() => gg.tensor([1]).backward()).toThrow(/does not require grad/);
      expect(() => x.mul(2).backward(gg.ones([3]))).toThrow(/gradient shape \[3\] does not match output shape \[2\]/);
    });
    x.dispose();
  });

  it('computes second derivatives with createGraph (d2/dx2 of x^3 = 6x)', async () => {
    const x = gg.tensor([1, -2, 0.5], { requiresGrad: true });
    const second = gg.scope(() => {
      const [dx] = gg.grad(x.pow(3).sum(), [x], undefined, { createGraph: true });
      expect(dx.requiresGrad).toBe(true);
      const [ddx] = gg.grad(dx.sum(), [x]);
      return ddx;
    });
    expect(await values(second)).toEqual([6, -12, 3]);
    second.dispose();
    x.dispose();
  });

  it('differentiates a gradient penalty: d/dx of |d(sum(sigmoid(w*x)))/dx|^2', async () => {
    // f(x) = sum sigmoid(w x); df/dx = w s (1 - s); penalty = sum (w s (1 - s))^2; compare numerically.
    const w = 1.7;
    const xs = [0.3, -0.8];
    const x = gg.tensor(xs, { requiresGrad: true });
    const g = gg.scope(() => {
      const [dx] = gg.grad(x.mul(w).sigmoid().sum(), [x], undefined, { createGraph: true });
      const [dPenalty] = gg.grad(dx.square().sum(), [x]);
      return dPenalty;
    });
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const penalty = (v: number) => (w * s(w * v) * (1 - s(w * v))) ** 2;
    const numeric = xs.map((v) => (penalty(v + 1e-5) - penalty(v - 1e-5)) / 2e-5);
    const got = await values(g);
    got.forEach((v, i) => expect(v).toBeCloseTo(numeric[i], 4));
    g.dispose();
    x.dispose();
  });

  it('walks long graphs without recursion (1000 chained ops)', async () => {
    const x = gg.tensor([0.5], { requiresGrad: true });
    gg.scope(() => {
      let y = x;
      for (let i = 0; i < 1000; i++) y = y.mul(1.001);
      y.sum().backward();
    });
    expect((await values(x.grad))[0]).toBeCloseTo(1.001 ** 1000, 2);
    x.dispose();
  });
});
