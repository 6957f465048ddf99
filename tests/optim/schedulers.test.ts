// Learning-rate schedules against their closed forms: StepLR, CosineWithWarmup (nanoGPT's get_lr)
// and LambdaLR, per parameter group, set at construction (epoch 0) and at every step(); their state
// round trip; and the named errors.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

function twoGroupSGD(): { optimizer: gg.optim.SGD; params: gg.Tensor[] } {
  const params = [gg.zeros([2]).requiresGrad_(), gg.zeros([3]).requiresGrad_()];
  const optimizer = new gg.optim.SGD([{ params: [params[0]], lr: 0.1 }, { params: [params[1]], lr: 0.4 }]);
  return { optimizer, params };
}

/** lastLr after construction and after each of `steps` steps. */
function sequence(scheduler: gg.optim.LRScheduler, steps: number): number[][] {
  const out = [scheduler.lastLr];
  for (let i = 0; i < steps; i++) {
    scheduler.step();
    out.push(scheduler.lastLr);
  }
  return out;
}

function expectSequence(actual: number[][], expected: (epoch: number, base: number) => number, bases: number[]): void {
  actual.forEach((lrs, epoch) => lrs.forEach((lr, g) => expect(lr, `epoch ${epoch}, group ${g}`).toBeCloseTo(expected(epoch, bases[g]), 12)));
}

describe('learning-rate schedules', () => {
  it('StepLR multiplies by gamma every stepSize epochs', () => {
    const { optimizer, params } = twoGroupSGD();
    const scheduler = new gg.optim.StepLR(optimizer, { stepSize: 3, gamma: 0.5 });
    expectSequence(sequence(scheduler, 10), (e, base) => base * 0.5 ** Math.floor(e / 3), [0.1, 0.4]);
    expect(optimizer.paramGroups.map((g) => g.lr)).toEqual(scheduler.lastLr);
    for (const p of params) p.dispose();
  });

  it("CosineWithWarmup follows nanoGPT's get_lr: linear warmup, cosine to minLr, then minLr", () => {
    const { optimizer, params } = twoGroupSGD();
    const [warmup, total, minLr] = [4, 12, 0.01];
    const scheduler = new gg.optim.CosineWithWarmup(optimizer, { warmupSteps: warmup, totalSteps: total, minLr });
    const getLr = (it: number, base: number) => {
      if (it < warmup) return (base * (it + 1)) / (warmup + 1);
      if (it > total) return minLr;
      return minLr + 0.5 * (1 + Math.cos((Math.PI * (it - warmup)) / (total - warmup))) * (base - minLr);
    };
    const lrs = sequence(scheduler, 15);
    expectSequence(lrs, getLr, [0.1, 0.4]);
    expect(lrs[warmup][0]).toBeCloseTo(0.1, 12);
    expect(lrs[total][1]).toBeCloseTo(minLr, 12);
    expect(lrs[15][0]).toBe(minLr);
    for (const p of params) p.dispose();
  });

  it('LambdaLR scales each base lr by its lambda', () => {
    const { optimizer, params } = twoGroupSGD();
    const scheduler = new gg.optim.LambdaLR(optimizer, [(e) => 1 / (e + 1), (e) => 0.9 ** e]);
    expectSequence(sequence(scheduler, 6), (e, base) => (base === 0.1 ? base / (e + 1) : base * 0.9 ** e), [0.1, 0.4]);
    const shared = new gg.optim.LambdaLR(optimizer, (e) => e);
    expect(shared.lastLr).toEqual([0, 0]);
    for (const p of params) p.dispose();
  });

  it('resumes from its state dict', () => {
    const { optimizer, params } = twoGroupSGD();
    const scheduler = new gg.optim.StepLR(optimizer, { stepSize: 2, gamma: 0.1 });
    for (let i = 0; i < 5; i++) scheduler.step();
    const saved = JSON.parse(JSON.stringify(scheduler.stateDict()));
    const resumed = new gg.optim.StepLR(optimizer, { stepSize: 2, gamma: 0.1 });
    resumed.loadStateDict(saved);
    expect(resumed.lastEpoch).toBe(5);
    expect(resumed.baseLrs).toEqual([0.1, 0.4]);
    resumed.step();
    expect(resumed.lastLr[0]).toBeCloseTo(0.1 * 0.1 ** 3, 15);
    for (const p of params) p.dispose();
  });

  it('names bad settings', () => {
    const { optimizer, params } = twoGroupSGD();
    expect(() => new gg.optim.StepLR(optimizer, { stepSize: 0 })).toThrow(/StepLR: stepSize must be an integer >= 1, got 0/);
    expect(() => new gg.optim.CosineWithWarmup(optimizer, { warmupSteps: 5, totalSteps: 5 })).toThrow(/CosineWithWarmup: totalSteps must be an integer > warmupSteps/);
    expect(() => new gg.optim.CosineWithWarmup(optimizer, { warmupSteps: 0, totalSteps: 5, minLr: -1 })).toThrow(/CosineWithWarmup: minLr/);
    expect(() => new gg.optim.LambdaLR(optimizer, [() => 1])).toThrow(/LambdaLR: 1 lambdas for 2 parameter groups/);
    expect(() => new gg.optim.LambdaLR(optimizer, () => -1)).toThrow(/LambdaLR: the schedule gave lr -0.1 for group 0 at epoch 0/);
    for (const p of params) p.dispose();
  });
});
