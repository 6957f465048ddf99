// The optimizers inside training loops: linear regression with matmul converges with each of them;
// no pipeline is compiled after the first step, whatever the lr schedule does; and 200 steps of
// forward, backward, clipping, update, schedule and zeroGrad leave the live-buffer count flat.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

type Optimizer = gg.optim.Optimizer<gg.optim.GroupOptions>;

/** y = x w* + b* on 32 random points of 5 features, and zero-initialised parameters w, b. */
function regressionProblem() {
  gg.manualSeed(3);
  return gg.scope(() => {
    const x = gg.randn([32, 5]);
    const trueW = gg.tensor([[1.5], [-2], [0.5], [3], [-1]]);
    return {
      x,
      y: x.matmul(trueW).add(0.7),
      w: gg.zeros([5, 1]).requiresGrad_(),
      b: gg.zeros([1]).requiresGrad_(),
    };
  });
}

/** One step: mean squared error, backward, optional clipping, update. Returns the loss. */
function trainStep(problem: ReturnType<typeof regressionProblem>, optimizer: Optimizer, clip?: number): gg.Tensor {
  const { x, y, w, b } = problem;
  return gg.scope(() => {
    optimizer.zeroGrad();
    const loss = x.matmul(w).add(b).sub(y).square().mean();
    loss.backward();
    if (clip !== undefined) gg.optim.clipGradNorm([w, b], clip);
    optimizer.step();
    return loss;
  });
}

describe('training with gg.optim', () => {
  const optimizers: [string, (params: gg.Tensor[]) => Optimizer, number][] = [
    ['SGD with Nesterov momentum', (p) => new gg.optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true }), 150],
    ['Adam', (p) => new gg.optim.Adam(p, { lr: 0.1 }), 250],
    ['AdamW', (p) => new gg.optim.AdamW(p, { lr: 0.1, weightDecay: 1e-4 }), 250],
  ];
  for (const [name, make, steps] of optimizers) {
    it(`fits a linear regression with ${name}`, async () => {
      const problem = regressionProblem();
      const optimizer = make([problem.w, problem.b]);
      const scheduler = new gg.optim.CosineWithWarmup(optimizer, { warmupSteps: 10, totalSteps: steps, minLr: optimizer.lr / 20 });
      let first = Infinity;
      let last = Infinity;
      for (let step = 0; step < steps; step++) {
        const loss = trainStep(problem, optimizer);
        scheduler.step();
        if (step === 0) first = await loss.item();
        if (step === steps - 1) last = await loss.item();
        loss.dispose();
      }
      expect(first).toBeGreaterThan(5);
      expect(last).toBeLessThan(1e-4);
      expect(await problem.b.item()).toBeCloseTo(0.7, 1);
      optimizer.dispose();
      for (const t of Object.values(problem)) t.dispose();
    });
  }

  it('compiles no pipeline after the first step, whatever the lr', () => {
    const rt = gg.runtime();
    const problem = regressionProblem();
    const params = [problem.w, problem.b];
    const variants: Optimizer[] = [
      new gg.optim.SGD(params, { lr: 0.01, momentum: 0.9 }),
      new gg.optim.SGD(params, { lr: 0.01 }),
      new gg.optim.Adam(params, { lr: 0.01, amsgrad: true }),
      new gg.optim.AdamW(params, { lr: 0.01 }),
    ];
    for (const optimizer of variants) {
      const scheduler = new gg.optim.StepLR(optimizer, { stepSize: 2, gamma: 0.7 });
      trainStep(problem, optimizer, 1).dispose();
      const compiled = rt.counters.pipelinesCompiled;
      for (let step = 0; step < 6; step++) {
        optimizer.lr = 0.001 * (step + 1);
        scheduler.step();
        trainStep(problem, optimizer, 0.5 + step).dispose();
      }
      expect(rt.counters.pipelinesCompiled, optimizer.optimizerName).toBe(compiled);
      optimizer.dispose();
    }
    for (const t of Object.values(problem)) t.dispose();
  });

  it('keeps the live-buffer count flat over 200 steps and returns it to the baseline', async () => {
    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const problem = regressionProblem();
    const optimizer = new gg.optim.AdamW([{ params: [problem.w] }, { params: [problem.b], weightDecay: 0 }], { lr: 0.05, amsgrad: true });
    const scheduler = new gg.optim.CosineWithWarmup(optimizer, { warmupSteps: 20, totalSteps: 200 });
    trainStep(problem, optimizer, 1).dispose();
    const afterFirstStep = rt.memory().liveBuffers;
    for (let step = 1; step < 200; step++) {
      const loss = trainStep(problem, optimizer, 1);
      scheduler.step();
      if (step % 50 === 0) await loss.item();
      loss.dispose();
      expect(rt.memory().liveBuffers).toBe(afterFirstStep);
    }
    optimizer.zeroGrad();
    optimizer.dispose();
    for (const t of Object.values(problem)) t.dispose();
    expect(rt.memory().liveBuffers).toBe(baseline);
  });
});
