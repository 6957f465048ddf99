// Diffusion models (src/models/diffusion/): the schedules against published values, the DDPM loss
// against a float64 recomputation with the same draws, the samplers against the exact denoiser of a
// Gaussian (whose samples must have the data's mean and spread), guidance's arithmetic, the MLP
// denoiser's checks, and the trainer: learning, resuming bit for bit, fit(), and the live-buffer count.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import {
  Denoiser, DiffusionTrainer, MlpDenoiser, UNet, loadDiffusionCheckpoint, readDenoiserConfig, readLatentNormalization, saveDiffusionCheckpoint, NoiseSchedule, ddimSample, ddpmSample, diffusionLoss, diffusionLossAt, variationalBound, type MlpDenoiserConfig,
} from '../../src/models/diffusion/index.js';

const live = () => gg.runtime().memory().liveBuffers;

/**
 * The exact noise prediction for data x_0 ~ N(mean, std²) per dimension: E[ε | x_t] =
 * sqrt(1 - ā)(x_t - sqrt(ā) mean) / (ā std² + 1 - ā). Sampling with it must give back that Gaussian.
 */
class GaussianDenoiser extends Denoiser {
  readonly config: MlpDenoiserConfig = { kind: 'mlp', dim: 2, hidden: 1, blocks: 1, numClasses: 0 };
  readonly dataShape: readonly number[];
  readonly numClasses = 0;
  private readonly schedule: NoiseSchedule;
  private readonly mean: number[];
  private readonly std: number[];
  private readonly v: boolean;
  constructor(schedule: NoiseSchedule, mean: number[], std: number[], v = false) {
    super();
    [this.schedule, this.mean, this.std, this.v] = [schedule, mean, std, v];
    this.dataShape = [mean.length];
  }
  forward(x: gg.Tensor, t: gg.Tensor): gg.Tensor {
    const { signal, noise } = this.schedule.forwardCoefficients(t.to('i32'));
    const [a, s] = [signal.reshape([-1, 1]), noise.reshape([-1, 1])];
    const variance = gg.tensor([this.std.map((d) => d * d)]);
    const epsilon = s.mul(x.sub(a.mul(gg.tensor([this.mean])))).div(a.mul(a).mul(variance).add(s.mul(s)));
    // v = (ε - sqrt(1 - ā) x_t) / sqrt(ā), from ε = sqrt(ā) v + sqrt(1 - ā) x_t.
    return this.v ? epsilon.sub(s.mul(x)).div(a) : epsilon;
  }
}

/** Records the labels each forward call gets, and predicts label + 1 as the noise (0 for "no class"). */
class LabelEcho extends Denoiser {
  readonly config: MlpDenoiserConfig = { kind: 'mlp', dim: 2, hidden: 1, blocks: 1, numClasses: 3 };
  readonly dataShape = [2];
  readonly numClasses = 3;
  readonly seen: gg.Tensor[] = [];
  forward(x: gg.Tensor, _t: gg.Tensor, labels?: gg.Tensor): gg.Tensor {
    this.seen.push(labels!.clone().keep());
    const value = gg.where(labels!.eq(this.numClasses), 0, labels!.to('f32').add(1));
    return x.mul(0).add(value.reshape([-1, 1]));
  }
}

async function columnStats(samples: gg.Tensor): Promise<{ mean: number[]; std: number[] }> {
  const [n, d] = samples.shape;
  const values = await samples.data();
  const mean = Array.from({ length: d }, (_, j) => Array.from({ length: n }, (_, i) => values[i * d + j]).reduce((a, b) => a + b, 0) / n);
  const std = mean.map((m, j) => Math.sqrt(Array.from({ length: n }, (_, i) => (values[i * d + j] - m) ** 2).reduce((a, b) => a + b, 0) / n));
  return { mean, std };
}

describe('NoiseSchedule', () => {
  it('linear: Ho et al.\'s betas from 1e-4 to 0.02, ā_999 = 4.0358e-5', () => {
    const s = new NoiseSchedule();
    expect(s.betas[0]).toBe(1e-4);
    expect(s.betas[999]).toBe(0.02);
    expect(s.betas[500] - s.betas[499]).toBeCloseTo((0.02 - 1e-4) / 999, 15);
    expect(s.alphasCumprod[999]).toBeCloseTo(4.035829765375676e-5, 15);
    expect(s.alphasCumprod[499]).toBeCloseTo(0.07858724288177824, 12);
    expect(s.alphaBar(-1)).toBe(1);
  });

  it('cosine: Nichol & Dhariwal\'s betas, clipped at 0.999', () => {
    const s = new NoiseSchedule({ kind: 'cosine' });
    expect(s.betas[0]).toBeCloseTo(4.128422482196914e-5, 15);
    expect(s.betas[999]).toBe(0.999);
    expect(s.alphasCumprod[499]).toBeCloseTo(0.4938435904406382, 12);
    expect(s.alphasCumprod[999]).toBeCloseTo(2.4287669070348567e-9, 18);
  });

  it('posterior: its mean recovers x_0 exactly at t = 0, and its variance is β̃_t', () => {
    const s = new NoiseSchedule({ steps: 10, betaEnd: 0.2 });
    expect(s.posterior(0).x0).toBeCloseTo(1, 12);
    expect(s.posterior(0).xt).toBe(0);
    expect(s.posterior(0).variance).toBe(0);
    const t = 5;
    const [beta, a, prev] = [s.betas[t], s.alphasCumprod[t], s.alphasCumprod[t - 1]];
    expect(s.posterior(t).variance).toBeCloseTo((beta * (1 - prev)) / (1 - a), 15);
  });

  it('gathers each example\'s coefficients on the GPU, and rejects bad settings', async () => {
    const s = new NoiseSchedule({ steps: 20, betaEnd: 0.1 });
    const t = gg.tensor(new Int32Array([0, 19, 7]));
    const { signal, noise } = s.forwardCoefficients(t);
    const expected = [0, 19, 7].map((i) => s.alphasCumprod[i]);
    expect(Array.from(await signal.data())).toEqual(expected.map((a) => Math.fround(Math.sqrt(a))));
    expect(Array.from(await noise.data())).toEqual(expected.map((a) => Math.fround(Math.sqrt(1 - a))));
    [t, signal, noise].forEach((x) => x.dispose());
    s.dispose();
    expect(() => new NoiseSchedule({ steps: 1 })).toThrow(/steps must be an integer >= 2/);
    expect(() => new NoiseSchedule({ betaStart: 0.1, betaEnd: 0.01 })).toThrow(/betaStart <= betaEnd/);
    expect(() => new NoiseSchedule({ kind: 'quadratic' as 'linear' })).toThrow(/'linear' or 'cosine'/);
  });
});

describe('diffusionLoss', () => {
  for (const prediction of ['epsilon', 'v'] as const) {
    it(`equals a float64 recomputation with the same step and noise draws (${prediction})`, async () => {
      const before = live();
      const schedule = new NoiseSchedule({ steps: 40, betaEnd: 0.05 });
      const model = new MlpDenoiser({ dim: 3, hidden: 8, blocks: 1, generator: new gg.Generator(1) });
      // A zero-initialised output layer predicts 0; give it weights so the prediction matters.
      gg.noGrad(() => gg.scope(() => model.parameters().forEach((p, i) => p.assign(gg.randn(p.shape, { generator: new gg.Generator(100 + i) }).mul(0.3)))));
      const x0 = gg.randn([4, 3], { generator: new gg.Generator(2) });
      const generator = new gg.Generator(3);
      const replay = new gg.Generator(3);
      const loss = gg.noGrad(() => gg.scope(() => diffusionLoss(model, schedule, x0, { generator, prediction })));
      const got = await loss.item();

      const t = gg.randint(0, 40, [4], { generator: replay });
      const noise = gg.randn([4, 3], { generator: replay });
      const [steps, eps, data] = [await t.data(), await noise.data(), await x0.data()];
      const xt = new Float32Array(12);
      const target: number[] = [];
      for (let i = 0; i < 12; i++) {
        const a = schedule.alphasCumprod[steps[Math.floor(i / 3)]];
        xt[i] = Math.sqrt(a) * data[i] + Math.sqrt(1 - a) * eps[i];
        target.push(prediction === 'epsilon' ? eps[i] : Math.sqrt(a) * eps[i] - Math.sqrt(1 - a) * data[i]);
      }
      const output = gg.noGrad(() => gg.scope(() => model.forward(gg.tensor(xt, [4, 3]), gg.tensor(Float32Array.from(steps)))));
      const predicted = await output.data();
      const expected = target.reduce((sum, v, i) => sum + (predicted[i] - v) ** 2, 0) / 12;
      expect(got).toBeCloseTo(expected, 5);
      [loss, t, noise, output, x0].forEach((x) => x.dispose());
      model.dispose();
      schedule.dispose();
      expect(live()).toBe(before);
    });
  }

  it('replaces a fraction of the labels by "no class" for guidance', async () => {
    const schedule = new NoiseSchedule({ steps: 10 });
    const model = new LabelEcho();
    const labels = gg.tensor(new Int32Array(400).map((_, i) => i % 3));
    const x0 = gg.zeros([400, 2]);
    gg.noGrad(() => gg.scope(() => { diffusionLoss(model, schedule, x0, { labels, labelDropout: 0.25, generator: new gg.Generator(9) }); }));
    const seen = Array.from(await model.seen[0].data());
    const dropped = seen.filter((v) => v === 3).length;
    expect(dropped / 400).toBeGreaterThan(0.18);
    expect(dropped / 400).toBeLessThan(0.32);
    seen.forEach((v, i) => expect(v === 3 || v === i % 3).toBe(true));
    [labels, x0, ...model.seen].forEach((x) => x.dispose());
    schedule.dispose();
  });
});

/**
 * The exact mean and standard deviation (per dimension) of what a sampler yields with the exact denoiser of
 * N(mean, std²) data: every step is linear in x_t plus Gaussian noise, so the sampler's state stays Gaussian and
 * its moments follow in float64 (the discrete samplers' own error included: few steps do not give the data back).
 */
function samplerMoments(schedule: NoiseSchedule, timesteps: number[], mean: number, std: number, rule: 'ddpm' | { eta: number }): { mean: number; std: number } {
  let [m, v] = [0, 1];
  timesteps.forEach((t, i) => {
    const prev = timesteps[i + 1] ?? -1;
    const [a, aPrev] = [schedule.alphaBar(t), schedule.alphaBar(prev)];
    // ε̂ = k (x - sqrt(ā) mean) and x̂_0 = (x - sqrt(1 - ā) ε̂) / sqrt(ā), both as (slope, offset) in x.
    const k = Math.sqrt(1 - a) / (a * std * std + 1 - a);
    const noise = [k, -k * Math.sqrt(a) * mean];
    const data = [(1 - Math.sqrt(1 - a) * noise[0]) / Math.sqrt(a), (-Math.sqrt(1 - a) * noise[1]) / Math.sqrt(a)];
    let slope: number, offset: number, variance: number;
    if (rule === 'ddpm') {
      const post = schedule.posterior(t);
      [slope, offset, variance] = [post.x0 * data[0] + post.xt, post.x0 * data[1], t === 0 ? 0 : post.variance];
    } else {
      const sigma = rule.eta * Math.sqrt(((1 - aPrev) / (1 - a)) * (1 - a / aPrev));
      const c = Math.sqrt(Math.max(0, 1 - aPrev - sigma * sigma));
      [slope, offset, variance] = [Math.sqrt(aPrev) * data[0] + c * noise[0], Math.sqrt(aPrev) * data[1] + c * noise[1], sigma * sigma];
    }
    [m, v] = [slope * m + offset, slope * slope * v + variance];
  });
  return { mean: m, std: Math.sqrt(v) };
}

describe('samplers', () => {
  const mean = [1.5, -0.5];
  const std = [0.5, 0.2];
  const count = 8192;
  const ddimSteps = (n: number) => Array.from({ length: 25 }, (_, i) => (24 - i) * n);

  const cases: [string, (model: Denoiser, schedule: NoiseSchedule, generator: gg.Generator) => Promise<gg.Tensor>, number[], 'ddpm' | { eta: number }, boolean][] = [
    ['ancestral DDPM through all 100 steps', (m, s, generator) => ddpmSample(m, s, count, { generator }), Array.from({ length: 100 }, (_, i) => 99 - i), 'ddpm', false],
    ['DDIM, 25 steps, eta 0', (m, s, generator) => ddimSample(m, s, count, { generator, steps: 25 }), ddimSteps(4), { eta: 0 }, false],
    ['DDIM, 25 steps, eta 1', (m, s, generator) => ddimSample(m, s, count, { generator, steps: 25, eta: 1 }), ddimSteps(4), { eta: 1 }, false],
    ['DDIM with v-prediction', (m, s, generator) => ddimSample(m, s, count, { generator, steps: 25, prediction: 'v' }), ddimSteps(4), { eta: 0 }, true],
  ];
  for (const [name, sample, timesteps, rule, v] of cases) {
    it(`${name}: the moments its steps give with the exact denoiser of a Gaussian`, async () => {
      const before = live();
      const schedule = new NoiseSchedule({ steps: 100, betaEnd: 0.2 });
      const model = new GaussianDenoiser(schedule, mean, std, v);
      const samples = await sample(model, schedule, new gg.Generator(11));
      const stats = await columnStats(samples);
      mean.forEach((_, j) => {
        const expected = samplerMoments(schedule, timesteps, mean[j], std[j], rule);
        // Within 4 standard errors of the mean and of the standard deviation.
        expect(Math.abs(stats.mean[j] - expected.mean), `mean of dimension ${j}`).toBeLessThan((4 * expected.std) / Math.sqrt(count));
        expect(Math.abs(stats.std[j] / expected.std - 1), `std of dimension ${j}`).toBeLessThan(4 / Math.sqrt(2 * count));
      });
      samples.dispose();
      schedule.dispose();
      expect(live()).toBe(before);
    });
  }

  it('are reproducible from a seed and report every step', async () => {
    const schedule = new NoiseSchedule({ steps: 30 });
    const model = new GaussianDenoiser(schedule, mean, std);
    const steps: number[] = [];
    const a = await ddimSample(model, schedule, 8, { generator: new gg.Generator(5), steps: 10, eta: 0.5, onStep: ({ t, x, data }) => {
      steps.push(t);
      expect(x.shape).toEqual([8, 2]);
      expect(data.shape).toEqual([8, 2]);
    } });
    const b = await ddimSample(model, schedule, 8, { generator: new gg.Generator(5), steps: 10, eta: 0.5 });
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    expect(steps).toEqual([27, 24, 21, 18, 15, 12, 9, 6, 3, 0]);
    [a, b].forEach((x) => x.dispose());
    schedule.dispose();
  });

  it('guide as uncond + s (cond - uncond), in one forward pass over both', async () => {
    const schedule = new NoiseSchedule({ steps: 10 });
    const model = new LabelEcho();
    const labels = [0, 2, 1];
    const scale = 3;
    // One DDIM step from t = 0 lands on the data estimate (x - sqrt(1 - ā_0) ε̂) / sqrt(ā_0).
    const out = await ddimSample(model, schedule, 3, { steps: 1, labels, guidanceScale: scale, generator: new gg.Generator(4) });
    const x = gg.randn([3, 2], { generator: new gg.Generator(4) });
    const [start, got] = [await x.data(), await out.data()];
    const a = schedule.alphasCumprod[0];
    got.forEach((value, i) => {
      const guided = scale * (labels[Math.floor(i / 2)] + 1);
      expect(value).toBeCloseTo((start[i] - Math.sqrt(1 - a) * guided) / Math.sqrt(a), 4);
    });
    expect(Array.from(await model.seen[0].data())).toEqual([0, 2, 1, 3, 3, 3]);
    [out, x, ...model.seen].forEach((t) => t.dispose());
    await expect(ddimSample(model, schedule, 2, { steps: 1, guidanceScale: 2 })).rejects.toThrow(/needs labels/);
    await expect(ddimSample(model, schedule, 2, { steps: 1, labels: [0] })).rejects.toThrow(/labels must be 2 class indices/);
    await expect(ddimSample(model, schedule, 2, { steps: 11 })).rejects.toThrow(/steps must be an integer in \[1, 10\]/);
    schedule.dispose();
  });
});

describe('MlpDenoiser', () => {
  it('checks its inputs, naming the op and shapes', () => {
    const model = new MlpDenoiser({ dim: 3, hidden: 8, blocks: 1 });
    const x = gg.zeros([2, 3]);
    expect(() => model.forward(gg.zeros([2, 4]), gg.zeros([2]))).toThrow(/MlpDenoiser: expected x_t of shape \[B, 3\] f32.*\[2, 4\]/);
    expect(() => model.forward(x, gg.zeros([3]))).toThrow(/expected t of shape \[2\] f32/);
    expect(() => model.forward(x, gg.zeros([2]), gg.zeros([2], { dtype: 'i32' }))).toThrow(/unconditional model/);
    expect(() => new MlpDenoiser({ dim: 0 })).toThrow(/dim/);
    model.dispose();
    x.dispose();
  });

  it('conditions on the class, and on "no class" without labels', async () => {
    const model = new MlpDenoiser({ dim: 2, hidden: 8, blocks: 2, numClasses: 3, generator: new gg.Generator(2) });
    gg.noGrad(() => gg.scope(() => model.parameters().forEach((p, i) => p.assign(gg.randn(p.shape, { generator: new gg.Generator(50 + i) }).mul(0.3)))));
    const x = gg.randn([3, 2], { generator: new gg.Generator(3) });
    const t = gg.tensor([5, 5, 5]);
    const out = (labels?: number[]) => gg.noGrad(() => model.forward(x, t, labels ? gg.tensor(new Int32Array(labels)) : undefined)).data();
    const [none, nulls, classes] = [await out(), await out([3, 3, 3]), await out([0, 1, 2])];
    expect(Array.from(none)).toEqual(Array.from(nulls));
    expect(Array.from(classes)).not.toEqual(Array.from(none));
    model.dispose();
  });
});

describe('DiffusionTrainer', () => {
  it('learns two clusters: the loss falls and samples land on both', async () => {
    const before = live();
    const points = new Float32Array(256 * 2).map((_, i) => (Math.floor(i / 2) % 2 === 0 ? 1 : -1) * (i % 2 === 0 ? 1 : 0.5));
    const dataset = gg.data.arrayDataset({ images: { values: points, exampleShape: [2] } });
    const model = new MlpDenoiser({ dim: 2, hidden: 32, blocks: 1, generator: new gg.Generator(1) });
    const trainer = new DiffusionTrainer(model, { schedule: { steps: 100, betaEnd: 0.2 }, lr: 1e-2, emaDecay: 0.9 });
    const records = await trainer.fit(dataset, { epochs: 12, batchSize: 64, onProgress: () => {} });
    expect(records).toHaveLength(12);
    expect(records[11].loss).toBeLessThan(records[0].loss * 0.7);
    const samples = await ddimSample(trainer.averaged!, trainer.schedule, 128, { steps: 20, generator: new gg.Generator(2) });
    const values = await samples.data();
    const near = [0, 0];
    for (let i = 0; i < 128; i++) {
      const [x, y] = [values[2 * i], values[2 * i + 1]];
      if (Math.hypot(x - 1, y - 0.5) < 0.4) near[0]++;
      if (Math.hypot(x + 1, y + 0.5) < 0.4) near[1]++;
    }
    // Most samples near a cluster, and both clusters found (no mode collapse).
    expect((near[0] + near[1]) / 128).toBeGreaterThan(0.6);
    near.forEach((n) => expect(n / 128).toBeGreaterThan(0.2));
    samples.dispose();
    trainer.dispose();
    model.dispose();
    expect(live()).toBe(before);
  });

  it('resumes from its state dict bit for bit', async () => {
    const before = live();
    const batches = Array.from({ length: 6 }, (_, i) => [
      gg.randn([6, 2], { generator: new gg.Generator(60 + i) }).keep(),
      gg.randint(0, 3, [6], { generator: new gg.Generator(70 + i) }).keep(),
    ]);
    const make = () => {
      const model = new MlpDenoiser({ dim: 2, hidden: 8, blocks: 1, numClasses: 3, generator: new gg.Generator(8) });
      return { model, trainer: new DiffusionTrainer(model, { schedule: { kind: 'cosine', steps: 50 }, prediction: 'v', seed: 4 }) };
    };
    const run = (trainer: DiffusionTrainer, from: number, to: number) => {
      for (let i = from; i < to; i++) gg.scope(() => { trainer.step({ data: batches[i][0], labels: batches[i][1] }); });
    };
    const a = make();
    run(a.trainer, 0, 3);
    const saved = gg.scope(() => {
      const state = a.trainer.stateDict();
      return { ...state, model: Object.fromEntries(Object.entries(state.model).map(([k, v]) => [k, v.clone().keep()])), optimizer: Object.fromEntries(Object.entries(state.optimizer).map(([k, v]) => [k, v.keep()])) };
    });
    run(a.trainer, 3, 6);
    const b = make();
    await b.trainer.loadStateDict(saved);
    run(b.trainer, 3, 6);
    const weights = async (m: MlpDenoiser) => Promise.all(m.parameters().map(async (p) => Array.from(await p.data())));
    expect(await weights(b.model)).toEqual(await weights(a.model));
    expect(await weights(b.trainer.averaged as MlpDenoiser)).toEqual(await weights(a.trainer.averaged as MlpDenoiser));
    expect(b.trainer.stepCount).toBe(6);
    const other = new DiffusionTrainer(b.model, { schedule: { kind: 'cosine', steps: 50 }, prediction: 'epsilon' });
    await expect(other.loadStateDict(saved)).rejects.toThrow(/trained with prediction/);
    other.dispose();
    [...Object.values(saved.model), ...Object.values(saved.optimizer), ...batches.flat()].forEach((t) => t.dispose());
    for (const { model, trainer } of [a, b]) {
      trainer.dispose();
      model.dispose();
    }
    expect(live()).toBe(before);
  });
});

describe('variationalBound', () => {
  it('equals a float64 recomputation of its prior, diffusion and decoder terms with the same draws', async () => {
    const before = live();
    const schedule = new NoiseSchedule({ steps: 6, betaStart: 0.01, betaEnd: 0.3 });
    const model = new MlpDenoiser({ dim: 5, hidden: 8, blocks: 1, generator: new gg.Generator(1) });
    gg.noGrad(() => gg.scope(() => model.parameters().forEach((p, i) => p.assign(gg.randn(p.shape, { generator: new gg.Generator(200 + i) }).mul(0.3)))));
    // Pixels on the 256 levels of [-1, 1], the extremes included.
    const levels = [0, 255, 17, 128, 200, 3, 90, 254, 1, 77];
    const x0 = gg.tensor(Float32Array.from(levels, (p) => (2 * p) / 255 - 1), [2, 5]);
    const bound = await variationalBound(model, schedule, x0, { generator: new gg.Generator(9) });

    const replay = new gg.Generator(9);
    const x = Array.from(await x0.data());
    const normalCdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));
    const aT = schedule.alphaBar(5);
    const prior = x.reduce((sum, v) => sum + 0.5 * (-1 - Math.log(1 - aT) + (1 - aT) + aT * v * v), 0);
    let [diffusion, decoder] = [0, 0];
    for (let t = 0; t < 6; t++) {
      const noise = gg.randn([2, 5], { generator: replay });
      const eps = Array.from(await noise.data());
      const [a, s] = [Math.sqrt(schedule.alphaBar(t)), Math.sqrt(1 - schedule.alphaBar(t))];
      const xt = x.map((v, i) => Math.fround(Math.fround(v * a) + Math.fround(eps[i] * s)));
      const out = gg.noGrad(() => gg.scope(() => model.forward(gg.tensor(Float32Array.from(xt), [2, 5]), gg.full([2], t))));
      const predicted = Array.from(await out.data());
      const data = xt.map((v, i) => (v - s * predicted[i]) / a);
      if (t === 0) {
        const sigma = Math.sqrt(schedule.posterior(1).variance);
        decoder = -x.reduce((sum, v, i) => {
          const upper = v > 0.999 ? 1 : normalCdf((v + 1 / 255 - data[i]) / sigma);
          const lower = v < -0.999 ? 0 : normalCdf((v - 1 / 255 - data[i]) / sigma);
          return sum + Math.log(Math.max(upper - lower, 1e-12));
        }, 0);
      } else {
        const { x0: c0, variance } = schedule.posterior(t);
        diffusion += x.reduce((sum, v, i) => sum + (c0 * c0 * (v - data[i]) ** 2) / (2 * variance), 0);
      }
      [noise, out].forEach((tensor) => tensor.dispose());
    }
    const bits = 1 / (10 * Math.LN2);
    expect(bound.prior).toBeCloseTo(prior * bits, 5);
    expect(bound.diffusion / (diffusion * bits)).toBeCloseTo(1, 3);
    expect(bound.decoder / (decoder * bits)).toBeCloseTo(1, 3);
    expect(bound.bitsPerDim).toBeCloseTo(bound.prior + bound.diffusion + bound.decoder, 10);
    x0.dispose();
    model.dispose();
    schedule.dispose();
    expect(live()).toBe(before);
  });
});

/** erf to about 1e-7 (Abramowitz and Stegun 7.1.26 is too coarse here): its Maclaurin series, or the continued fraction of erfc. */
function erf(z: number): number {
  const x = Math.abs(z);
  if (x < 3) {
    let [term, sum] = [x, x];
    for (let n = 1; n < 60; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(z) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  let fraction = 0;
  for (let n = 60; n >= 1; n--) fraction = n / 2 / (x + fraction);
  return Math.sign(z) * (1 - Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + fraction));
}

describe('diffusion checkpoints', () => {
  it('save a trainer and resume it, load the weight average alone, and keep a latent model\'s standardisation', async () => {
    const before = live();
    const config = { dim: 3, hidden: 8, blocks: 1, numClasses: 2 };
    const batch = { data: gg.randn([4, 3], { generator: new gg.Generator(1) }).keep(), labels: gg.tensor(new Int32Array([0, 1, 1, 0])).keep() };
    const model = new MlpDenoiser({ ...config, generator: new gg.Generator(2) });
    const trainer = new DiffusionTrainer(model, { schedule: { steps: 20 }, emaDecay: 0.9 });
    for (let i = 0; i < 3; i++) gg.scope(() => { trainer.step(batch); });
    const latents = { mean: [0.1, -0.2, 0.3], std: [1, 2, 3] };
    const bytes = await saveDiffusionCheckpoint(model, { trainer, latents, metadata: { note: 'test' } });
    expect(readDenoiserConfig(bytes)).toEqual(model.config);
    expect(readLatentNormalization(bytes)).toEqual(latents);

    const copy = new MlpDenoiser({ ...config, generator: new gg.Generator(3) });
    const resumed = new DiffusionTrainer(copy, { schedule: { steps: 20 }, emaDecay: 0.9 });
    await loadDiffusionCheckpoint(bytes, { trainer: resumed });
    gg.scope(() => { trainer.step(batch); resumed.step(batch); });
    const weights = (m: gg.nn.Module) => Promise.all(m.parameters().map(async (p) => Array.from(await p.data())));
    expect(await weights(copy)).toEqual(await weights(model));
    expect(resumed.stepCount).toBe(4);

    const averaged = await loadDiffusionCheckpoint(bytes, { averaged: true });
    // The file's average is the one before the fourth step; the trainer's moved since.
    expect(averaged.config).toEqual(model.config);
    const unet = new UNet({ size: 8, baseChannels: 8, channelMults: [1, 2], groups: 4, heads: 2 });
    await expect(loadDiffusionCheckpoint(bytes, { model: unet })).rejects.toThrow(/loadDiffusionCheckpoint: the file holds .*"mlp".*, the model is .*"unet"/);
    for (const m of [model, copy, averaged, unet]) m.dispose();
    trainer.dispose();
    resumed.dispose();
    [batch.data, batch.labels].forEach((t) => t.dispose());
    expect(live()).toBe(before);
  });
});

describe('UNet', () => {
  it('keeps the image shape through its levels, for 28 and 32 pixel sides, and starts at zero', async () => {
    const before = live();
    for (const size of [28, 32]) {
      const model = new UNet({ size, baseChannels: 8, channelMults: [1, 2, 2], groups: 4, heads: 2, generator: new gg.Generator(1) });
      const x = gg.randn([2, 1, size, size], { generator: new gg.Generator(2) });
      const out = gg.noGrad(() => gg.scope(() => model.forward(x, gg.tensor([3, 500]))));
      expect(out.shape).toEqual([2, 1, size, size]);
      // The output conv starts at zero (improved-diffusion's zero_module).
      expect(Array.from(await out.data()).every((v) => v === 0)).toBe(true);
      [x, out].forEach((t) => t.dispose());
      model.dispose();
    }
    expect(live()).toBe(before);
  });

  it('trains: gradients reach every parameter, and steps lower the loss on fixed draws', async () => {
    const before = live();
    const model = new UNet({ size: 8, baseChannels: 8, channelMults: [1, 2], groups: 4, heads: 2, numClasses: 2, generator: new gg.Generator(3) });
    const trainer = new DiffusionTrainer(model, { schedule: { steps: 100, betaEnd: 0.2 }, lr: 3e-3, emaDecay: 0, gradClip: 0, seed: 1 });
    const data = gg.scope(() => gg.randn([4, 1, 8, 8], { generator: new gg.Generator(4) }).tanh()).keep();
    const labels = gg.tensor(new Int32Array([0, 1, 0, 1])).keep();
    const t = gg.tensor(new Int32Array([5, 30, 60, 90])).keep();
    const noise = gg.randn([4, 1, 8, 8], { generator: new gg.Generator(5) }).keep();
    const fixedLoss = async () => {
      const loss = gg.noGrad(() => gg.scope(() => diffusionLossAt(model, trainer.schedule, data, t, noise, { labels })));
      const value = await loss.item();
      loss.dispose();
      return value;
    };
    const initial = await fixedLoss();
    for (let i = 0; i < 10; i++) {
      gg.scope(() => { trainer.step({ data, labels }); });
      // After the first step every parameter, the zero-initialised layers' included, has a gradient.
      if (i === 0) for (const [name, p] of model.namedParameters()) expect(p.grad, name).not.toBeNull();
    }
    expect(await fixedLoss()).toBeLessThan(initial * 0.8);
    [data, labels, t, noise].forEach((x) => x.dispose());
    trainer.dispose();
    model.dispose();
    expect(live()).toBe(before);
  }, 120_000);

  it('rejects configurations it cannot build, naming the setting', () => {
    expect(() => new UNet({ size: 28, channelMults: [1, 2, 2, 2] })).toThrow(/size 28 must halve exactly 3 times/);
    expect(() => new UNet({ baseChannels: 12, groups: 8 })).toThrow(/multiple of groups 8, got 12/);
    expect(() => new UNet({ channelMults: [] })).toThrow(/channelMults/);
  });
});
