// RMSprop step for step against the float64 reference of PyTorch's rule (tests/optim/reference.ts)
// for each combination of centered, momentum and weight decay, with maximize, alpha, eps, groups and
// an lr change; and its named errors for bad settings.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { compareSteps } from './compare-steps.js';
import { rmspropRef, type RMSpropRefOptions } from './reference.js';

// The momentum buffer sums terms g / avg near +-10 (avg is 0.1 |g| on the first step) whose
// difference can be near 0, so its float32 error is a few ulps of 10, not of the result.
const STATE_ATOL = 1e-5;

const defaults: RMSpropRefOptions = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false };

describe('RMSprop', () => {
  const settings: [string, Partial<gg.optim.RMSpropOptions>][] = [
    ['plain', {}],
    ['weight decay', { weightDecay: 0.1 }],
    ['momentum', { momentum: 0.9 }],
    ['momentum and weight decay', { momentum: 0.5, weightDecay: 0.2 }],
    ['centered', { centered: true }],
    ['centered with weight decay', { centered: true, weightDecay: 0.1 }],
    ['centered with momentum', { centered: true, momentum: 0.9 }],
    ['centered, momentum, weight decay, maximize, alpha, eps', { lr: 0.02, centered: true, momentum: 0.7, weightDecay: 0.3, maximize: true, alpha: 0.8, eps: 1e-3 }],
  ];
  for (const [name, options] of settings) {
    it(`matches the reference: ${name}`, async () => {
      const o = { ...defaults, ...options };
      await compareSteps({ optimizer: (params) => new gg.optim.RMSprop(params, options), reference: (w, g, s) => rmspropRef(w, g, s, o), steps: 5, stateAtol: STATE_ATOL });
    });
  }

  it('updates parameter groups with their own settings, skips parameters without a gradient, follows lr changes', async () => {
    const groupOf = (k: number) => (k < 3 ? 0 : 1);
    const o = [
      { ...defaults, lr: 0.01, momentum: 0.9 },
      { ...defaults, lr: 0.005, centered: true, weightDecay: 0.01, momentum: 0.9 },
    ];
    await compareSteps({
      optimizer: (params) =>
        new gg.optim.RMSprop([{ params: params.slice(0, 3) }, { params: params.slice(3), lr: 0.005, centered: true, weightDecay: 0.01 }], { momentum: 0.9 }),
      reference: (w, g, state, k) => rmspropRef(w, g, state, o[groupOf(k)]),
      beforeStep: (step, optimizer) => {
        if (step === 3) {
          optimizer.lr = 0.002;
          for (const group of o) group.lr = 0.002;
        }
      },
      hasGrad: (step, k) => !((k === 1 && step === 2) || (k === 4 && step < 2)),
      steps: 6,
      stateAtol: STATE_ATOL,
    });
  });

  it('rejects bad settings with errors naming RMSprop and the setting', () => {
    const p = gg.zeros([3]).requiresGrad_();
    expect(() => new gg.optim.RMSprop([p], { lr: -0.1 })).toThrow(/RMSprop: lr must be a finite number >= 0, got -0.1/);
    expect(() => new gg.optim.RMSprop([p], { alpha: 1.5 })).toThrow(/RMSprop: alpha must be in \[0, 1\], got 1.5/);
    expect(() => new gg.optim.RMSprop([p], { alpha: -0.1 })).toThrow(/RMSprop: alpha must be in \[0, 1\], got -0.1/);
    expect(() => new gg.optim.RMSprop([p], { eps: NaN })).toThrow(/RMSprop: eps must be a finite number >= 0, got NaN/);
    expect(() => new gg.optim.RMSprop([p], { momentum: -0.9 })).toThrow(/RMSprop: momentum must be a finite number >= 0, got -0.9/);
    expect(() => new gg.optim.RMSprop([{ params: [p], weightDecay: -1 }])).toThrow(/RMSprop: weightDecay must be a finite number >= 0, got -1/);
    expect(() => new gg.optim.RMSprop([p], { centered: 1 as never })).toThrow(/RMSprop: centered must be true or false, got 1/);
    expect(() => new gg.optim.RMSprop([p], { beta: 0.9 } as never)).toThrow(/RMSprop: unknown setting 'beta' \(known: lr, alpha, eps, weightDecay, momentum, centered, maximize, foreach\)/);
    expect(() => new gg.optim.RMSprop([])).toThrow(/RMSprop: got an empty parameter list/);
    p.dispose();
  });
});
