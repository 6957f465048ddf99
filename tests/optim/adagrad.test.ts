// Adagrad step for step against the float64 reference of PyTorch's rule (tests/optim/reference.ts)
// with lrDecay, initialAccumulatorValue, weight decay and maximize, groups and an lr change; a
// captured step (gg.capture) replaying the step-dependent learning-rate decay bit for bit; and its
// named errors for bad settings.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { compareSteps } from './compare-steps.js';
import { adagradRef, type AdagradRefOptions } from './reference.js';

const defaults: AdagradRefOptions = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false };

describe('Adagrad', () => {
  const settings: [string, Partial<gg.optim.AdagradOptions>][] = [
    ['plain', {}],
    ['lr decay', { lr: 0.1, lrDecay: 0.5 }],
    ['initial accumulator value', { initialAccumulatorValue: 0.3 }],
    ['weight decay', { weightDecay: 0.2 }],
    ['lr decay, initial accumulator value, weight decay, maximize, eps', { lr: 0.05, lrDecay: 0.1, initialAccumulatorValue: 0.1, weightDecay: 0.1, maximize: true, eps: 1e-3 }],
  ];
  for (const [name, options] of settings) {
    it(`matches the reference: ${name}`, async () => {
      const o = { ...defaults, ...options };
      await compareSteps({ optimizer: (params) => new gg.optim.Adagrad(params, options), reference: (w, g, s) => adagradRef(w, g, s, o), steps: 5 });
    });
  }

  it('decays each parameter by its own step count, with per-group settings and lr changes', async () => {
    const groupOf = (k: number) => (k % 2 === 0 ? 0 : 1);
    const o = [
      { ...defaults, lr: 0.1, lrDecay: 0.2 },
      { ...defaults, lr: 0.05, lrDecay: 0.2, initialAccumulatorValue: 1 },
    ];
    await compareSteps({
      optimizer: (params) =>
        new gg.optim.Adagrad([
          { params: params.filter((_, k) => groupOf(k) === 0) },
          { params: params.filter((_, k) => groupOf(k) === 1), lr: 0.05, initialAccumulatorValue: 1 },
        ], { lr: 0.1, lrDecay: 0.2 }),
      reference: (w, g, state, k) => adagradRef(w, g, state, o[groupOf(k)]),
      beforeStep: (step, optimizer) => {
        if (step === 4) {
          optimizer.lr = 0.02;
          for (const group of o) group.lr = 0.02;
        }
      },
      hasGrad: (step, k) => !((k === 0 && step % 2 === 1) || (k === 3 && step < 3)),
      stateIndex: (k) => [0, 3, 1, 4, 2][k],
      steps: 6,
    });
  });

  it('replays a captured step with the learning-rate decay of each replayed step count', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const train = async (captureIt: boolean) => {
      const w = gg.tensor([0.5, -1, 2]).requiresGrad_();
      const optimizer = new gg.optim.Adagrad([w], { lr: 0.5, lrDecay: 0.3 });
      const step = (x: gg.Tensor) => {
        optimizer.zeroGrad();
        const loss = w.mul(x).square().sum();
        loss.backward();
        optimizer.step();
        return loss;
      };
      const captured = captureIt ? gg.capture(step, { onFallback: (m) => { throw new Error(`unexpected: ${m}`); } }) : null;
      const x = gg.tensor([1, 2, 3]);
      for (let i = 0; i < 8; i++) gg.scope(() => (captured ?? step)(x)).dispose();
      const values = Array.from(await w.data());
      const replays = captured?.replays ?? 0;
      captured?.dispose();
      optimizer.zeroGrad();
      optimizer.dispose();
      w.dispose();
      x.dispose();
      return { values, replays };
    };
    const eager = await train(false);
    const replayed = await train(true);
    expect(replayed.replays).toBeGreaterThan(0);
    expect(replayed.values).toEqual(eager.values);
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('rejects bad settings with errors naming Adagrad and the setting', () => {
    const p = gg.zeros([3]).requiresGrad_();
    expect(() => new gg.optim.Adagrad([p], { lr: -0.1 })).toThrow(/Adagrad: lr must be a finite number >= 0, got -0.1/);
    expect(() => new gg.optim.Adagrad([p], { lrDecay: -1 })).toThrow(/Adagrad: lrDecay must be a finite number >= 0, got -1/);
    expect(() => new gg.optim.Adagrad([p], { initialAccumulatorValue: -0.5 })).toThrow(/Adagrad: initialAccumulatorValue must be a finite number >= 0, got -0.5/);
    expect(() => new gg.optim.Adagrad([{ params: [p], weightDecay: Infinity }])).toThrow(/Adagrad: weightDecay must be a finite number >= 0, got Infinity/);
    expect(() => new gg.optim.Adagrad([p], { eps: -1e-10 })).toThrow(/Adagrad: eps must be a finite number >= 0, got -1e-10/);
    expect(() => new gg.optim.Adagrad([p], { lr_decay: 0.1 } as never)).toThrow(/Adagrad: unknown setting 'lr_decay' \(known: lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize, foreach\)/);
    const optimizer = new gg.optim.Adagrad([p], { lr: 0.1 });
    expect(() => (optimizer.lr = -1)).toThrow(/Adagrad: lr must be a finite number >= 0, got -1/);
    optimizer.dispose();
    p.dispose();
  });
});
