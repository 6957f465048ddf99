// Training's default NaN/Inf watch: the optimizers' update kernels look at every gradient and updated
// parameter, so a NaN gradient behind a finite loss (or a parameter that overflows) stops training at
// the next read, naming the parameter and the step, with no extra dispatch or read of its own.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

/** The loss stays 0 (finite), but at `badStep` one element's gradient is 0 * inf = NaN. */
function hiddenNaNLoss(p: gg.Tensor, step: number, badStep: number): gg.Tensor {
  const input = step === badStep ? gg.tensor([1, 0, 1, 1, 1]) : gg.ones([5]);
  return p.mul(input).sqrt().mul(0).sum();
}

describe('the optimizers watch gradients and parameters for NaN and Inf', () => {
  it('trainLoop stops at the step whose gradient is NaN behind a finite loss, naming the parameter', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const p = gg.ones([5], { requiresGrad: true });
    const optimizer = new gg.optim.Adam([['layer.weight', p]], { lr: 0.1 });
    const losses: number[] = [];
    const run = gg.trainLoop({
      steps: 30,
      logEvery: 10,
      onProgress: (progress) => losses.push(progress.losses.loss),
      step: (step) => {
        optimizer.zeroGrad();
        const loss = hiddenNaNLoss(p, step, 7);
        loss.backward();
        optimizer.step();
        return loss;
      },
    });
    await expect(run).rejects.toThrow('training stopped: the gradient of layer.weight became NaN or Inf at step 7');
    await expect(run).rejects.toBeInstanceOf(gg.NonFiniteError);
    await expect(run).rejects.toMatchObject({ step: 7, tensorName: 'the gradient of layer.weight' });
    expect(losses).toEqual([]); // stopped at the first progress line, before reporting a finite loss
    optimizer.dispose();
    p.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  for (const [name, make] of [
    ['RMSprop', (p: gg.Tensor) => new gg.optim.RMSprop([['layer.weight', p]], { centered: true, momentum: 0.9 })],
    ['Adagrad', (p: gg.Tensor) => new gg.optim.Adagrad([['layer.weight', p]], { lrDecay: 0.1 })],
  ] as const) {
    it(`${name} reports a NaN gradient behind a finite loss, naming the parameter and the step`, async () => {
      const before = gg.runtime().memory().liveBuffers;
      const p = gg.ones([5], { requiresGrad: true });
      const optimizer = make(p);
      const run = gg.trainLoop({
        steps: 10,
        logEvery: 10,
        step: (step) => {
          optimizer.zeroGrad();
          const loss = hiddenNaNLoss(p, step, 4);
          loss.backward();
          optimizer.step();
          return loss;
        },
      });
      await expect(run).rejects.toThrow('training stopped: the gradient of layer.weight became NaN or Inf at step 4');
      await expect(run).rejects.toMatchObject({ step: 4, tensorName: 'the gradient of layer.weight' });
      optimizer.dispose();
      p.dispose();
      expect(gg.runtime().memory().liveBuffers).toBe(before);
    });
  }

  it('names module parameters given as namedParameters(), and numbers unnamed ones', async () => {
    const model = new gg.nn.Sequential(new gg.nn.Linear(2, 3), new gg.nn.ReLU(), new gg.nn.Linear(3, 1));
    const named = new gg.optim.SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9 });
    const x = gg.tensor([[1, Number.NaN]]);
    gg.scope(() => {
      named.zeroGrad();
      model.forward(x).sum().backward();
      named.step();
    });
    await expect(x.data()).rejects.toThrow(/the gradient of (0\.weight|2\.weight|2\.bias|0\.bias) became NaN or Inf at step 1/);
    named.dispose();

    const q = gg.tensor([1, 2, 3], { requiresGrad: true });
    const unnamed = new gg.optim.SGD([gg.zeros([2], { requiresGrad: true }), q], { lr: 1e30 });
    gg.scope(() => {
      q.mul(1e10).sum().backward(); // a finite gradient, but the step overflows the parameter
      unnamed.step();
    });
    await expect(q.data()).rejects.toThrow('training stopped: parameter #1 [3] became NaN or Inf at step 1');
    unnamed.dispose();
    q.dispose();
    x.dispose();
    model.dispose();
  });

  it('costs no dispatch or read of its own, and checkFinite = false turns it off', async () => {
    const rt = gg.runtime();
    let p = gg.ones([5], { requiresGrad: true });
    const counts = async (checkFinite: boolean, badStep: number) => {
      p.dispose();
      p = gg.ones([5], { requiresGrad: true });
      const optimizer = new gg.optim.AdamW([p], { lr: 0.01 });
      optimizer.checkFinite = checkFinite;
      const [dispatches, readbacks] = [rt.counters.dispatches, rt.counters.readbacks];
      for (let step = 1; step <= 3; step++) {
        gg.scope(() => {
          optimizer.zeroGrad();
          hiddenNaNLoss(p, step, badStep).backward();
          optimizer.step();
        });
      }
      const result = [rt.counters.dispatches - dispatches, rt.counters.readbacks - readbacks];
      optimizer.dispose();
      return result;
    };
    const watched = await counts(true, 0);
    expect(await counts(false, 0)).toEqual(watched);
    await counts(false, 2); // a NaN gradient, unwatched: nothing is reported
    expect(Number.isNaN((await p.data())[1])).toBe(true);
    p.dispose();
  });

  it('every model trainer inherits it: a VAE fed a NaN image stops naming a weight', async () => {
    const model = gg.models.createVae({ kind: 'mlp', inputDim: 4, hiddenDim: 3, latentDim: 2, activation: 'relu' }, { generator: new gg.Generator(1) });
    const trainer = new gg.models.VaeTrainer(model, { seed: 1 });
    const x = gg.tensor([[0.5, Number.NaN, 0.5, 0.5]]);
    const loss = gg.scope(() => trainer.step(x).loss);
    await expect(loss.item()).rejects.toThrow(/training stopped: the gradient of encoder\..*weight became NaN or Inf at step 1|the gradient of .* became NaN or Inf at step 1/);
    loss.dispose();
    x.dispose();
    trainer.dispose();
    model.dispose();
  });
});
