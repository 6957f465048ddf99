// gg.capture: a captured step replays its recorded GPU commands, and its losses and weights equal the
// eager run's bit for bit across the switch-over, for an MLP with Adam and the VAE, GAN, GPT and
// forecaster trainers (random noise, dropout, a learning-rate schedule and gradient clipping
// included). Replay is refused, with one message, when the step's work changes from call to call,
// when an argument's shape changes, or when a tensor it used was replaced; and its memory is
// returned on dispose().
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';

const live = () => gg.runtime().memory().liveBuffers;

/** Runs `step` on each batch and returns every loss (read back after each call) and, at the end, the weights. */
async function run<B extends gg.Tensor[]>(step: (...batch: B) => gg.CaptureResult, batches: B[], weights: () => gg.Tensor[], beforeStep?: (i: number) => void) {
  const losses: number[][] = [];
  for (const [i, batch] of batches.entries()) {
    beforeStep?.(i);
    const result = step(...batch);
    const tensors = result instanceof gg.Tensor ? [result] : Object.values(result);
    losses.push(await Promise.all(tensors.map((t) => t.item())));
    tensors.forEach((t) => t.dispose());
  }
  return { losses, weights: await Promise.all(weights().map(async (w) => Array.from(await w.data()))) };
}

/**
 * Trains two copies made by `make` on the same batches, one eagerly and one captured, and expects the same
 * bits; returns the captured function's replay count.
 */
async function expectReplayEqualsEager<B extends gg.Tensor[]>(
  make: () => { step: (...batch: B) => gg.CaptureResult; weights: () => gg.Tensor[]; dispose: () => void; beforeStep?: (i: number) => void },
  batches: B[],
): Promise<number> {
  const eager = make();
  const expected = await run((...b: B) => gg.scope(() => eager.step(...b)), batches, eager.weights, eager.beforeStep);
  eager.dispose();
  const replayed = make();
  const captured = gg.capture(replayed.step, { onFallback: (message) => { throw new Error(`unexpected: ${message}`); } });
  const modes: string[] = [];
  const got = await run((...b: B) => {
    const result = gg.scope(() => captured(...b));
    modes.push(captured.mode);
    return result;
  }, batches, replayed.weights, replayed.beforeStep);
  expect(got).toEqual(expected);
  // One eager call, recordings until two agree (a step may settle after its first calls), then replays only.
  const firstReplay = modes.indexOf('replaying');
  expect(modes[0]).toBe('eager');
  expect(firstReplay).toBeGreaterThanOrEqual(2);
  expect(firstReplay).toBeLessThanOrEqual(4);
  expect(modes.slice(firstReplay).every((mode) => mode === 'replaying')).toBe(true);
  const replays = captured.replays;
  captured.dispose();
  replayed.dispose();
  return replays;
}

/** `count` batches of random tensors of the given shapes (typed as any fixed-length tuple of tensors). */
const batchesOf = <B extends gg.Tensor[]>(count: number, shapes: number[][], seed: number) =>
  Array.from({ length: count }, (_, i) => shapes.map((shape) => gg.rand(shape, { generator: new gg.Generator(seed + i) })) as B);

describe('capture and replay equal eager steps bit for bit', () => {
  it('an MLP with Adam and a learning-rate change between steps', async () => {
    const before = live();
    const batches = batchesOf<[gg.Tensor, gg.Tensor]>(7, [[5, 6], [5, 3]], 1);
    const replays = await expectReplayEqualsEager(() => {
      const net = new gg.nn.Sequential(new gg.nn.Linear(6, 9, { generator: new gg.Generator(2) }), new gg.nn.ReLU(), new gg.nn.Linear(9, 3, { generator: new gg.Generator(3) }));
      const optimizer = new gg.optim.Adam(net.parameters(), { lr: 0.01 });
      return {
        // A schedule outside the captured step (JS inside it does not run at replays): the
        // optimizer's update reads the current lr at each replay.
        beforeStep: (i: number) => (optimizer.lr = 0.01 / (i + 1)),
        step: (x: gg.Tensor, y: gg.Tensor) => {
          optimizer.zeroGrad();
          const loss = gg.nn.mseLoss(net.forward(x), y);
          loss.backward();
          optimizer.step();
          return loss;
        },
        weights: () => net.parameters(),
        dispose: () => {
          optimizer.zeroGrad();
          optimizer.dispose();
          net.dispose();
        },
      };
    }, batches);
    expect(replays).toBe(4);
    batches.flat().forEach((t) => t.dispose());
    expect(live()).toBe(before);
  });

  it('the VAE trainer (reparameterization noise from its generator)', async () => {
    const before = live();
    const batches = batchesOf<[gg.Tensor]>(6, [[4, 6]], 10);
    await expectReplayEqualsEager(() => {
      const model = gg.models.createVae({ kind: 'mlp', inputDim: 6, hiddenDim: 5, latentDim: 2, activation: 'relu' }, { generator: new gg.Generator(4) });
      const trainer = new gg.models.VaeTrainer(model, { seed: 5 });
      return { step: (images: gg.Tensor) => trainer.step(images), weights: () => model.parameters(), dispose: () => { trainer.dispose(); model.dispose(); } };
    }, batches);
    batches.flat().forEach((t) => t.dispose());
    expect(live()).toBe(before);
  });

  it('the VAE trainer with a weight average (its decay ramps up step by step)', async () => {
    const before = live();
    const batches = batchesOf<[gg.Tensor]>(6, [[4, 6]], 20);
    await expectReplayEqualsEager(() => {
      const model = gg.models.createVae({ kind: 'mlp', inputDim: 6, hiddenDim: 5, latentDim: 2, activation: 'relu' }, { generator: new gg.Generator(4) });
      const trainer = new gg.models.VaeTrainer(model, { seed: 5, emaDecay: 0.999 });
      return { step: (images: gg.Tensor) => trainer.step(images), weights: () => [...model.parameters(), ...trainer.averaged!.parameters()], dispose: () => { trainer.dispose(); model.dispose(); } };
    }, batches);
    batches.flat().forEach((t) => t.dispose());
    expect(live()).toBe(before);
  });

  it('the diffusion trainer (steps, noise and label dropout drawn per step, clipping, weight average)', async () => {
    const before = live();
    const batches = Array.from({ length: 6 }, (_, i) => [
      gg.randn([5, 3], { generator: new gg.Generator(30 + i) }),
      gg.randint(0, 2, [5], { generator: new gg.Generator(40 + i) }),
    ] as [gg.Tensor, gg.Tensor]);
    await expectReplayEqualsEager(() => {
      const model = new gg.models.MlpDenoiser({ dim: 3, hidden: 8, blocks: 1, numClasses: 2, generator: new gg.Generator(6) });
      const trainer = new gg.models.DiffusionTrainer(model, { seed: 7, labelDropout: 0.5, schedule: { steps: 50 } });
      return {
        step: (data: gg.Tensor, labels: gg.Tensor) => trainer.step({ data, labels }),
        weights: () => [...model.parameters(), ...trainer.averaged!.parameters()],
        dispose: () => { trainer.dispose(); model.dispose(); },
      };
    }, batches);
    batches.flat().forEach((t) => t.dispose());
    expect(live()).toBe(before);
  });

  it('the GAN trainer (spectral norm, two discriminator updates, noise per step)', async () => {
    const before = live();
    const batches = batchesOf<[gg.Tensor, gg.Tensor]>(6, [[8, 2], [8, 2]], 20);
    await expectReplayEqualsEager(() => {
      const weights = new gg.Generator(6);
      const generator = new gg.models.MlpGenerator({ hiddenDim: 8, hiddenLayers: 1, generator: weights });
      const discriminator = new gg.models.MlpDiscriminator({ hiddenDim: 8, hiddenLayers: 1, spectralNorm: true, generator: weights });
      const trainer = new gg.models.GanTrainer(generator, discriminator, { loss: 'hinge', discriminatorSteps: 2, seed: 7 });
      return {
        step: (a: gg.Tensor, b: gg.Tensor) => trainer.step([a, b]),
        weights: () => [...generator.parameters(), ...discriminator.parameters()],
        dispose: () => { trainer.dispose(); generator.dispose(); discriminator.dispose(); },
      };
    }, batches);
    batches.flat().forEach((t) => t.dispose());
    expect(live()).toBe(before);
  });

  it('the GPT trainer (dropout, warmup and cosine schedule, gradient clipping)', async () => {
    const before = live();
    const batches = Array.from({ length: 6 }, (_, i) => {
      const tokens = gg.randint(0, 11, [3, 9], { generator: new gg.Generator(30 + i) });
      const pair = [gg.slice(tokens, 1, 0, 8), gg.slice(tokens, 1, 1, 9)] as [gg.Tensor, gg.Tensor];
      tokens.dispose();
      return pair;
    });
    await expectReplayEqualsEager(() => {
      const dropout = new gg.Generator(8);
      const model = new gg.models.GPT({ vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8, dropout: 0.1 }, { generator: dropout });
      const trainer = new gg.models.LanguageModelTrainer(model, { lr: 0.01, gradClip: 0.5, schedule: { warmupSteps: 2, totalSteps: 6 }, generator: dropout });
      return { step: (x: gg.Tensor, y: gg.Tensor) => trainer.step({ x, y }), weights: () => model.parameters(), dispose: () => { trainer.dispose(); model.dispose(); } };
    }, batches);
    batches.flat().forEach((t) => t.dispose());
    expect(live()).toBe(before);
  });

  it('the forecaster trainer (Gaussian NLL, cosine decay)', async () => {
    const before = live();
    const batches = Array.from({ length: 6 }, (_, i) => [gg.randn([5, 4], { generator: new gg.Generator(40 + i) }), gg.randn([5], { generator: new gg.Generator(50 + i) })] as [gg.Tensor, gg.Tensor]);
    await expectReplayEqualsEager(() => {
      const model = new gg.models.GaussianMlp({ inputSize: 4, hiddenSize: 8 }, { generator: new gg.Generator(9) });
      const trainer = new gg.models.ForecasterTrainer(model, { lr: 0.01, decaySteps: 6 });
      return { step: (inputs: gg.Tensor, targets: gg.Tensor) => trainer.step({ inputs, targets }), weights: () => model.parameters(), dispose: () => { trainer.dispose(); model.dispose(); } };
    }, batches);
    batches.flat().forEach((t) => t.dispose());
    expect(live()).toBe(before);
  });
});

describe('capture refuses what it cannot replay, and says why once', () => {
  it('a number computed in JS that changes each call', async () => {
    const messages: string[] = [];
    const x = gg.ones([4]);
    let calls = 0;
    const captured = gg.capture((t: gg.Tensor) => t.mul(++calls), { warmup: 0, onFallback: (m) => messages.push(m) });
    const values: number[] = [];
    for (let i = 0; i < 6; i++) {
      const y = captured(x);
      values.push((await y.data())[0]);
      y.dispose();
    }
    expect(values).toEqual([1, 2, 3, 4, 5, 6]);
    expect(captured.mode).toBe('eager');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/capture: the step does not do the same GPU work on every call: GPU command 1 of 2 \(the dispatch of (unary\(op_mul_scalar\)|fused_\d+)\) had other uniform parameters on the next call: a number computed in JS .*\(pass it in a tensor instead\); running eagerly/);
    captured.dispose();
    x.dispose();
  });

  it('an argument of another shape runs eagerly, then records again', async () => {
    const messages: string[] = [];
    const captured = gg.capture((t: gg.Tensor) => t.exp().sum(), { warmup: 0, onFallback: (m) => messages.push(m) });
    const sums: number[] = [];
    for (const n of [3, 3, 3, 5, 3, 3, 3]) {
      const x = gg.full([n], 0);
      const y = captured(x);
      sums.push(await y.item());
      y.dispose();
      x.dispose();
    }
    expect(sums).toEqual([3, 3, 3, 5, 3, 3, 3]);
    expect(messages).toEqual(['capture: argument 0 is f32 [5], recorded as f32 [3]; running eagerly']);
    expect(captured.replays).toBe(2);
    captured.dispose();
  });

  it.each([false, true])('a tensor the recording used that was disposed since (foreach %s)', async (foreach) => {
    const messages: string[] = [];
    const w = gg.tensor([1, 2, 3]).requiresGrad_();
    // Side by side, the freed gradient's memory is the optimizer's: the replay writes it there again.
    const optimizer = new gg.optim.SGD([w], { lr: 0.5, foreach });
    const captured = gg.capture((x: gg.Tensor) => {
      optimizer.zeroGrad();
      const loss = w.mul(x).sum();
      loss.backward();
      optimizer.step();
      return loss;
    }, { onFallback: (m) => messages.push(m) });
    const x = gg.ones([3]);
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) {
      if (i === 4) optimizer.zeroGrad(); // frees the gradient the recording writes
      const loss = captured(x);
      losses.push(await loss.item());
      loss.dispose();
    }
    expect(losses).toEqual([6, 4.5, 3, 1.5, 0, -1.5]);
    expect(messages).toEqual(foreach ? [] : ['capture: a tensor it used (a parameter, a gradient, an optimizer state) was disposed or replaced since it was recorded; running eagerly']);
    expect(Array.from(await w.grad!.data())).toEqual([1, 1, 1]);
    captured.dispose();
    optimizer.zeroGrad();
    w.dispose();
    x.dispose();
  });

  it('a captured function that reads a tensor back', () => {
    const captured = gg.capture((t: gg.Tensor) => {
      t.data().catch(() => {}); // refused: the captured call throws
      return t.exp();
    }, { warmup: 0 });
    const x = gg.ones([2]);
    expect(() => captured(x)).toThrow(/capture: the captured function read a tensor back \(data\(\), item\(\), ...\); return the tensor instead/);
    captured.dispose();
    x.dispose();
  });
});

describe('capture and memory', () => {
  it('returns every buffer it held on dispose, and each replay makes one submit', async () => {
    const before = live();
    const w = gg.randn([16, 16]).requiresGrad_();
    const optimizer = new gg.optim.Adam([w]);
    const captured = gg.capture((x: gg.Tensor) => {
      optimizer.zeroGrad();
      const loss = x.matmul(w).tanh().square().mean();
      loss.backward();
      optimizer.step();
      return loss;
    });
    const x = gg.randn([4, 16]);
    for (let i = 0; i < 3; i++) captured(x).dispose();
    const rt = gg.runtime();
    rt.flush();
    const [submits, dispatches] = [rt.counters.submits, rt.counters.dispatches];
    captured(x).dispose();
    rt.flush();
    // One submit for the argument's copy (pending work), one for the replay, one for the result's copy.
    expect(rt.counters.submits - submits).toBeLessThanOrEqual(3);
    expect(rt.counters.dispatches - dispatches).toBeGreaterThan(5);
    await rt.sync();
    expect(rt.memory().capturedBuffers).toBeGreaterThan(0);
    captured.dispose();
    expect(rt.memory().capturedBuffers).toBe(0);
    optimizer.zeroGrad();
    optimizer.dispose();
    for (const t of [w, x]) t.dispose();
    expect(live()).toBe(before);
  });
});

describe('trainLoop replays trainer steps by default', () => {
  const vaeRun = async (capture: boolean | undefined, klWarmupSteps: number) => {
    const model = gg.models.createVae({ kind: 'mlp', inputDim: 6, hiddenDim: 5, latentDim: 2, activation: 'relu' }, { generator: new gg.Generator(4) });
    const trainer = new gg.models.VaeTrainer(model, { seed: 5, klWarmupSteps });
    const images = Array.from({ length: 4 }, (_, i) => gg.rand([4, 6], { generator: new gg.Generator(40 + i) }));
    const warnings: string[] = [];
    const history = await gg.trainLoop({
      trainer, batches: (step) => images[step % 4], steps: 8, logEvery: 2, capture,
      onProgress: (p) => void warnings.push(...p.warnings),
    });
    const weights = await Promise.all(model.parameters().map(async (w) => Array.from(await w.data())));
    trainer.dispose();
    model.dispose();
    images.forEach((t) => t.dispose());
    return { points: history.points, weights, warnings };
  };

  it('with the same losses and weights as eager steps, and says once why it cannot replay', async () => {
    const before = live();
    const eager = await vaeRun(false, 0);
    const replayed = await vaeRun(undefined, 0);
    expect(replayed.points).toEqual(eager.points);
    expect(replayed.weights).toEqual(eager.weights);
    expect(replayed.warnings).toEqual([]);
    // KL warm-up scales the loss by a JS number that changes every step: no replay, one warning.
    const warming = await vaeRun(undefined, 100);
    expect(warming.warnings).toHaveLength(1);
    expect(warming.warnings[0]).toMatch(/^capture: the step does not do the same GPU work on every call: .* \(pass it in a tensor instead\); running eagerly$/);
    expect((await vaeRun(false, 100)).points).toEqual(warming.points);
    expect(live()).toBe(before);
  });
});

describe('replays back to back', () => {
  it('give each call its own per-step values when nothing is read between them', async () => {
    const run = async (capture: boolean) => {
      const w = gg.tensor([1, 2, 3]).requiresGrad_();
      const optimizer = new gg.optim.Adam([w], { lr: 0.1 });
      const step = (x: gg.Tensor) => {
        optimizer.zeroGrad();
        const loss = w.mul(x).square().sum();
        loss.backward();
        optimizer.step();
        return loss;
      };
      const recorded = capture ? gg.capture(step) : null;
      const captured = recorded ?? ((x: gg.Tensor) => gg.scope(() => step(x)));
      const x = gg.tensor([0.5, -1, 2]);
      const losses = Array.from({ length: 6 }, () => captured(x));
      const values = await Promise.all(losses.map((l) => l.item()));
      losses.forEach((l) => l.dispose());
      recorded?.dispose();
      optimizer.zeroGrad();
      optimizer.dispose();
      w.dispose();
      x.dispose();
      return values;
    };
    expect(await run(true)).toEqual(await run(false));
  });
});

describe('recordings of a step agree whatever the pool holds', () => {
  it('replays a GAN step inside chunks that keep a running sum of its losses (the demo\'s way)', async () => {
    const weights = new gg.Generator(6);
    const generator = new gg.models.MlpGenerator({ hiddenDim: 8, hiddenLayers: 1, generator: weights });
    const discriminator = new gg.models.MlpDiscriminator({ hiddenDim: 8, hiddenLayers: 1, spectralNorm: true, generator: weights });
    const trainer = new gg.models.GanTrainer(generator, discriminator, { loss: 'hinge', discriminatorSteps: 2, seed: 7 });
    const pool = gg.randn([64, 2]);
    const picks = new gg.Generator(9);
    const realBatch = () => gg.indexSelect(pool, 0, gg.randint(0, 64, [8], { generator: picks }));
    const captured = gg.capture(() => {
      const { discriminator: d, generator: g } = trainer.step([realBatch(), realBatch()]);
      return gg.concat([d.reshape([1]), g.reshape([1])]);
    }, { onFallback: (message) => { throw new Error(`unexpected: ${message}`); } });
    for (const steps of [1, 2, 3, 3, 2]) {
      let total: gg.Tensor | null = null;
      for (let i = 0; i < steps; i++) {
        const losses = gg.scope(() => captured());
        if (total) {
          const sum: gg.Tensor = gg.scope(() => total!.add(losses));
          total.dispose();
          losses.dispose();
          total = sum;
        } else {
          total = losses;
        }
      }
      await total!.data();
      total!.dispose();
    }
    expect(captured.replays).toBeGreaterThanOrEqual(6);
    captured.dispose();
    trainer.dispose();
    for (const t of [generator, discriminator, pool]) t.dispose();
  });
});

describe('capture on a fresh runtime', () => {
  it('replays a step with no GPU checks, before the runtime ever made its check flag', async () => {
    gg.shutdown();
    await gg.init();
    const x = gg.tensor([1, 2, 3]);
    const captured = gg.capture((t: gg.Tensor) => t.mul(2).add(1));
    for (let i = 0; i < 5; i++) {
      const y = captured(x);
      expect(Array.from(await y.data())).toEqual([3, 5, 7]);
      y.dispose();
    }
    expect(captured.replays).toBe(2);
    captured.dispose();
    x.dispose();
  });
});
