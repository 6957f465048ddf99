// The GAN (src/models/gan/): each loss against float64 reference values and gradients, WGAN-GP's
// penalty (a gradient of a gradient) against a float64 reference and finite differences, the
// spectral-norm power-iteration kernel against a float64 top singular value, the divergence watch
// (NaN at its exact step, a discriminator that wins outright), the DCGAN networks, the 2-D lab
// covering the ring's modes, the Fréchet distance on known distributions, the MNIST classifier
// metrics, and the live-buffer count through all of it.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import {
  DcganDiscriminator,
  DcganGenerator,
  DivergenceWatch,
  GanTrainer,
  MlpDiscriminator,
  MlpGenerator,
  MnistClassifier,
  SpectralNorm,
  classifierReport,
  discriminatorLoss,
  evaluateGenerator,
  generatorLoss,
  gradientPenalty,
  loadGanCheckpoint,
  loadMnistClassifier,
  modeCollapseLab,
  powerIteration,
  saveGanCheckpoint,
  saveMnistClassifier,
  trainMnistClassifier,
  type GanLoss,
} from '../../src/models/gan/index.js';
import { frechetDistance, gaussianStatistics, symmetricEigen, type GaussianStatistics } from '../../src/metrics/frechet.js';
import { checkOp, expectClose } from '../helpers/check.js';
import { random, ref, rng, type Ref } from '../helpers/reference.js';

const live = () => gg.runtime().memory().liveBuffers;
const meanOf = (values: ArrayLike<number>, f: (v: number) => number) => Array.from(values, f).reduce((s, v) => s + v, 0) / values.length;

// ---- losses ----------------------------------------------------------------------------------------

/** The discriminator and generator losses in float64, written from the papers' definitions. */
function lossesRef(loss: GanLoss, r: ArrayLike<number>, f: ArrayLike<number>, s: number): { d: number; g: number } {
  const t = 1 - s;
  switch (loss) {
    case 'nonSaturating':
    case 'minimax': {
      // BCE(x, y) = -(y log σ(x) + (1 - y) log(1 - σ(x)))
      const bce = (x: number, y: number) => -(y * Math.log(1 / (1 + Math.exp(-x))) + (1 - y) * Math.log(1 - 1 / (1 + Math.exp(-x))));
      const d = meanOf(r, (x) => bce(x, t)) + meanOf(f, (x) => bce(x, 0));
      // non-saturating: -log D(G(z)); minimax: log(1 - D(G(z)))
      const g = loss === 'nonSaturating' ? meanOf(f, (x) => -Math.log(1 / (1 + Math.exp(-x)))) : meanOf(f, (x) => Math.log(1 - 1 / (1 + Math.exp(-x))));
      return { d, g };
    }
    case 'hinge':
      return { d: meanOf(r, (x) => Math.max(0, 1 - x)) + meanOf(f, (x) => Math.max(0, 1 + x)), g: -meanOf(f, (x) => x) };
    case 'leastSquares':
      return { d: 0.5 * meanOf(r, (x) => (x - t) ** 2) + 0.5 * meanOf(f, (x) => x * x), g: 0.5 * meanOf(f, (x) => (x - 1) ** 2) };
    case 'wganGp':
      return { d: meanOf(f, (x) => x) - meanOf(r, (x) => x), g: -meanOf(f, (x) => x) };
  }
}

describe('losses', () => {
  const cases: [GanLoss, number][] = [
    ['nonSaturating', 0],
    ['nonSaturating', 0.1],
    ['minimax', 0],
    ['minimax', 0.2],
    ['hinge', 0],
    ['leastSquares', 0],
    ['leastSquares', 0.1],
    ['wganGp', 0],
  ];
  for (const [loss, smoothing] of cases) {
    it(`${loss}${smoothing ? ` with label smoothing ${smoothing}` : ''}: values and gradients against float64`, async () => {
      // logits in [-3, 3] reach both sides of the hinge's kinks and BCE's flat and steep parts
      await checkOp({
        inputs: [[7], [5]],
        range: [-3, 3],
        gpu: (r, f) => discriminatorLoss(loss, r, f, { labelSmoothing: smoothing }),
        ref: (r, f) => ref([], () => lossesRef(loss, r.data, f.data, smoothing).d),
      });
      await checkOp({
        inputs: [[5]],
        range: [-3, 3],
        seed: 99,
        gpu: (f) => generatorLoss(loss, f),
        ref: (f) => ref([], () => lossesRef(loss, [], f.data, 0).g),
      });
    });
  }

  it('hand-checked values: logits 0 give log 2 twice; perfect hinge margins give 0', async () => {
    const zero = gg.zeros([4]);
    expect(await discriminatorLoss('nonSaturating', zero, zero).item()).toBeCloseTo(2 * Math.log(2), 6);
    expect(await generatorLoss('nonSaturating', zero).item()).toBeCloseTo(Math.log(2), 6);
    const real = gg.full([3], 1.5);
    const fake = gg.full([3], -2);
    expect(await discriminatorLoss('hinge', real, fake).item()).toBe(0);
    expect(await generatorLoss('leastSquares', fake).item()).toBeCloseTo(4.5, 6);
    for (const t of [zero, real, fake]) t.dispose();
  });

  it('bad input names the function, the shapes and the setting', () => {
    const a = gg.zeros([4]);
    const b = gg.zeros([4, 1]);
    expect(() => discriminatorLoss('hinge', a, a, { labelSmoothing: 0.1 })).toThrow(/discriminatorLoss: labelSmoothing applies to the nonSaturating, minimax, leastSquares losses, not 'hinge'/);
    expect(() => discriminatorLoss('nonSaturating', a, b)).toThrow(/discriminatorLoss: expected f32 logits \[N\], got \[4, 1\] f32/);
    expect(() => generatorLoss('wgan' as GanLoss, a)).toThrow(/generatorLoss: loss must be one of nonSaturating, minimax, hinge, leastSquares, wganGp, got 'wgan'/);
    expect(() => discriminatorLoss('leastSquares', a, a, { labelSmoothing: 1 })).toThrow(/labelSmoothing must be in \[0, 1\), got 1/);
    a.dispose();
    b.dispose();
  });
});

// ---- WGAN-GP's penalty -------------------------------------------------------------------------------

describe('gradient penalty', () => {
  it('a linear critic x·w + b has penalty (|w| - 1)^2 whatever the interpolation', async () => {
    const before = live();
    const w = gg.tensor(new Float32Array([0.3, -1.2, 2.0]), [3, 1]);
    const real = gg.randn([6, 3]);
    const fake = gg.randn([6, 3]);
    const penalty = gg.scope(() => gradientPenalty((x) => x.matmul(w).add(0.7).reshape([6]), real, fake));
    expect(await penalty.item()).toBeCloseTo((Math.hypot(0.3, -1.2, 2.0) - 1) ** 2, 5);
    for (const t of [w, real, fake, penalty]) t.dispose();
    expect(live()).toBe(before);
  });

  // A one-hidden-layer tanh critic D(x) = w2 · tanh(W1 x + b1): ∇x D = W1ᵀ (w2 ⊙ (1 - tanh²)).
  const n = 4;
  const alphaValues = [0.1, 0.5, 0.9, 0.33];
  function penaltyRef(real: Ref, fake: Ref, w1: Ref, b1: Ref, w2: Ref): number {
    const [hidden, dim] = w1.shape;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const x = Array.from({ length: dim }, (_, k) => fake.data[i * dim + k] + alphaValues[i] * (real.data[i * dim + k] - fake.data[i * dim + k]));
      const slope = new Array<number>(dim).fill(0);
      for (let j = 0; j < hidden; j++) {
        let h = b1.data[j];
        for (let k = 0; k < dim; k++) h += w1.data[j * dim + k] * x[k];
        const back = w2.data[j] * (1 - Math.tanh(h) ** 2);
        for (let k = 0; k < dim; k++) slope[k] += w1.data[j * dim + k] * back;
      }
      total += (Math.hypot(...slope) - 1) ** 2;
    }
    return total / n;
  }

  it("value and its gradient to the critic's weights (second order) against float64 finite differences", async () => {
    await checkOp({
      inputs: [[n, 3], [n, 3], [5, 3], [5], [1, 5]],
      range: [-1.5, 1.5],
      gradInputs: [2, 3, 4],
      gpu: (real, fake, w1, b1, w2) =>
        gradientPenalty((x) => gg.nn.functional.linear(gg.nn.functional.linear(x, w1, b1).tanh(), w2).reshape([n]), real, fake, {
          alpha: gg.tensor(alphaValues),
        }),
      ref: (real, fake, w1, b1, w2) => ref([], () => penaltyRef(real, fake, w1, b1, w2)),
      gradAtol: 2e-4,
    });
  });

  it('rejects mismatched batches and alphas', () => {
    const a = gg.zeros([4, 2]);
    const b = gg.zeros([3, 2]);
    expect(() => gradientPenalty((x) => x.sum(1), a, b)).toThrow(/gradientPenalty: real and fake must be f32 batches of one shape, got \[4, 2\] f32 and \[3, 2\] f32/);
    expect(() => gradientPenalty((x) => x.sum(1), a, a, { alpha: b })).toThrow(/gradientPenalty: alpha must be f32 \[4\], got \[3, 2\] f32/);
    a.dispose();
    b.dispose();
  });
});

// ---- spectral norm ---------------------------------------------------------------------------------

/** The largest singular value in float64: the square root of the top eigenvalue of the smaller Gram matrix. */
function topSingularValue(w: ArrayLike<number>, rows: number, cols: number): number {
  const n = Math.min(rows, cols);
  const gram = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (rows <= cols) for (let k = 0; k < cols; k++) s += w[i * cols + k] * w[j * cols + k];
      else for (let k = 0; k < rows; k++) s += w[k * cols + i] * w[k * cols + j];
      gram[i * n + j] = s;
    }
  }
  return Math.sqrt(Math.max(...symmetricEigen(gram, n).values));
}

describe('spectral norm', () => {
  const shapes: number[][] = [[7, 13], [33, 300], [300, 5], [1, 17], [6, 3, 3, 3], [257, 9]];
  for (const shape of shapes) {
    it(`power iteration on ${JSON.stringify(shape)} converges to the float64 top singular value`, async () => {
      const before = live();
      const rows = shape[0];
      const cols = shape.slice(1).reduce((a, b) => a * b, 1);
      const wRef = random(shape, rng(rows * 31 + cols));
      const w = gg.tensor(Float32Array.from(wRef.data), shape);
      const u = gg.randn([rows]);
      const v = gg.randn([cols]);
      powerIteration(w, u, v, 300);
      const sigma = gg.scope(() => u.reshape([1, rows]).matmul(w.reshape([rows, cols])).matmul(v.reshape([cols, 1])));
      const expected = topSingularValue(wRef.data, rows, cols);
      expect(Math.abs((await sigma.item()) - expected) / expected).toBeLessThan(1e-4);
      const [uValues, vValues] = [await u.data(), await v.data()];
      expect(Math.hypot(...uValues)).toBeCloseTo(1, 5);
      expect(Math.hypot(...vValues)).toBeCloseTo(1, 5);
      for (const t of [w, u, v, sigma]) t.dispose();
      expect(live()).toBe(before);
    });
  }

  for (const [rows, cols] of [[5, 11], [300, 7], [9, 513]]) {
    it(`one power-iteration step on [${rows}, ${cols}] equals float64's: v = normalize(Wᵀu), u = normalize(Wv)`, async () => {
      const next = rng(rows + cols);
      const [w, u0] = [random([rows, cols], next), random([rows], next)];
      const normalize = (x: number[]) => {
        const norm = Math.max(Math.hypot(...x), 1e-12);
        return x.map((value) => value / norm);
      };
      const v = normalize(Array.from({ length: cols }, (_, j) => Array.from({ length: rows }, (_, i) => w.data[i * cols + j] * u0.data[i]).reduce((a, b) => a + b, 0)));
      const u = normalize(Array.from({ length: rows }, (_, i) => v.reduce((s, vj, j) => s + w.data[i * cols + j] * vj, 0)));
      const [wGpu, uGpu, vGpu] = [gg.tensor(Float32Array.from(w.data), [rows, cols]), gg.tensor(Float32Array.from(u0.data), [rows]), gg.zeros([cols])];
      powerIteration(wGpu, uGpu, vGpu);
      expectClose(await vGpu.data(), v, 1e-6, 1e-4, 'v');
      expectClose(await uGpu.data(), u, 1e-6, 1e-4, 'u');
      for (const t of [wGpu, uGpu, vGpu]) t.dispose();
    });
  }

  it('SpectralNorm(Linear): forward is x (W / uᵀWv)ᵀ + b, its weight gradient matches finite differences, eval leaves u and v alone', async () => {
    const before = live();
    const layer = new SpectralNorm(new gg.nn.Linear(6, 4, { generator: new gg.Generator(3) }), { generator: new gg.Generator(4) });
    const xRef = random([5, 6], rng(8));
    const x = gg.tensor(Float32Array.from(xRef.data), [5, 6]);
    layer.train();
    gg.scope(() => void layer.forward(x)); // one power-iteration step
    layer.eval();
    const [w, b, u, v] = await Promise.all([layer.layer.weight.data(), layer.layer.bias!.data(), layer.u.data(), layer.v.data()]);
    const weights = Float64Array.from({ length: 20 }, (_, i) => Math.sin(i + 1));
    const outputRef = (wd: ArrayLike<number>) => {
      let sigma = 0;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 6; j++) sigma += u[i] * wd[i * 6 + j] * v[j];
      return Float64Array.from({ length: 20 }, (_, k) => {
        const [row, out] = [Math.floor(k / 4), k % 4];
        let s = b[out];
        for (let j = 0; j < 6; j++) s += (xRef.data[row * 6 + j] * wd[out * 6 + j]) / sigma;
        return s;
      });
    };
    const y = gg.scope(() => {
      const out = layer.forward(x);
      out.mul(gg.tensor(Float32Array.from(weights), [5, 4])).sum().backward();
      return out;
    });
    expectClose(await y.data(), outputRef(w), 1e-5, 1e-4, 'forward');
    const numeric = Float64Array.from({ length: 24 }, (_, i) => {
      const shifted = (delta: number) => {
        const wd = Float64Array.from(w);
        wd[i] += delta;
        return outputRef(wd).reduce((s, value, k) => s + value * weights[k], 0);
      };
      return (shifted(1e-6) - shifted(-1e-6)) / 2e-6;
    });
    expectClose(await layer.layer.weight.grad!.data(), numeric, 1e-4, 1e-3, 'weight gradient through σ');
    expectClose(await layer.u.data(), u, 0, 0, 'u in eval mode');
    y.dispose();
    x.dispose();
    layer.dispose();
    expect(live()).toBe(before);
  });

  it('training passes drive the normalised weight to spectral norm 1', async () => {
    const layer = new SpectralNorm(new gg.nn.Conv2d(3, 5, 3, { generator: new gg.Generator(1) }));
    for (let i = 0; i < 100; i++) gg.scope(() => void layer.normalizedWeight());
    const normalized = gg.noGrad(() => gg.scope(() => layer.normalizedWeight()));
    expect(topSingularValue(await normalized.data(), 5, 27)).toBeCloseTo(1, 3);
    normalized.dispose();
    layer.dispose();
  });

  it('refuses layers it cannot normalise', () => {
    const conv = new gg.nn.ConvTranspose2d(2, 2, 3);
    expect(() => new SpectralNorm(conv as unknown as gg.nn.Linear)).toThrow(/SpectralNorm: wraps a Linear or Conv2d layer, got ConvTranspose2d/);
    conv.dispose();
  });
});

// ---- training: divergence, DCGAN, the lab ------------------------------------------------------------

describe('divergence watch', () => {
  it('reports a discriminator loss pinned at its minimum after `patience` logs, and an exploding generator loss, once each', () => {
    const watch = new DivergenceWatch('nonSaturating', { labelSmoothing: 0.1 });
    const least = -(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1));
    expect(watch.leastDiscriminatorLoss).toBeCloseTo(least, 12);
    expect(watch.observe(100, 1.3, 0.8)).toEqual([]);
    expect(watch.observe(200, least + 0.005, 5)).toEqual([]);
    expect(watch.observe(300, least + 0.001, 9)).toEqual([]);
    const events = watch.observe(400, least + 0.002, 21);
    expect(events.map((e) => e.kind)).toEqual(['discriminator-loss-pinned', 'generator-loss-exploding']);
    expect(events[0].message).toMatch(/^step 400: the discriminator loss has stayed at its minimum 0\.3251/);
    expect(watch.observe(500, least, 30)).toEqual([]);
    expect(watch.observe(600, 1.0, 1.0)).toEqual([]);
    expect(watch.observe(700, 1.0, Number.NaN).map((e) => e.kind)).toEqual(['non-finite']);
    const critic = new DivergenceWatch('wganGp');
    expect(critic.leastDiscriminatorLoss).toBeNull();
    expect(critic.observe(1, -0.5, 0.2)).toEqual([]);
    expect(critic.observe(2, -25, 0.2).map((e) => e.kind)).toEqual(['discriminator-loss-exploding']);
  });

  it('stops at the exact step a NaN enters, naming the tensor', async () => {
    const before = live();
    const seed = new gg.Generator(5);
    const generator = new MlpGenerator({ hiddenDim: 8, hiddenLayers: 1, generator: seed });
    const discriminator = new MlpDiscriminator({ hiddenDim: 8, hiddenLayers: 1, generator: seed });
    const trainer = new GanTrainer(generator, discriminator);
    const history = await trainer.fit({
      steps: 10,
      logEvery: 5,
      realBatch: (update) => (update === 3 ? gg.full([16, 2], Number.NaN) : gg.randn([16, 2])),
      onLog: () => {},
    });
    expect(history.stoppedAt).toBe(3);
    expect(history.divergence.map((d) => d.message)).toEqual(['training stopped: the discriminator loss became NaN or Inf at step 3']);
    trainer.dispose();
    generator.dispose();
    discriminator.dispose();
    expect(live()).toBe(before);
  });

  it('sees a discriminator that wins outright (real and fake far apart, a frozen generator)', async () => {
    const seed = new gg.Generator(6);
    const generator = new MlpGenerator({ hiddenDim: 8, hiddenLayers: 1, generator: seed });
    const discriminator = new MlpDiscriminator({ hiddenDim: 16, hiddenLayers: 1, generator: seed });
    const trainer = new GanTrainer(generator, discriminator, { generatorLr: 1e-12, discriminatorLr: 0.05 });
    const history = await trainer.fit({ steps: 60, logEvery: 10, realBatch: () => gg.full([32, 2], 50), onLog: () => {}, stopOnDivergence: true });
    expect(history.divergence[0]?.kind).toBe('discriminator-loss-pinned');
    expect(history.stoppedAt).toBe(history.divergence[0].step);
    trainer.dispose();
    generator.dispose();
    discriminator.dispose();
  });
});

describe('DCGAN', () => {
  it('maps latents to [N, 1, 28, 28] in [-1, 1] and images to one logit each; a training step keeps the buffer count', async () => {
    const before = live();
    const seed = new gg.Generator(7);
    const generator = new DcganGenerator({ latentDim: 8, channels: [8, 4], generator: seed });
    const discriminator = new DcganDiscriminator({ channels: [4, 8], generator: seed });
    const trainer = new GanTrainer(generator, discriminator, { labelSmoothing: 0.1 });
    const images = gg.noGrad(() => gg.scope(() => generator.forward(gg.randn([3, 8]))));
    expect(images.shape).toEqual([3, 1, 28, 28]);
    expect(Math.max(...(await images.data()).map(Math.abs))).toBeLessThanOrEqual(1);
    const logits = gg.noGrad(() => gg.scope(() => discriminator.forward(images)));
    expect(logits.shape).toEqual([3]);
    images.dispose();
    logits.dispose();
    const baseline = live();
    const history = await trainer.fit({ steps: 2, realBatch: () => gg.rand([4, 1, 28, 28]).mul(2).sub(1), onLog: () => {} });
    expect(history.records.map((r) => Number.isFinite(r.discriminatorLoss) && Number.isFinite(r.generatorLoss))).toEqual([true, true]);
    // Each optimizer's first step moves its parameters into one buffer, and keeps their gradients and
    // Adam's two moments in three more: nothing else stays.
    expect(live() - baseline).toBe(2 * 4 - (generator.parameters().length + discriminator.parameters().length));
    trainer.dispose();
    generator.dispose();
    discriminator.dispose();
    expect(live()).toBe(before);
  });

  it('WGAN-GP with spectral norm differentiates the penalty through convolutions and σ; BatchNorm is refused', async () => {
    const seed = new gg.Generator(8);
    const generator = new DcganGenerator({ latentDim: 4, channels: [4, 4], generator: seed });
    const normed = new DcganDiscriminator({ channels: [4, 4], generator: seed });
    expect(() => new GanTrainer(generator, normed, { loss: 'wganGp' })).toThrow(/GanTrainer: WGAN-GP penalises each sample's gradient.*BatchNorm2d at 'net.3'/);
    const critic = new DcganDiscriminator({ channels: [4, 4], batchNorm: false, spectralNorm: true, generator: seed });
    const trainer = new GanTrainer(generator, critic, { loss: 'wganGp', discriminatorSteps: 2 });
    const before = live();
    const history = await trainer.fit({ steps: 2, realBatch: () => gg.rand([3, 1, 28, 28]), onLog: () => {} });
    expect(history.stoppedAt).toBeNull();
    expect(live() - before).toBe(2 * 4 - (generator.parameters().length + critic.parameters().length));
    for (const m of [trainer, generator, normed, critic]) m.dispose();
  });
});

describe('mode-collapse lab', () => {
  // The non-saturating GAN (MLPs with two hidden layers of 64, Adam 1e-3 (0.5, 0.999), batch 256)
  // from the lab's default seed: weights, latents and real batches come from seeded streams, so the
  // run is the same every time. Measured on this seed (1000 samples): 6 modes at step 1200, 7 first at
  // step 1700, all 8 at 2000 (the trajectory is chaotic: the exact exp, log and softplus kernels moved
  // the first 7 from step 1400 to 1700).
  it('the 2-D GAN covers >= 7 of the 8 ring modes within 2000 steps for a fixed seed, keeping the buffer count', async () => {
    const before = live();
    const result = await modeCollapseLab(
      { name: 'non-saturating', loss: 'nonSaturating', generatorLr: 1e-3, discriminatorLr: 1e-3, hiddenDim: 64 },
      { dataset: 'ring', steps: 2000, batchSize: 256, logEvery: 100, samples: 1000 },
    );
    expect(result.records.map((r) => r.step)).toEqual(Array.from({ length: 20 }, (_, i) => 100 * (i + 1)));
    expect(result.bestModes).toBeGreaterThanOrEqual(7);
    expect(live()).toBe(before);
  }, 900_000);

  it('the lab records modes and high-quality share at every logging step and keeps the last samples', async () => {
    const before = live();
    const result = await modeCollapseLab(
      { name: 'non-saturating + SN', loss: 'nonSaturating', spectralNorm: true, hiddenDim: 16 },
      { dataset: 'grid', steps: 20, logEvery: 10, batchSize: 32, samples: 300 },
    );
    expect(result.records.map((r) => r.step)).toEqual([10, 20]);
    expect(result.totalModes).toBe(25);
    expect(result.samples.length).toBe(600);
    expect(result.finalModes).toBe(result.records[1].modes);
    expect(result.records.every((r) => r.modes >= 0 && r.modes <= 25 && r.highQuality >= 0 && r.highQuality <= 1)).toBe(true);
    expect(live()).toBe(before);
  });
});

describe('GAN checkpoints', () => {
  /** A spectrally normalised MLP pair and its trainer, weights from `seed`. */
  const pair = (seed: number, loss: GanLoss = 'nonSaturating') => {
    const weights = new gg.Generator(seed);
    const generator = new MlpGenerator({ hiddenDim: 16, generator: weights });
    const discriminator = new MlpDiscriminator({ hiddenDim: 16, spectralNorm: true, generator: weights });
    return new GanTrainer(generator, discriminator, { loss, labelSmoothing: loss === 'nonSaturating' ? 0.1 : 0, seed: seed + 10 });
  };
  const dispose = (trainer: GanTrainer) => {
    trainer.dispose();
    trainer.generator.dispose();
    trainer.discriminator.dispose();
  };

  it('a loaded trainer continues exactly as the saved one: same losses, same samples; buffers are freed', async () => {
    const before = live();
    const real = gg.randn([32, 2], { generator: new gg.Generator(3) });
    const saved = pair(1);
    for (let i = 0; i < 3; i++) gg.scope(() => void saved.step(real));
    const bytes = await saveGanCheckpoint(saved, { note: 'three steps' });
    const loaded = pair(2);
    expect((await loadGanCheckpoint(bytes, loaded)).note).toBe('three steps');
    const next = async (trainer: GanTrainer) => {
      const { discriminator, generator } = gg.scope(() => trainer.step(real));
      const z = gg.randn([8, 16], { generator: new gg.Generator(4) });
      const samples = gg.noGrad(() => gg.scope(() => trainer.generator.forward(z)));
      const values = [await discriminator.item(), await generator.item(), ...(await samples.data())];
      for (const t of [discriminator, generator, z, samples]) t.dispose();
      return values;
    };
    expect(await next(loaded)).toEqual(await next(saved));
    dispose(saved);
    dispose(loaded);
    real.dispose();
    expect(live()).toBe(before);
  });

  it('refuses a file trained with another loss, naming both settings, and a file from elsewhere', async () => {
    const saved = pair(1);
    const bytes = await saveGanCheckpoint(saved);
    const other = pair(1, 'hinge');
    await expect(loadGanCheckpoint(bytes, other)).rejects.toThrow(/loadGanCheckpoint: the file was trained with loss nonSaturating, labelSmoothing 0.1; the trainer has loss hinge, labelSmoothing 0/);
    const stranger = await gg.io.saveCheckpoint({ model: saved.generator });
    await expect(loadGanCheckpoint(stranger, saved)).rejects.toThrow(/not written by saveGanCheckpoint/);
    dispose(saved);
    dispose(other);
  });
});

// ---- metrics ---------------------------------------------------------------------------------------

function statistics(mean: number[], covariance: number[]): GaussianStatistics {
  return { dim: mean.length, count: 0, mean: Float64Array.from(mean), covariance: Float64Array.from(covariance) };
}

describe('Fréchet distance', () => {
  it('diagonal covariances: |Δμ|² + Σ (√a - √b)²', () => {
    const a = statistics([1, 2, 3], [4, 0, 0, 0, 9, 0, 0, 0, 1]);
    const b = statistics([0, 2, 5], [1, 0, 0, 0, 16, 0, 0, 0, 1]);
    expect(frechetDistance(a, b)).toBeCloseTo(1 + 4 + (2 - 1) ** 2 + (3 - 4) ** 2, 10);
  });

  it('non-commuting 2 x 2 covariances: tr √M = √(tr M + 2 √det M)', () => {
    const next = rng(4);
    for (let trial = 0; trial < 5; trial++) {
      const spd = () => {
        const [p, q, r] = [next() * 2 - 1, next() * 2 - 1, next() * 2 - 1];
        return [p * p + q * q + 0.1, p * r + q * 0.5, p * r + q * 0.5, r * r + 0.25 + 0.1];
      };
      const [s1, s2] = [spd(), spd()];
      const mu1 = [next(), next()];
      const mu2 = [next(), next()];
      // M = S1 S2 has the eigenvalues of S1^½ S2 S1^½
      const m = [s1[0] * s2[0] + s1[1] * s2[2], s1[0] * s2[1] + s1[1] * s2[3], s1[2] * s2[0] + s1[3] * s2[2], s1[2] * s2[1] + s1[3] * s2[3]];
      const traceRoot = Math.sqrt(m[0] + m[3] + 2 * Math.sqrt(m[0] * m[3] - m[1] * m[2]));
      const expected = (mu1[0] - mu2[0]) ** 2 + (mu1[1] - mu2[1]) ** 2 + s1[0] + s1[3] + s2[0] + s2[3] - 2 * traceRoot;
      expect(frechetDistance(statistics(mu1, s1), statistics(mu2, s2))).toBeCloseTo(expected, 10);
    }
  });

  it('feature sets from the GPU: the same set gives 0, a shifted copy gives |shift|², statistics match float64', async () => {
    const before = live();
    const xRef = random([301, 17], rng(12), -2, 2);
    const shift = Array.from({ length: 17 }, (_, i) => 0.1 * (i - 8));
    const x = gg.tensor(Float32Array.from(xRef.data), [301, 17]);
    const shifted = gg.scope(() => x.add(gg.tensor(shift)));
    const a = await gaussianStatistics(x);
    const b = await gaussianStatistics(shifted);
    expect(frechetDistance(a, a)).toBeLessThan(1e-9);
    expect(frechetDistance(a, b)).toBeCloseTo(shift.reduce((s, v) => s + v * v, 0), 3);
    // float64 moments
    const mean = Array.from({ length: 17 }, (_, j) => meanOf(Array.from({ length: 301 }, (_, i) => xRef.data[i * 17 + j]), (v) => v));
    const covariance = Array.from({ length: 17 * 17 }, (_, k) => {
      const [p, q] = [Math.floor(k / 17), k % 17];
      let s = 0;
      for (let i = 0; i < 301; i++) s += (xRef.data[i * 17 + p] - mean[p]) * (xRef.data[i * 17 + q] - mean[q]);
      return s / 300;
    });
    expectClose(a.mean, mean, 1e-5, 1e-5, 'mean');
    expectClose(a.covariance, covariance, 1e-5, 1e-4, 'covariance');
    x.dispose();
    shifted.dispose();
    expect(live()).toBe(before);
  });

  it('symmetricEigen reconstructs the matrix from orthonormal eigenvectors', () => {
    const n = 9;
    const r = random([n, n], rng(3));
    const a = Float64Array.from({ length: n * n }, (_, k) => r.data[k] + r.data[(k % n) * n + Math.floor(k / n)]);
    const { values, vectors } = symmetricEigen(a, n);
    const rebuilt = Float64Array.from({ length: n * n }, (_, k) => {
      const [i, j] = [Math.floor(k / n), k % n];
      let s = 0;
      for (let m = 0; m < n; m++) s += vectors[i * n + m] * values[m] * vectors[j * n + m];
      return s;
    });
    expectClose(rebuilt, a, 1e-12, 1e-12, 'V diag(λ) Vᵀ');
  });
});

describe('MNIST evaluation', () => {
  it('a classifier trained here reads its own test digits; checkpoints reload exactly; an untrained DCGAN is far from the test set', async () => {
    const before = live();
    const train = await gg.data.loadMnist({ split: 'train', limit: 3000 });
    const test = await gg.data.loadMnist({ split: 'test', limit: 1000 });
    const classifier = await trainMnistClassifier(train, { epochs: 2, featureDim: 32, log: () => {} });
    const { images, labels } = test.toTensors();
    const half = (k: 0 | 1) => gg.scope(() => images.slice(0, 500 * k, 500 * (k + 1)));
    const [first, second] = [half(0), half(1)];
    const firstLabels = gg.scope(() => labels.slice(0, 0, 500));
    const report = await classifierReport(classifier, first, { labels: firstLabels, batchSize: 128 });
    expect(report.accuracy!).toBeGreaterThan(0.75);
    expect(report.digitsCovered).toBe(10);
    expect(report.labelHistogram.reduce((s, c) => s + c, 0)).toBe(500);
    expect(report.meanConfidence).toBeGreaterThan(0.6);

    const reloaded = await loadMnistClassifier(await saveMnistClassifier(classifier));
    const again = await classifierReport(reloaded, first);
    expectClose(again.statistics.mean, report.statistics.mean, 0, 0, 'features after reloading');

    const other = await classifierReport(classifier, second);
    const realDistance = frechetDistance(report.statistics, other.statistics);
    const untrained = new DcganGenerator({ latentDim: 8, channels: [8, 4], generator: new gg.Generator(1) });
    const generated = await evaluateGenerator(untrained, classifier, report.statistics, { samples: 500, batchSize: 250, generator: new gg.Generator(2) });
    expect(generated.fcd).toBeGreaterThan(10 * realDistance);
    expect(generated.labelHistogram.reduce((s, c) => s + c, 0)).toBe(500);

    for (const t of [first, second, firstLabels, images, labels]) t.dispose();
    for (const m of [classifier, reloaded, untrained]) m.dispose();
    expect(live()).toBe(before);
  });

  it('the classifier names its expected input', () => {
    const classifier = new MnistClassifier(16);
    const bad = gg.zeros([2, 100]);
    expect(() => classifier.forward(bad)).toThrow(/MnistClassifier: expected f32 images \[N, 784\] or \[N, 1, 28, 28\] with pixels in \[0, 1\], got \[2, 100\] f32/);
    bad.dispose();
    classifier.dispose();
  });
});
