// Autograd never fails silently: a graph freed by a scope or by dispose(), a saved tensor
// changed in place between forward and backward, a second backward through a released graph and an
// async function given to noGrad() each raise an error that says what happened, and leak nothing.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const live = () => gg.runtime().memory().liveBuffers;
const values = async (t: gg.Tensor | null) => Array.from(await t!.data());

/**
 * Builds a graph from w = [1, 2, 3] (requiresGrad), disposes its `victim` before backward, and
 * expects backward to raise `message`, leave no gradient on w, and, once loss, `rest` and w are
 * disposed, leave no buffer behind.
 */
function expectFreedGraphError(build: (w: gg.Tensor) => { loss: gg.Tensor; victim: gg.Tensor; rest: gg.Tensor[] }, message: RegExp): void {
  const w = gg.tensor([1, 2, 3], { requiresGrad: true });
  const before = live();
  const { loss, victim, rest } = build(w);
  victim.dispose();
  expect(() => loss.backward()).toThrow(message);
  expect(w.grad).toBeNull();
  for (const t of [...rest, loss]) t.dispose();
  expect(live()).toBe(victim === w ? before - 1 : before);
  if (victim !== w) w.dispose();
}

describe('a freed graph', () => {
  it("backward on a loss returned from a scope raises naming the freed op, and leaks nothing", () => {
    const w = gg.tensor([1, 2, 3], { requiresGrad: true });
    const before = live();
    const loss = gg.scope(() => w.square().sum());
    expect(() => loss.backward()).toThrow(
      /backward: the graph of this tensor was freed: tensor #\d+ \[3\] f32, the result of 'square' saved by 'sum', was disposed \(by scope\(\) or dispose\(\)\); call backward\(\) inside the scope that made the graph/,
    );
    expect(w.grad).toBeNull();
    loss.dispose();
    expect(live()).toBe(before);
    w.dispose();
  });

  it('a hand-disposed intermediate is reported the same way', () => {
    expectFreedGraphError(
      (w) => {
        const y = w.exp();
        const z = y.mul(2);
        return { loss: z.sum(), victim: y, rest: [z] };
      },
      /the graph of this tensor was freed: tensor #\d+ \[3\] f32, the result of 'exp' saved by 'mulScalar', was disposed/,
    );
  });

  it('a disposed parameter in the graph is reported, and no gradient lands on it', () => {
    expectFreedGraphError(
      (w) => {
        const y = w.add(1);
        return { loss: y.sum(), victim: w, rest: [y] };
      },
      /the graph of this tensor was freed: tensor #\d+ \[3\] f32, a leaf saved by 'addScalar', was disposed/,
    );
  });

  it('a disposed tensor that a backward rule needs (no grad of its own) is reported naming the op', () => {
    expectFreedGraphError(
      (w) => {
        const x = gg.tensor([4, 5, 6]);
        const y = w.mul(x);
        return { loss: y.sum(), victim: x, rest: [y] };
      },
      /the graph of this tensor was freed: tensor #\d+ \[3\] f32, a leaf saved by 'mul', was disposed/,
    );
  });

  it('a disposed input the backward rule does not read is no error (add needs only shapes)', async () => {
    const w = gg.tensor([1, 2, 3], { requiresGrad: true });
    const x = gg.tensor([4, 5, 6]);
    const y = w.add(x);
    const loss = y.sum();
    x.dispose();
    loss.backward();
    expect(await values(w.grad)).toEqual([1, 1, 1]);
    y.dispose();
    loss.dispose();
    w.dispose();
  });
});

describe('in-place changes between forward and backward', () => {
  const modified = /one of the tensors needed for gradient computation has been modified by an in-place operation: mul's saved tensor \[3\] f32 is at version 1; expected version 0/;

  it('counts versions: assign bumps the version of the tensor and of its reshape views', () => {
    const a = gg.tensor([1, 2, 3, 4]);
    const v = a.reshape([2, 2]);
    expect(a.version).toBe(0);
    gg.scope(() => a.assign(gg.tensor([5, 6, 7, 8])));
    expect(a.version).toBe(1);
    expect(v.version).toBe(1);
    a.dispose();
    v.dispose();
  });

  it('assign to a saved tensor before backward raises naming the op, versions and shape', () => {
    const w = gg.tensor([1, 2, 3], { requiresGrad: true });
    const a = gg.tensor([4, 5, 6]);
    const before = live();
    gg.scope(() => {
      const loss = w.mul(a).sum();
      a.assign(gg.tensor([7, 8, 9]));
      expect(() => loss.backward()).toThrow(modified);
    });
    expect(w.grad).toBeNull();
    expect(live()).toBe(before);
    w.dispose();
    a.dispose();
  });

  it('an assign through a reshape view is seen too', () => {
    const w = gg.tensor([1, 2, 3], { requiresGrad: true });
    const a = gg.tensor([4, 5, 6]);
    const view = a.reshape([1, 3]);
    gg.scope(() => {
      const loss = w.mul(a).sum();
      view.assign(gg.tensor([[7, 8, 9]]));
      expect(() => loss.backward()).toThrow(modified);
    });
    for (const t of [w, a, view]) t.dispose();
  });

  it('an in-place change of a tensor that backward does not read is fine (as in PyTorch)', async () => {
    const w = gg.tensor([1, 2, 3], { requiresGrad: true });
    const a = gg.tensor([4, 5, 6]);
    gg.scope(() => {
      const loss = w.add(a).sum();
      a.assign(gg.tensor([7, 8, 9]));
      loss.backward();
    });
    expect(await values(w.grad)).toEqual([1, 1, 1]);
    w.dispose();
    a.dispose();
  });

  const optimizers = { SGD: (p: gg.Tensor[]) => new gg.optim.SGD(p, { lr: 0.1 }), Adam: (p: gg.Tensor[]) => new gg.optim.Adam(p, { lr: 0.1 }) };
  for (const [name, make] of Object.entries(optimizers)) {
    it(`an optimizer step (${name}) before backward raises`, () => {
      const before = live();
      const w = gg.tensor([1, 2, 3], { requiresGrad: true });
      const optimizer = make([w]);
      gg.scope(() => w.square().sum().backward()); // a gradient for step() to use
      gg.scope(() => {
        const loss = w.square().sum();
        optimizer.step();
        expect(w.version).toBe(1);
        expect(() => loss.backward()).toThrow(
          /modified by an in-place operation: square's saved tensor \[3\] f32 is at version 1; expected version 0/,
        );
      });
      optimizer.dispose();
      w.dispose();
      expect(live()).toBe(before);
    });
  }

  it('clipGradNorm bumps the version of the gradients it scales', () => {
    const w = gg.tensor([3, 4], { requiresGrad: true });
    gg.scope(() => w.square().sum().backward());
    const version = w.grad!.version;
    gg.optim.clipGradNorm([w], 1).dispose();
    expect(w.grad!.version).toBe(version + 1);
    w.dispose();
  });
});

describe('backward twice', () => {
  it('raises on a second backward through the same graph unless retainGraph was asked for', async () => {
    const w = gg.tensor([1, 2, 3], { requiresGrad: true });
    const before = live();
    gg.scope(() => {
      const loss = w.square().sum();
      loss.backward();
      expect(() => loss.backward()).toThrow(
        /backward: trying to backward through the graph a second time: 'sum' was released by an earlier backward\(\) or grad\(\); pass \{ retainGraph: true \} to the first call/,
      );
    });
    expect(await values(w.grad)).toEqual([2, 4, 6]);
    w.grad!.dispose();
    w.grad = null;
    expect(live()).toBe(before);

    gg.scope(() => {
      const loss = w.square().sum();
      loss.backward(undefined, { retainGraph: true });
      loss.backward();
      expect(() => loss.backward()).toThrow(/a second time/);
    });
    expect(await values(w.grad)).toEqual([4, 8, 12]);
    w.dispose();
  });

  it('a graph shared by two losses is released by the first backward (as in PyTorch)', () => {
    const w = gg.tensor([1, 2, 3], { requiresGrad: true });
    gg.scope(() => {
      const y = w.square();
      y.sum().backward();
      expect(() => y.mean().backward()).toThrow(/'square' was released by an earlier backward\(\)/);
    });
    w.dispose();
  });

  it('grad() releases the graph too; with createGraph it keeps it (retainGraph defaults to createGraph)', async () => {
    const x = gg.tensor([1, 2], { requiresGrad: true });
    gg.scope(() => {
      const y = x.square().sum();
      gg.grad(y, [x]);
      expect(() => gg.grad(y, [x])).toThrow(/a second time/);
    });
    const [first, second] = gg.scope(() => {
      const y = x.mul(x).mul(x).sum();
      const [g] = gg.grad(y, [x], undefined, { createGraph: true });
      const [again] = gg.grad(y, [x]);
      return [g.detach().clone(), again];
    });
    expect(await values(first)).toEqual([3, 12]);
    expect(await values(second)).toEqual([3, 12]);
    for (const t of [x, first, second]) t.dispose();
  });
});

describe('noGrad', () => {
  it('refuses an async function, which would record a graph after its first await', async () => {
    const x = gg.tensor([1, 2], { requiresGrad: true });
    let after: gg.Tensor | null = null;
    const run = async () => {
      await Promise.resolve();
      after = x.mul(2);
    };
    expect(() => gg.noGrad(run as unknown as () => void)).toThrow(/noGrad: the function returned a Promise; noGrad must be synchronous/);
    expect(gg.isGradEnabled()).toBe(true);
    await Promise.resolve();
    await Promise.resolve();
    (after as gg.Tensor | null)?.dispose();
    x.dispose();
  });
});
