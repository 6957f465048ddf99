// ExponentialLR, MultiStepLR, OneCycleLR and ReduceLROnPlateau against the lr sequences of PyTorch's
// documented algorithms, computed here: the chainable forms of ExponentialLR and MultiStepLR (each
// step multiplies the last lr), OneCycleLR's phase table with its momentum (SGD) and beta1 (Adam)
// cycling, two and three phases, cos and linear annealing, and ReduceLROnPlateau's patience,
// thresholds, cooldown and minLr on hand-traced metric sequences; state round trips and named errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const { optim } = gg;

function twoGroups(options: { momentum?: number } = {}): { optimizer: gg.optim.SGD; params: gg.Tensor[] } {
  const params = [gg.zeros([2]).requiresGrad_(), gg.zeros([3]).requiresGrad_()];
  const optimizer = new optim.SGD([{ params: [params[0]], lr: 0.1 }, { params: [params[1]], lr: 0.4 }], options);
  return { optimizer, params };
}

/** Each group's lr after construction and after each of `steps` steps. */
function lrSequence(scheduler: { step(): void; lastLr: number[] }, steps: number): number[][] {
  const out = [scheduler.lastLr];
  for (let i = 0; i < steps; i++) {
    scheduler.step();
    out.push(scheduler.lastLr);
  }
  return out;
}

function expectClose(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, t) => row.forEach((v, g) => expect(v, `step ${t}, group ${g}`).toBeCloseTo(expected[t][g], 12)));
}

describe('ExponentialLR and MultiStepLR', () => {
  it('ExponentialLR: each step multiplies the lr by gamma', () => {
    const { optimizer, params } = twoGroups();
    const expected = [[0.1, 0.4]];
    for (let t = 1; t <= 8; t++) expected.push(expected[t - 1].map((lr) => lr * 0.7));
    expectClose(lrSequence(new optim.ExponentialLR(optimizer, { gamma: 0.7 }), 8), expected);
    for (const p of params) p.dispose();
  });

  it('MultiStepLR: the lr is multiplied by gamma at each milestone (twice at a repeated one)', () => {
    const { optimizer, params } = twoGroups();
    const milestones = [5, 2, 5, 7];
    const expected = [[0.1, 0.4]];
    for (let t = 1; t <= 9; t++) {
      const hits = milestones.filter((m) => m === t).length;
      expected.push(expected[t - 1].map((lr) => lr * 0.5 ** hits));
    }
    expectClose(lrSequence(new optim.MultiStepLR(optimizer, { milestones, gamma: 0.5 }), 9), expected);
    expectClose(lrSequence(new optim.MultiStepLR(twoGroups().optimizer, { milestones: [1] }), 2), [[0.1, 0.4], [0.01, 0.04], [0.01, 0.04]]);
    for (const p of params) p.dispose();
  });
});

/** PyTorch's OneCycleLR.get_lr, transcribed: the lr and momentum of one group at `step`. */
function oneCycleRef(step: number, total: number, maxLr: number, o: { pctStart: number; cos: boolean; threePhase: boolean; div: number; finalDiv: number }): [number, number] {
  const initial = maxLr / o.div;
  const min = initial / o.finalDiv;
  const phases = o.threePhase
    ? [
        { end_step: o.pctStart * total - 1, start_lr: initial, end_lr: maxLr, start_m: 0.95, end_m: 0.85 },
        { end_step: 2 * o.pctStart * total - 2, start_lr: maxLr, end_lr: initial, start_m: 0.85, end_m: 0.95 },
        { end_step: total - 1, start_lr: initial, end_lr: min, start_m: 0.95, end_m: 0.95 },
      ]
    : [
        { end_step: o.pctStart * total - 1, start_lr: initial, end_lr: maxLr, start_m: 0.95, end_m: 0.85 },
        { end_step: total - 1, start_lr: maxLr, end_lr: min, start_m: 0.85, end_m: 0.95 },
      ];
  const anneal = (start: number, end: number, pct: number) => (o.cos ? end + ((start - end) / 2.0) * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start);
  let startStep = 0;
  for (let i = 0; i < phases.length; i++) {
    const phase = phases[i];
    if (step <= phase.end_step || i === phases.length - 1) {
      const pct = (step - startStep) / (phase.end_step - startStep);
      return [anneal(phase.start_lr, phase.end_lr, pct), anneal(phase.start_m, phase.end_m, pct)];
    }
    startStep = phase.end_step;
  }
  throw new Error('no phase');
}

describe('OneCycleLR', () => {
  it("follows PyTorch's defaults (cos, pctStart 0.3, divFactor 25, finalDivFactor 1e4) and cycles SGD's momentum", () => {
    const { optimizer, params } = twoGroups({ momentum: 0.9 });
    const total = 13;
    const scheduler = new optim.OneCycleLR(optimizer, { maxLr: [0.5, 2], totalSteps: total });
    const settings = { pctStart: 0.3, cos: true, threePhase: false, div: 25, finalDiv: 1e4 };
    for (let t = 0; t <= total; t++) {
      if (t > 0) scheduler.step();
      [0.5, 2].forEach((maxLr, g) => {
        // At step totalSteps (after the last batch) PyTorch extrapolates; gengpu holds the final values.
        const [lr, momentum] = t < total ? oneCycleRef(t, total, maxLr, settings) : [maxLr / 25 / 1e4, 0.95];
        expect(optimizer.paramGroups[g].lr, `lr at step ${t}`).toBeCloseTo(lr, 12);
        expect(optimizer.paramGroups[g].momentum, `momentum at step ${t}`).toBeCloseTo(momentum, 12);
      });
    }
    expect(optimizer.paramGroups[0].lr).toBeCloseTo(0.5 / 25 / 1e4, 15);
    expect(() => scheduler.step()).toThrow('OneCycleLR: stepped 14 times, past totalSteps 13');
    for (const p of params) p.dispose();
  });

  it("three phases, linear annealing, epochs x stepsPerEpoch, and Adam's beta1", () => {
    const p = gg.zeros([2]).requiresGrad_();
    const adam = new optim.Adam([p], { betas: [0.9, 0.99] });
    const scheduler = new optim.OneCycleLR(adam, { maxLr: 0.01, epochs: 4, stepsPerEpoch: 5, threePhase: true, annealStrategy: 'linear', pctStart: 0.25, divFactor: 10, finalDivFactor: 100 });
    expect(scheduler.totalSteps).toBe(20);
    for (let t = 0; t <= 20; t++) {
      if (t > 0) scheduler.step();
      const [lr, beta1] = t < 20 ? oneCycleRef(t, 20, 0.01, { pctStart: 0.25, cos: false, threePhase: true, div: 10, finalDiv: 100 }) : [0.01 / 10 / 100, 0.95];
      expect(adam.paramGroups[0].lr, `lr at step ${t}`).toBeCloseTo(lr, 12);
      expect(adam.paramGroups[0].betas[0], `beta1 at step ${t}`).toBeCloseTo(beta1, 12);
      expect(adam.paramGroups[0].betas[1]).toBe(0.99);
    }
    const fixed = new optim.OneCycleLR(adam, { maxLr: 0.01, totalSteps: 5, cycleMomentum: false });
    expect(fixed.lastLr[0]).toBeCloseTo(0.01 / 25, 15);
    expect(() => new optim.OneCycleLR(adam, { maxLr: 0.01 })).toThrow('OneCycleLR: give totalSteps, or epochs and stepsPerEpoch (integers >= 1), got epochs undefined and stepsPerEpoch undefined');
    expect(() => new optim.OneCycleLR(adam, { maxLr: [0.1, 0.2], totalSteps: 5 })).toThrow('OneCycleLR: maxLr must be a finite number >= 0 or one per parameter group (1), got 0.1,0.2');
    p.dispose();
  });
});

describe('ReduceLROnPlateau', () => {
  it("mode min, relative threshold: drops by factor after more than patience bad epochs, not below minLr", () => {
    const { optimizer, params } = twoGroups();
    const plateau = new optim.ReduceLROnPlateau(optimizer, { factor: 0.5, patience: 2, minLr: [0.02, 0] });
    // 1 (best), 0.99995 (not better by 1e-4 relative: bad 1), 0.9 (best), then bad 1, 2, 3 -> drop; bad 1, 2, 3 -> drop;
    // bad 1, 2, 3 -> group 0 would go to 0.0125 < minLr 0.02: it stops at 0.02.
    const metrics = [1, 0.99995, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95];
    const expected = [
      [0.1, 0.4], [0.1, 0.4], [0.1, 0.4], [0.1, 0.4], [0.1, 0.4], [0.05, 0.2],
      [0.05, 0.2], [0.05, 0.2], [0.025, 0.1], [0.025, 0.1], [0.025, 0.1], [0.02, 0.05],
    ];
    metrics.forEach((m, t) => {
      plateau.step(m);
      expectClose([plateau.lastLr], [expected[t]]);
    });
    expect(plateau.stateDict()).toEqual({ best: 0.9, numBadEpochs: 0, cooldownCounter: 0, lastEpoch: 12 });
    for (const p of params) p.dispose();
  });

  it('mode max with an absolute threshold and a cooldown', () => {
    const { optimizer, params } = twoGroups();
    const plateau = new optim.ReduceLROnPlateau(optimizer, { mode: 'max', thresholdMode: 'abs', threshold: 0.1, patience: 1, cooldown: 2 });
    // 0.5 best; 0.55 not better by 0.1 (bad 1); 0.58 bad 2 -> drop, cooldown 2; 0.3: cooldown 1, bad reset;
    // 0.3: cooldown 0, bad reset; 0.3 bad 1; 0.3 bad 2 -> drop, cooldown 2; 0.7 better (best), cooldown 1.
    const metrics = [0.5, 0.55, 0.58, 0.3, 0.3, 0.3, 0.3, 0.7];
    const expected = [[0.1, 0.4], [0.1, 0.4], [0.01, 0.04], [0.01, 0.04], [0.01, 0.04], [0.01, 0.04], [0.001, 0.004], [0.001, 0.004]];
    metrics.forEach((m, t) => {
      plateau.step(m);
      expectClose([plateau.lastLr], [expected[t]]);
    });
    // The position survives a JSON round trip into a fresh scheduler.
    const resumed = new optim.ReduceLROnPlateau(optimizer, { mode: 'max', thresholdMode: 'abs', threshold: 0.1, patience: 1, cooldown: 2 });
    resumed.loadStateDict(JSON.parse(JSON.stringify(plateau.stateDict())));
    expect(resumed.stateDict()).toEqual({ best: 0.7, numBadEpochs: 0, cooldownCounter: 1, lastEpoch: 8 });
    for (const p of params) p.dispose();
  });

  it('skips drops smaller than eps and names bad input', () => {
    const { optimizer, params } = twoGroups();
    const plateau = new optim.ReduceLROnPlateau(optimizer, { patience: 0, factor: 0.9, eps: 0.05 });
    plateau.step(1);
    plateau.step(1); // group 0 would drop by 0.01 < eps: kept; group 1 by 0.04 < eps: kept
    expect(plateau.lastLr).toEqual([0.1, 0.4]);
    expect(() => plateau.step(NaN)).toThrow('ReduceLROnPlateau.step: the metric must be a number (read a tensor with await t.item()), got NaN');
    expect(() => new optim.ReduceLROnPlateau(optimizer, { factor: 1 })).toThrow('ReduceLROnPlateau: factor must be in [0, 1), got 1');
    expect(() => new optim.ReduceLROnPlateau(optimizer, { mode: 'up' as 'min' })).toThrow("ReduceLROnPlateau: mode must be 'min' or 'max', got 'up'");
    expect(() => new optim.ReduceLROnPlateau(optimizer, { minLr: [0] })).toThrow('ReduceLROnPlateau: minLr must be a finite number >= 0 or one per parameter group (2), got 0');
    for (const p of params) p.dispose();
  });
});
