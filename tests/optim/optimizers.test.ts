// SGD, Adam and AdamW step for step against the float64 references of PyTorch's rules
// (tests/optim/reference.ts): 10 steps on parameters of sizes 1, 3, 17, 64 and 65 (partial and whole
// vec4s) with random gradients set on .grad, comparing every parameter after every step and the
// optimizer state at the end. Covers momentum, dampening, Nesterov, weight decay, maximize, AMSGrad,
// AdamW's decoupled decay, parameter groups with their own settings, lr changes mid-run, and
// parameters skipped on the steps where they have no gradient.
import { describe, it } from 'vitest';
import * as gg from '../../src/index.js';
import { compareSteps } from './compare-steps.js';
import { adamRef, sgdRef, type AdamRefOptions, type SGDRefOptions } from './reference.js';

const sgdDefaults: SGDRefOptions = { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false };
const adamDefaults: AdamRefOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, decoupled: false };

describe('SGD', () => {
  const settings: [string, Partial<gg.optim.SGDOptions>][] = [
    ['plain', { lr: 0.1 }],
    ['momentum', { lr: 0.1, momentum: 0.9 }],
    ['momentum with dampening and weight decay', { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.1 }],
    ['Nesterov', { lr: 0.1, momentum: 0.9, nesterov: true }],
    ['Nesterov, weight decay, maximize', { lr: 0.1, momentum: 0.5, nesterov: true, weightDecay: 0.2, maximize: true }],
    ['weight decay without momentum', { lr: 0.1, weightDecay: 0.5 }],
  ];
  for (const [name, options] of settings) {
    it(`matches the reference: ${name}`, async () => {
      const o = { ...sgdDefaults, ...options };
      await compareSteps({
        optimizer: (params) => new gg.optim.SGD(params, options),
        reference: (w, g, state) => sgdRef(w, g, state, o),
      });
    });
  }

  it('uses the defaults of PyTorch (lr 1e-3, no momentum)', async () => {
    await compareSteps({ optimizer: (params) => new gg.optim.SGD(params), reference: (w, g, s) => sgdRef(w, g, s, sgdDefaults), steps: 2 });
  });

  it('updates parameter groups with their own settings, skips parameters without a gradient, follows lr changes', async () => {
    const groupOf = (k: number) => (k < 2 ? 0 : 1);
    const o = [
      { ...sgdDefaults, lr: 0.1, momentum: 0.9 },
      { ...sgdDefaults, lr: 0.02, momentum: 0.5, dampening: 0.5, weightDecay: 0.01 },
    ];
    await compareSteps({
      optimizer: (params) =>
        new gg.optim.SGD(
          [
            { params: params.slice(0, 2), lr: 0.1 },
            { params: params.slice(2), lr: 0.02, momentum: 0.5, dampening: 0.5, weightDecay: 0.01 },
          ],
          { momentum: 0.9 },
        ),
      reference: (w, g, state, k) => sgdRef(w, g, state, o[groupOf(k)]),
      beforeStep: (step, optimizer) => {
        if (step === 4) {
          optimizer.lr = 0.03;
          for (const group of o) group.lr = 0.03;
        }
        if (step === 7) {
          optimizer.paramGroups[1].lr = 0.2;
          o[1].lr = 0.2;
        }
      },
      // Parameter 1 skips steps 2, 3 and 8; parameter 3 has no gradient until step 5 (its momentum
      // buffer starts there, as a copy of that step's gradient).
      hasGrad: (step, k) => !((k === 1 && [2, 3, 8].includes(step)) || (k === 3 && step < 5)),
    });
  });
});

describe('Adam', () => {
  const settings: [string, Partial<gg.optim.AdamOptions>][] = [
    ['defaults with lr 0.01', { lr: 0.01 }],
    ['L2 weight decay', { lr: 0.01, weightDecay: 0.1 }],
    ['AMSGrad', { lr: 0.02, amsgrad: true, betas: [0.8, 0.9] }],
    ['maximize, betas, eps', { lr: 0.01, maximize: true, betas: [0.5, 0.99], eps: 1e-3 }],
    ['beta1 = 0', { lr: 0.01, betas: [0, 0.999] }],
  ];
  for (const [name, options] of settings) {
    it(`matches the reference: ${name}`, async () => {
      const o = { ...adamDefaults, ...options };
      await compareSteps({ optimizer: (params) => new gg.optim.Adam(params, options), reference: (w, g, s) => adamRef(w, g, s, o) });
    });
  }

  it('keeps a step count per parameter (bias corrections), per-group settings and lr changes', async () => {
    const groupOf = (k: number) => (k % 2 === 0 ? 0 : 1);
    const o = [
      { ...adamDefaults, lr: 0.01 },
      { ...adamDefaults, lr: 0.05, amsgrad: true, weightDecay: 0.05 },
    ];
    await compareSteps({
      optimizer: (params) =>
        new gg.optim.Adam([
          { params: params.filter((_, k) => groupOf(k) === 0) },
          { params: params.filter((_, k) => groupOf(k) === 1), lr: 0.05, amsgrad: true, weightDecay: 0.05 },
        ], { lr: 0.01 }),
      // group 0 holds parameters 0, 2, 4 (state indices 0, 1, 2); group 1 holds 1, 3 (indices 3, 4)
      reference: (w, g, state, k) => adamRef(w, g, state, o[groupOf(k)]),
      beforeStep: (step, optimizer) => {
        if (step === 6) {
          optimizer.lr = 0.002;
          for (const group of o) group.lr = 0.002;
        }
      },
      hasGrad: (step, k) => !((k === 0 && step % 3 === 1) || (k === 3 && step < 4)),
      stateIndex: (k) => [0, 3, 1, 4, 2][k],
    });
  });
});

describe('AdamW', () => {
  const settings: [string, Partial<gg.optim.AdamOptions>][] = [
    ['default weight decay 0.01', { lr: 0.01 }],
    ['strong decoupled decay with AMSGrad', { lr: 0.02, weightDecay: 0.5, amsgrad: true }],
    ['maximize', { lr: 0.01, weightDecay: 0.1, maximize: true }],
  ];
  for (const [name, options] of settings) {
    it(`matches the reference: ${name}`, async () => {
      const o = { ...adamDefaults, weightDecay: 0.01, ...options, decoupled: true };
      await compareSteps({ optimizer: (params) => new gg.optim.AdamW(params, options), reference: (w, g, s) => adamRef(w, g, s, o) });
    });
  }

  it('decays parameters that have a gradient, at the current lr', async () => {
    const o = { ...adamDefaults, lr: 0.01, weightDecay: 0.3, decoupled: true };
    await compareSteps({
      optimizer: (params) => new gg.optim.AdamW(params, { lr: 0.01, weightDecay: 0.3 }),
      reference: (w, g, s) => adamRef(w, g, s, o),
      beforeStep: (step, optimizer) => {
        if (step === 3) optimizer.lr = o.lr = 0.1;
      },
      hasGrad: (step, k) => k !== 2 || step > 6,
    });
  });
});
