// Optimizer checkpoints (SGD, Adam, AdamW, RMSprop, Adagrad): stateDict() (tensors only, as a safetensors file holds them) plus the
// JSON-able hyperparameters() restore an optimizer so exactly that its next steps match, bit for bit,
// those of the optimizer that was saved; bad state dicts get named errors and change nothing.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { rng } from '../helpers/reference.js';

type Optimizer = gg.optim.Optimizer<gg.optim.GroupOptions>;

const SIZES = [3, 17, 64];

function randomParams(seed: number): gg.Tensor[] {
  const next = rng(seed);
  return SIZES.map((n) => gg.tensor(Float32Array.from({ length: n }, () => 2 * next() - 1)).requiresGrad_());
}

/** Gives every parameter (but `skip`) a random gradient, the same for every list of twins. */
function setGrads(lists: gg.Tensor[][], next: () => number, skip = -1): void {
  SIZES.forEach((n, k) => {
    const values = Float32Array.from({ length: n }, () => 2 * next() - 1);
    for (const params of lists) {
      params[k].grad?.dispose();
      params[k].grad = k === skip ? null : gg.tensor(values);
    }
  });
}

/** New parameters with the same values. */
function copies(params: gg.Tensor[]): gg.Tensor[] {
  return gg.scope(() => params.map((p) => p.detach().clone().requiresGrad_()));
}

async function values(params: gg.Tensor[]): Promise<Float32Array[]> {
  return (await Promise.all(params.map((p) => p.data()))) as Float32Array[];
}

function disposeAll(...tensors: (gg.Tensor[] | Record<string, gg.Tensor>)[]): void {
  for (const list of tensors) for (const t of Object.values(list)) t.dispose();
}

/** Saves `make`'s optimizer after 4 steps, restores it into a fresh one, and compares 3 more steps. */
async function expectExactResume(make: (params: gg.Tensor[]) => Optimizer): Promise<void> {
  const rt = gg.runtime();
  const baseline = rt.memory().liveBuffers;
  const next = rng(11);
  const original = randomParams(1);
  const optimizer = make(original);
  for (let step = 0; step < 4; step++) {
    setGrads([original], next, step < 2 ? 2 : -1);
    optimizer.step();
  }
  const state = optimizer.stateDict();
  for (const t of Object.values(state)) expect(t).toBeInstanceOf(gg.Tensor);
  const hyperparameters = JSON.parse(JSON.stringify(optimizer.hyperparameters()));
  expect(hyperparameters).toEqual(optimizer.hyperparameters());

  const twin = copies(original);
  const restored = make(twin);
  restored.lr = 123;
  await restored.loadStateDict(state, hyperparameters);
  disposeAll(state);
  expect(restored.paramGroups.map((g) => g.lr)).toEqual(optimizer.paramGroups.map((g) => g.lr));

  for (let step = 0; step < 3; step++) {
    setGrads([original, twin], next);
    optimizer.step();
    restored.step();
    expect(await values(twin)).toEqual(await values(original));
  }
  optimizer.dispose();
  restored.dispose();
  disposeAll(original, twin);
  expect(rt.memory().liveBuffers).toBe(baseline);
}

describe('optimizer checkpoints', () => {
  it('Adam with AMSGrad and two groups resumes exactly (per-parameter step counts included)', async () => {
    await expectExactResume(
      (params) => new gg.optim.Adam([{ params: params.slice(0, 2), amsgrad: true }, { params: params.slice(2), lr: 0.05 }], { lr: 0.01 }),
    );
  });

  it('AdamW resumes exactly', async () => {
    await expectExactResume((params) => new gg.optim.AdamW(params, { lr: 0.02, weightDecay: 0.1 }));
  });

  it('SGD with momentum resumes exactly (the restored buffer is not treated as new)', async () => {
    await expectExactResume((params) => new gg.optim.SGD(params, { lr: 0.1, momentum: 0.9, dampening: 0.2 }));
  });

  it('RMSprop, centered with momentum, resumes exactly', async () => {
    await expectExactResume((params) => new gg.optim.RMSprop(params, { lr: 0.01, centered: true, momentum: 0.9, weightDecay: 0.1 }));
  });

  it('Adagrad with lr decay and two groups resumes exactly (the decay follows the restored step counts)', async () => {
    await expectExactResume(
      (params) => new gg.optim.Adagrad([{ params: params.slice(0, 1), initialAccumulatorValue: 0.5 }, { params: params.slice(1) }], { lr: 0.1, lrDecay: 0.2 }),
    );
  });

  it('names the keys and hyperparameters PyTorch does', () => {
    const params = randomParams(2);
    const optimizer = new gg.optim.Adam(params, { amsgrad: true });
    setGrads([params], rng(3), 1);
    optimizer.step();
    const state = optimizer.stateDict();
    expect(Object.keys(state).sort()).toEqual(
      ['state.0.step', 'state.0.exp_avg', 'state.0.exp_avg_sq', 'state.0.max_exp_avg_sq',
        'state.2.step', 'state.2.exp_avg', 'state.2.exp_avg_sq', 'state.2.max_exp_avg_sq'].sort(),
    );
    expect(state['state.0.step'].shape).toEqual([]);
    expect(optimizer.hyperparameters()).toEqual({
      optimizer: 'Adam',
      paramGroups: [{ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true, maximize: false, foreach: true, params: [0, 1, 2] }],
    });
    disposeAll(state, params);
    optimizer.dispose();
  });

  it('names RMSprop\'s and Adagrad\'s state buffers as PyTorch does', () => {
    const params = randomParams(2);
    const rmsprop = new gg.optim.RMSprop([{ params: params.slice(0, 1), centered: true, momentum: 0.9 }, { params: params.slice(1) }]);
    const adagrad = new gg.optim.Adagrad(params);
    setGrads([params], rng(3), 2);
    rmsprop.step();
    adagrad.step();
    const rmspropState = rmsprop.stateDict();
    const adagradState = adagrad.stateDict();
    expect(Object.keys(rmspropState).sort()).toEqual(
      ['state.0.step', 'state.0.square_avg', 'state.0.grad_avg', 'state.0.momentum_buffer', 'state.1.step', 'state.1.square_avg'].sort(),
    );
    expect(Object.keys(adagradState).sort()).toEqual(['state.0.step', 'state.0.sum', 'state.1.step', 'state.1.sum'].sort());
    expect(rmsprop.hyperparameters()).toEqual({
      optimizer: 'RMSprop',
      paramGroups: [
        { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0.9, centered: true, maximize: false, foreach: true, params: [0] },
        { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, foreach: true, params: [1, 2] },
      ],
    });
    expect(adagrad.hyperparameters()).toEqual({
      optimizer: 'Adagrad',
      paramGroups: [{ lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, foreach: true, params: [0, 1, 2] }],
    });
    disposeAll(rmspropState, adagradState, params);
    rmsprop.dispose();
    adagrad.dispose();
  });

  it('rejects bad state dicts with named errors and leaves the optimizer as it was', async () => {
    const rt = gg.runtime();
    const next = rng(5);
    const params = randomParams(3);
    const reference = copies(params);
    const optimizer = new gg.optim.Adam(params, { lr: 0.01 });
    const untouched = new gg.optim.Adam(reference, { lr: 0.01 });
    setGrads([params, reference], next);
    optimizer.step();
    untouched.step();
    const good = optimizer.stateDict();
    const hyperparameters = optimizer.hyperparameters();
    const wrongShape = gg.zeros([4]);
    const negativeStep = gg.full([], -2);
    const live = rt.memory().liveBuffers;

    const load = (replace: Record<string, gg.Tensor | undefined>, hp = hyperparameters) => {
      const state = { ...good, ...replace };
      for (const key of Object.keys(replace)) if (!replace[key]) delete state[key];
      return optimizer.loadStateDict(state as Record<string, gg.Tensor>, hp);
    };
    await expect(load({ 'state.1.exp_avg': wrongShape })).rejects.toThrow(/Adam.loadStateDict: 'state.1.exp_avg' is \[4\] f32 but parameter 1 is \[17\] f32/);
    await expect(load({ 'state.7.exp_avg': wrongShape })).rejects.toThrow(/unexpected key 'state.7.exp_avg' \(expected 'state.<i>.<name>' with i < 3\)/);
    await expect(load({ 'state.0.momentum_buffer': wrongShape })).rejects.toThrow(/unexpected key 'state.0.momentum_buffer' \(Adam keeps step, exp_avg/);
    await expect(load({ 'state.2.step': undefined })).rejects.toThrow(/'state.2.step' is missing/);
    await expect(load({}, { ...hyperparameters, optimizer: 'SGD' })).rejects.toThrow(/the hyperparameters are for SGD, not Adam/);
    await expect(load({}, { ...hyperparameters, paramGroups: [{ ...hyperparameters.paramGroups[0], lr: -1 }] })).rejects.toThrow(/Adam: lr must be a finite number >= 0, got -1/);
    await expect(load({}, { ...hyperparameters, paramGroups: [{ ...hyperparameters.paramGroups[0], params: [0, 1] }] })).rejects.toThrow(/group 0 saved parameters \[0, 1\], this optimizer has \[0, 1, 2\]/);
    await expect(load({ 'state.0.step': negativeStep })).rejects.toThrow(/step count -2 is not an integer >= 0/);
    expect(rt.memory().liveBuffers).toBe(live);
    expect(optimizer.lr).toBe(0.01);

    setGrads([params, reference], next);
    optimizer.step();
    untouched.step();
    expect(await values(params)).toEqual(await values(reference));
    for (const o of [optimizer, untouched]) o.dispose();
    disposeAll(good, params, reference, [wrongShape, negativeStep]);
  });

  it.each([true, false])('replaces existing state and restarts parameters absent from the state dict (foreach %s)', async (foreach) => {
    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const [params, fresh] = [randomParams(4), randomParams(4)];
    const optimizer = new gg.optim.SGD(params, { lr: 0.1, momentum: 0.9, foreach });
    const restarted = new gg.optim.SGD(fresh, { lr: 0.1, momentum: 0.9, foreach });
    setGrads([params], rng(6));
    optimizer.step();
    const withState = rt.memory().liveBuffers;
    await optimizer.loadStateDict({});
    expect(optimizer.stateDict()).toEqual({});
    // Side by side, the states keep their arena (one buffer) until the optimizer goes; else each is freed.
    expect(rt.memory().liveBuffers).toBe(foreach ? withState : withState - SIZES.length);
    // Restarted: the next step is a first step (momentum buffer = gradient), as a new optimizer's.
    gg.noGrad(() => params.forEach((p, i) => fresh[i].assign(p)));
    const next = rng(8);
    setGrads([params, fresh], next);
    optimizer.step();
    restarted.step();
    expect(await values(params)).toEqual(await values(fresh));
    for (const o of [optimizer, restarted]) o.dispose();
    disposeAll(params, fresh);
    expect(rt.memory().liveBuffers).toBe(baseline);
  });
});
