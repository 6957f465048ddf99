// Named errors for bad optimizer construction, settings and use: negative lr, betas outside [0, 1),
// parameters that are not leaves, do not require grad, are not f32 or repeat, empty parameter lists,
// unknown settings, Nesterov without momentum, gradients of the wrong shape, use after dispose().
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

describe('optimizer errors', () => {
  it('rejects bad parameter lists', () => {
    const p = gg.zeros([2, 3]).requiresGrad_();
    const derived = p.mul(2);
    const frozen = gg.zeros([4]);
    const ints = gg.zeros([4], { dtype: 'i32' });
    expect(() => new gg.optim.SGD([])).toThrow(/SGD: got an empty parameter list/);
    expect(() => new gg.optim.Adam([{ params: [] }])).toThrow(/Adam: got an empty parameter list/);
    expect(() => new gg.optim.SGD([derived])).toThrow(/SGD: parameter tensor #\d+ is not a leaf \(it is the result of mulScalar\) \(inputs: \[2, 3\] f32\)/);
    expect(() => new gg.optim.AdamW([frozen])).toThrow(/AdamW: parameter tensor #\d+ does not require grad \(call requiresGrad_\(\)\) \(inputs: \[4\] f32\)/);
    expect(() => new gg.optim.SGD([ints])).toThrow(/SGD: parameter tensor #\d+ does not require grad/);
    ints.requiresGrad_();
    expect(() => new gg.optim.SGD([ints])).toThrow(/SGD: parameter tensor #\d+ must be f32 \(inputs: \[4\] i32\)/);
    expect(() => new gg.optim.Adam([{ params: [p] }, { params: [p] }])).toThrow(/Adam: parameter tensor #\d+ appears more than once/);
    expect(() => new gg.optim.SGD([p, { params: [p] }] as unknown as gg.Tensor[])).toThrow(/SGD: params must be tensors, \[name, tensor\] pairs or parameter groups/);
    for (const t of [p, derived, frozen, ints]) t.dispose();
  });

  it('rejects bad settings, in constructors, groups and the lr setter', () => {
    const p = gg.zeros([3]).requiresGrad_();
    expect(() => new gg.optim.SGD([p], { lr: -0.1 })).toThrow(/SGD: lr must be a finite number >= 0, got -0.1/);
    expect(() => new gg.optim.Adam([{ params: [p], lr: -1 }])).toThrow(/Adam: lr must be a finite number >= 0, got -1/);
    expect(() => new gg.optim.Adam([p], { betas: [1, 0.999] })).toThrow(/Adam: beta1 must be in \[0, 1\), got 1/);
    expect(() => new gg.optim.AdamW([p], { betas: [0.9, -0.1] })).toThrow(/AdamW: beta2 must be in \[0, 1\), got -0.1/);
    expect(() => new gg.optim.Adam([p], { eps: NaN })).toThrow(/Adam: eps must be a finite number >= 0, got NaN/);
    expect(() => new gg.optim.SGD([p], { nesterov: true })).toThrow(/SGD: Nesterov momentum needs momentum > 0 and dampening = 0/);
    expect(() => new gg.optim.SGD([p], { momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/dampening 0.1/);
    expect(() => new gg.optim.SGD([p], { learningRate: 0.1 } as never)).toThrow(/SGD: unknown setting 'learningRate' \(known: lr, momentum/);
    const optimizer = new gg.optim.SGD([p], { lr: 0.1 });
    expect(() => (optimizer.lr = -1)).toThrow(/SGD: lr must be a finite number >= 0, got -1/);
    expect(optimizer.lr).toBe(0.1);
    p.dispose();
  });

  it('rejects gradients that do not match their parameter before updating any, and use after dispose()', async () => {
    const first = gg.ones([2]).requiresGrad_();
    const p = gg.zeros([3]).requiresGrad_();
    const optimizer = new gg.optim.Adam([first, p]);
    first.grad = gg.ones([2]);
    p.grad = gg.zeros([4]);
    expect(() => optimizer.step()).toThrow(/Adam.step: gradient \[4\] f32 does not match its parameter \[3\] f32/);
    expect(Array.from(await first.data())).toEqual([1, 1]);
    optimizer.zeroGrad();
    expect(p.grad).toBeNull();
    optimizer.dispose();
    expect(() => optimizer.step()).toThrow(/Adam.step: the optimizer was used after dispose\(\)/);
    first.dispose();
    p.dispose();
  });
});
