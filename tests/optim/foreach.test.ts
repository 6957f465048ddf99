// Optimizers with their parameters side by side (`foreach`, the default): the parameters, gradients and
// states live in arenas and a run of neighbouring parameters is updated, clipped and watched with one
// dispatch. Each rule must give the per-parameter path's bits exactly (the update is elementwise), the
// NaN watch must still name the parameter, and memory must come back.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { arenaGroups } from '../../src/gpu/arena.js';

type Optimizer = gg.optim.Optimizer<gg.optim.GroupOptions>;

/** A small MLP of odd sizes (5 -> 7 -> 3, biases of 7 and 3), seeded: twins start equal. */
function mlp(seed: number): gg.nn.Sequential {
  const generator = new gg.Generator(seed);
  return new gg.nn.Sequential(new gg.nn.Linear(5, 7, { generator }), new gg.nn.Tanh(), new gg.nn.Linear(7, 3, { generator }));
}

const inputs = (step: number) => gg.tensor(Float32Array.from({ length: 4 * 5 }, (_, i) => Math.sin(i * 0.7 + step)), [4, 5]);

/** One training step: backward fills the gradients (then `drop`ped ones are set to null). */
function backwardStep(model: gg.nn.Sequential, step: number, drop: string[] = []): void {
  gg.scope(() => {
    for (const p of model.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
    model.forward(inputs(step)).square().mean().backward();
    for (const [name, p] of model.namedParameters()) {
      if (!drop.includes(name)) continue;
      p.grad?.dispose();
      p.grad = null;
    }
  });
}

const values = async (model: gg.nn.Sequential) => Promise.all(model.parameters().map((p) => p.data()));

const optimizers: [string, (params: [string, gg.Tensor][], foreach: boolean) => Optimizer][] = [
  ['SGD with Nesterov momentum', (params, foreach) => new gg.optim.SGD(params, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01, foreach })],
  ['Adam with AMSGrad', (params, foreach) => new gg.optim.Adam(params, { lr: 0.01, amsgrad: true, weightDecay: 0.01, foreach })],
  ['AdamW, maximizing', (params, foreach) => new gg.optim.AdamW(params, { lr: 0.01, maximize: true, foreach })],
  ['RMSprop centered with momentum', (params, foreach) => new gg.optim.RMSprop(params, { lr: 0.01, centered: true, momentum: 0.5, foreach })],
  ['Adagrad with decay and an initial sum', (params, foreach) => new gg.optim.Adagrad(params, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1, foreach })],
];

describe('optimizers with parameters side by side (foreach)', () => {
  for (const [name, make] of optimizers) {
    it(`${name}: the same bits as one launch per parameter, skipped gradients included, in fewer dispatches`, async () => {
      const rt = gg.runtime();
      const baseline = rt.memory().liveBuffers;
      const [side, alone] = [mlp(1), mlp(1)];
      const [sideOptimizer, aloneOptimizer] = [make(side.namedParameters(), true), make(alone.namedParameters(), false)];
      const dispatches: number[][] = [[], []];
      for (let step = 1; step <= 5; step++) {
        // Step 3 skips the first layer's bias: it breaks the run in two, and keeps its step count behind.
        const drop = step === 3 ? ['0.bias'] : [];
        [[side, sideOptimizer], [alone, aloneOptimizer]].forEach(([model, optimizer], k) => {
          backwardStep(model as gg.nn.Sequential, step, drop);
          const before = rt.counters.dispatches;
          (optimizer as Optimizer).step();
          dispatches[k].push(rt.counters.dispatches - before);
        });
      }
      expect(await values(side)).toEqual(await values(alone));
      const [sideState, aloneState] = [sideOptimizer.stateDict(), aloneOptimizer.stateDict()];
      expect(Object.keys(sideState).sort()).toEqual(Object.keys(aloneState).sort());
      for (const key of Object.keys(aloneState)) expect(await sideState[key].data(), key).toEqual(await aloneState[key].data());
      // One run of four parameters; at step 3 the skipped bias cuts it (weight | weight, bias), and from
      // step 4 its step count lags, so it stays a run of its own.
      // (Step 1 makes the states as well.)
      expect(dispatches[1].slice(1)).toEqual([4, 3, 4, 4]);
      expect(dispatches[0].slice(1)).toEqual([1, 2, 3, 3]);
      for (const t of [...Object.values(sideState), ...Object.values(aloneState)]) t.dispose();
      for (const o of [sideOptimizer, aloneOptimizer]) o.dispose();
      for (const m of [side, alone]) m.dispose();
      expect(rt.memory().liveBuffers).toBe(baseline);
    });
  }

  it('clipGradNorm clips a run with one dispatch each way, as per parameter up to rounding', async () => {
    const rt = gg.runtime();
    const [side, alone] = [mlp(2), mlp(2)];
    const [sideOptimizer, aloneOptimizer] = [new gg.optim.Adam(side.namedParameters(), { lr: 0.01 }), new gg.optim.Adam(alone.namedParameters(), { lr: 0.01, foreach: false })];
    const norms: number[][] = [[], []];
    for (let step = 1; step <= 3; step++) {
      for (const [k, model, optimizer] of [[0, side, sideOptimizer], [1, alone, aloneOptimizer]] as const) {
        backwardStep(model, step);
        const before = rt.counters.dispatches;
        const norm = gg.optim.clipGradNorm(model.parameters(), 0.05);
        // Partial norms, their sum, the square root (fused) and the scale: one of each for the run, once
        // the first step has gathered the parameters.
        if (k === 0 && step > 1) expect(rt.counters.dispatches - before).toBe(4);
        norms[k].push(await norm.item());
        norm.dispose();
        optimizer.step();
      }
    }
    expect(norms[0][0]).toBeGreaterThan(0.05); // clipping happened
    norms[0].forEach((n, i) => expect(n).toBeCloseTo(norms[1][i], 6));
    const [a, b] = [await values(side), await values(alone)];
    a.forEach((v, i) => v.forEach((x, j) => expect(x).toBeCloseTo(b[i][j], 6)));
    for (const o of [sideOptimizer, aloneOptimizer]) o.dispose();
    for (const m of [side, alone]) m.dispose();
  });

  it('clipGradValue clamps a run with one kernel, as per parameter', async () => {
    const rt = gg.runtime();
    const [side, alone] = [mlp(6), mlp(6)];
    const [sideOptimizer, aloneOptimizer] = [new gg.optim.SGD(side.parameters(), { lr: 0.5 }), new gg.optim.SGD(alone.parameters(), { lr: 0.5, foreach: false })];
    for (let step = 1; step <= 2; step++) {
      for (const [k, model, optimizer] of [[0, side, sideOptimizer], [1, alone, aloneOptimizer]] as const) {
        backwardStep(model, step);
        const before = rt.counters.dispatches;
        gg.optim.clipGradValue(model.parameters(), 0.01);
        if (k === 0 && step > 1) expect(rt.counters.dispatches - before).toBe(1);
        optimizer.step();
      }
    }
    expect(await values(side)).toEqual(await values(alone));
    for (const o of [sideOptimizer, aloneOptimizer]) o.dispose();
    for (const m of [side, alone]) m.dispose();
  });

  it('names the parameter whose gradient turned NaN inside a run', async () => {
    const model = mlp(3);
    const optimizer = new gg.optim.Adam(model.namedParameters(), { lr: 0.01 });
    backwardStep(model, 1);
    optimizer.step();
    backwardStep(model, 2);
    gg.noGrad(() => {
      const grad = model.namedParameters().find(([name]) => name === '2.weight')![1].grad!;
      grad.assign(grad.mul(gg.tensor(Float32Array.from({ length: 21 }, (_, i) => (i === 17 ? Number.NaN : 1)), [3, 7])));
    });
    optimizer.step();
    await expect(model.parameters()[0].data()).rejects.toThrow('training stopped: the gradient of 2.weight became NaN or Inf at step 2');
    optimizer.dispose();
    model.dispose();
  });

  it('restores a state dict into the arenas and resumes bit for bit', async () => {
    const [first, resumed] = [mlp(4), mlp(4)];
    const optimizer = new gg.optim.RMSprop(first.namedParameters(), { lr: 0.01, centered: true, momentum: 0.5 });
    for (let step = 1; step <= 3; step++) {
      backwardStep(first, step);
      optimizer.step();
    }
    const saved = optimizer.stateDict();
    gg.noGrad(() => first.parameters().forEach((p, i) => resumed.parameters()[i].assign(p)));
    const restored = new gg.optim.RMSprop(resumed.namedParameters(), { lr: 0.01, centered: true, momentum: 0.5 });
    await restored.loadStateDict(saved, optimizer.hyperparameters());
    for (let step = 4; step <= 6; step++) {
      for (const [model, o] of [[first, optimizer], [resumed, restored]] as const) {
        backwardStep(model, step);
        const before = gg.runtime().counters.dispatches;
        o.step();
        expect(gg.runtime().counters.dispatches - before).toBe(1);
      }
    }
    expect(await values(resumed)).toEqual(await values(first));
    for (const t of Object.values(saved)) t.dispose();
    for (const o of [optimizer, restored]) o.dispose();
    for (const m of [first, resumed]) m.dispose();
  });

  it('a later optimizer takes the parameters over; parameters outlive their optimizer', async () => {
    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const model = mlp(5);
    const before = await values(model);
    const first = new gg.optim.SGD(model.parameters(), { lr: 0.1 });
    expect(await values(model)).toEqual(before); // moved, unchanged
    backwardStep(model, 1);
    first.step();
    first.dispose();
    const afterFirst = await values(model);
    const second = new gg.optim.Adam(model.parameters(), { lr: 0.01 });
    backwardStep(model, 2);
    const dispatches = rt.counters.dispatches;
    second.step();
    expect(rt.counters.dispatches - dispatches).toBe(1);
    const afterSecond = await values(model);
    afterSecond.forEach((v, i) => expect(v).not.toEqual(afterFirst[i]));
    second.dispose();
    model.dispose();
    expect(rt.memory().liveBuffers).toBe(baseline);
  });

  it('splits parameters that outgrow the largest buffer into several arenas, in order', () => {
    // Slices take 256-byte multiples: 1000 bytes -> 1024, 5000 -> 5120 (alone, past the limit), 10 -> 256.
    expect(arenaGroups([1000, 1000, 5000, 10, 10], 2048)).toEqual([[0, 1], [2], [3, 4]]);
    expect(arenaGroups([], 2048)).toEqual([]);
  });
});
