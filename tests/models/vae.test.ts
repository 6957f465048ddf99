// The VAE (src/models/vae/): its ELBO terms and importance-weighted bound against a float64
// reference with the same noise, its gradients (through the reparameterization) against finite
// differences, training on an MNIST subset, checkpoints that reload and resume bit for bit,
// generation, the applications, and the live-buffer count through all of it.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import {
  ConvVae,
  MlpVae,
  VaeTrainer,
  anomalyDetection,
  augmentationExperiment,
  estimateNll,
  evaluateVae,
  filterByLabel,
  loadVaeCheckpoint,
  normalQuantile,
  readVaeConfig,
  saveVaeCheckpoint,
  synthesizeClassConditional,
  synthesizeLabelled,
  type Vae,
} from '../../src/models/vae/index.js';
import { expectClose } from '../helpers/check.js';
import { random, ref, rng, type Ref } from '../helpers/reference.js';
import { conv2dRef, convTranspose2dRef, linearRef } from '../nn/helpers.js';

// ---- float64 reference of the two architectures ----------------------------------------------------

type Params = Record<string, Ref>;

const relu = (a: Ref) => ref(a.shape, (i) => Math.max(0, a.data[i]));
/** GELU with the tanh approximation, as the engine's gelu. */
const gelu = (a: Ref) =>
  ref(a.shape, (i) => {
    const x = a.data[i];
    return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  });
const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

interface RefPosterior {
  mu: Ref;
  logVar: Ref;
}

interface RefVae {
  encode(x: Ref, p: Params): RefPosterior;
  decode(z: Ref, p: Params): Ref;
}

const mlpRef: RefVae = {
  encode(x, p) {
    const h = relu(linearRef(x, p['fc1.weight'], p['fc1.bias']));
    return { mu: linearRef(h, p['fc21.weight'], p['fc21.bias']), logVar: linearRef(h, p['fc22.weight'], p['fc22.bias']) };
  },
  decode(z, p) {
    return linearRef(relu(linearRef(z, p['fc3.weight'], p['fc3.bias'])), p['fc4.weight'], p['fc4.bias']);
  },
};

/** The ConvVae of imageSize `size` whose second convolution has c2 channels, with GELU activations. */
function convRef(size: number, c2: number): RefVae {
  const act = gelu;
  const halve = { stride: 2, padding: 1, dilation: 1, groups: 1 };
  const side = size / 4;
  return {
    encode(x, p) {
      const image = { shape: [x.shape[0], 1, size, size], data: x.data };
      const h = act(conv2dRef(act(conv2dRef(image, p['conv1.weight'], p['conv1.bias'], halve)), p['conv2.weight'], p['conv2.bias'], halve));
      const flat = { shape: [x.shape[0], c2 * side * side], data: h.data };
      return { mu: linearRef(flat, p['fc_mu.weight'], p['fc_mu.bias']), logVar: linearRef(flat, p['fc_logvar.weight'], p['fc_logvar.bias']) };
    },
    decode(z, p) {
      const h = act(linearRef(z, p['fc_dec.weight'], p['fc_dec.bias']));
      const features = { shape: [z.shape[0], c2, side, side], data: h.data };
      const up = act(convTranspose2dRef(features, p['deconv1.weight'], p['deconv1.bias'], halve));
      const logits = convTranspose2dRef(up, p['deconv2.weight'], p['deconv2.bias'], halve);
      return { shape: [z.shape[0], size * size], data: logits.data };
    },
  };
}

/** Per-image reconstruction and KL, and the beta-weighted mean loss, for noise eps [N, D]. */
function elboRef(vae: RefVae, x: Ref, eps: Ref, p: Params, beta: number): { reconstruction: number[]; kl: number[]; loss: number } {
  const { mu, logVar } = vae.encode(x, p);
  const z = ref(mu.shape, (i) => mu.data[i] + Math.exp(0.5 * logVar.data[i]) * eps.data[i]);
  const logits = vae.decode(z, p);
  const [n, d] = mu.shape;
  const pixels = x.shape[1];
  const reconstruction: number[] = [];
  const kl: number[] = [];
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let j = 0; j < pixels; j++) r += softplus(logits.data[i * pixels + j]) - logits.data[i * pixels + j] * x.data[i * pixels + j];
    let k = 0;
    for (let j = 0; j < d; j++) {
      const m = mu.data[i * d + j];
      const lv = logVar.data[i * d + j];
      k += 0.5 * (Math.exp(lv) + m * m - lv - 1);
    }
    reconstruction.push(r);
    kl.push(k);
  }
  const loss = reconstruction.reduce((s, r, i) => s + r + beta * kl[i], 0) / n;
  return { reconstruction, kl, loss };
}

/** -log (1/k) sum_j p(x|z_j) p(z_j) / q(z_j|x) per image, from the full Gaussian densities; eps [k, N, D]. */
function importanceRef(vae: RefVae, x: Ref, eps: Ref, p: Params): number[] {
  const { mu, logVar } = vae.encode(x, p);
  const [k, n, d] = eps.shape;
  const pixels = x.shape[1];
  const logNormal = (v: number, mean: number, logVariance: number) => -0.5 * (Math.log(2 * Math.PI) + logVariance + (v - mean) ** 2 / Math.exp(logVariance));
  const logWeights: number[][] = Array.from({ length: n }, () => []);
  for (let s = 0; s < k; s++) {
    const z = ref([n, d], (i) => mu.data[i] + Math.exp(0.5 * logVar.data[i]) * eps.data[s * n * d + i]);
    const logits = vae.decode(z, p);
    for (let i = 0; i < n; i++) {
      let w = 0;
      for (let j = 0; j < pixels; j++) w -= softplus(logits.data[i * pixels + j]) - logits.data[i * pixels + j] * x.data[i * pixels + j];
      for (let j = 0; j < d; j++) {
        const zi = z.data[i * d + j];
        w += logNormal(zi, 0, 0) - logNormal(zi, mu.data[i * d + j], logVar.data[i * d + j]);
      }
      logWeights[i].push(w);
    }
  }
  return logWeights.map((ws) => {
    const top = Math.max(...ws);
    return -(top + Math.log(ws.reduce((s, w) => s + Math.exp(w - top), 0) / k));
  });
}

async function paramsOf(model: gg.nn.Module): Promise<Params> {
  const entries = await Promise.all(model.namedParameters().map(async ([key, t]) => [key, ref(t.shape, await t.data())] as const));
  return Object.fromEntries(entries);
}

const toGpu = (r: Ref) => gg.tensor(Float32Array.from(r.data), r.shape);

/**
 * Checks elbo() (terms and loss, beta 0.7) and importanceWeightedNll() against the reference, and the
 * gradient of the loss for every parameter against central differences of the reference loss.
 */
async function checkAgainstReference(model: Vae, vae: RefVae, pixels: number): Promise<void> {
  const before = gg.runtime().memory().liveBuffers;
  const next = rng(5);
  const n = 4;
  const d = model.latentDim;
  const x = random([n, pixels], next, 0, 1);
  const eps = random([n, d], next, -2, 2);
  const iwEps = random([3, n, d], next, -2, 2);
  const beta = 0.7;
  const params = await paramsOf(model);
  const expected = elboRef(vae, x, eps, params, beta);

  const [xs, epsGpu, iwEpsGpu] = [toGpu(x), toGpu(eps), toGpu(iwEps)];
  const { loss, reconstruction, kl, iw } = gg.scope(() => {
    const terms = model.elbo(xs, { beta, eps: epsGpu });
    terms.loss.backward();
    // maxRows 6 with k = 3 takes the images two at a time, so the grouping is checked too.
    return { ...terms, iw: model.importanceWeightedNll(xs, { samples: 3, eps: iwEpsGpu, maxRows: 6 }) };
  });
  expectClose(await reconstruction.data(), expected.reconstruction, 1e-4, 1e-4, 'reconstruction');
  expectClose(await kl.data(), expected.kl, 1e-5, 1e-4, 'kl');
  expectClose([await loss.item()], [expected.loss], 1e-4, 1e-4, 'loss');
  expectClose(await iw.data(), importanceRef(vae, x, iwEps, params), 1e-4, 1e-4, 'importance-weighted NLL');

  const h = 1e-6;
  for (const [key, p] of model.namedParameters()) {
    const values = params[key].data;
    const numeric = values.map((saved, i) => {
      values[i] = saved + h;
      const up = elboRef(vae, x, eps, params, beta).loss;
      values[i] = saved - h;
      const down = elboRef(vae, x, eps, params, beta).loss;
      values[i] = saved;
      return (up - down) / (2 * h);
    });
    expectClose(await p.grad!.data(), numeric, 2e-4, 2e-3, `gradient of ${key}`);
  }
  for (const t of [loss, reconstruction, kl, iw, xs, epsGpu, iwEpsGpu]) t.dispose();
  model.zeroGrad();
  expect(gg.runtime().memory().liveBuffers).toBe(before);
}

// ---- data --------------------------------------------------------------------------------------

const mnistTrain = gg.data.loadMnist({ split: 'train', limit: 3000 });
const mnistTest = gg.data.loadMnist({ split: 'test', limit: 500 });

/** The first `count` images of a dataset, on the GPU. */
function firstImages(dataset: gg.data.MnistDataset, count: number): gg.Tensor {
  return gg.tensor(dataset.images.subarray(0, count * 784), [count, 784]);
}

describe('VAE against a float64 reference', () => {
  it('MlpVae: ELBO terms, the importance-weighted bound and every parameter gradient through the reparameterization', async () => {
    const model = new MlpVae({ inputDim: 6, hiddenDim: 5, latentDim: 3, generator: new gg.Generator(1) });
    await checkAgainstReference(model, mlpRef, 6);
    model.dispose();
  });

  it('ConvVae with GELU: the same checks through the convolutions', async () => {
    const model = new ConvVae({ imageSize: 8, channels: [2, 3], latentDim: 2, activation: 'gelu', generator: new gg.Generator(2) });
    await checkAgainstReference(model, convRef(8, 3), 64);
    model.dispose();
  });
});

describe('VAE training and checkpoints', () => {
  it('lowers the test negative ELBO of a 784-128-10 VAE on 3,000 MNIST images from ~547 to below 200 nats in 60 steps, within a minute', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const [train, test] = await Promise.all([mnistTrain, mnistTest]);
    const model = new MlpVae({ hiddenDim: 128, latentDim: 10, generator: new gg.Generator(3) });
    const trainer = new VaeTrainer(model, { lr: 5e-3, seed: 3 });
    const started = performance.now();
    const initial = await evaluateVae(model, test);
    const lines: string[] = [];
    const epochs = await trainer.fit(train, { epochs: 2, batchSize: 100, logEvery: 10, onProgress: (p, e) => lines.push(`${e}:${p.step}`) });
    const final = await evaluateVae(model, test);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `VAE 784-128-10 on 3,000 images: test -ELBO ${initial.negativeElbo.toFixed(1)} -> ${final.negativeElbo.toFixed(1)} nats ` +
        `(reconstruction ${final.reconstruction.toFixed(1)}, KL ${final.kl.toFixed(1)}) after ${trainer.stepCount} steps in ${seconds.toFixed(1)} s`,
    );
    expect(initial.negativeElbo).toBeGreaterThan(500);
    expect(final.negativeElbo).toBeLessThan(200);
    expect(final.negativeElbo).toBeCloseTo(final.reconstruction + final.kl, 3);
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(epochs[1].trainNegativeElbo).toBeLessThan(epochs[0].trainNegativeElbo);
    expect(lines).toEqual(['1:10', '1:20', '1:30', '2:10', '2:20', '2:30']);
    expect(seconds).toBeLessThan(60);
    trainer.dispose();
    model.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('keeps the live-buffer count flat across training steps, with beta and KL warm-up', async () => {
    const rt = gg.runtime();
    const before = rt.memory().liveBuffers;
    const model = new ConvVae({ channels: [4, 8], latentDim: 4, generator: new gg.Generator(4) });
    const trainer = new VaeTrainer(model, { beta: 2, klWarmupSteps: 4, seed: 4 });
    expect([1, 2, 4, 9].map((s) => trainer.klWeight(s))).toEqual([0.5, 1, 2, 2]);
    const x = firstImages(await mnistTrain, 8);
    const counts: number[] = [];
    for (let step = 0; step < 5; step++) {
      const loss = gg.scope(() => trainer.step(x).loss);
      expect(Number.isFinite(await loss.item())).toBe(true);
      loss.dispose();
      counts.push(rt.memory().liveBuffers);
    }
    expect(new Set(counts.slice(1)).size, `live buffers after each step: ${counts.join(', ')}`).toBe(1);
    x.dispose();
    trainer.dispose();
    model.dispose();
    expect(rt.memory().liveBuffers).toBe(before);
  });

  it('saves and loads a checkpoint: identical outputs, and training resumes bit for bit with its weight average', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const x = firstImages(await mnistTrain, 16);
    const settings = { seed: 5, klWarmupSteps: 10, emaDecay: 0.9 };
    const model = new MlpVae({ hiddenDim: 32, latentDim: 2, generator: new gg.Generator(5) });
    const trainer = new VaeTrainer(model, settings);
    for (let i = 0; i < 3; i++) gg.scope(() => void trainer.step(x));
    const bytes = await saveVaeCheckpoint(model, trainer, { note: 'test' });
    expect(readVaeConfig(bytes)).toEqual({ kind: 'mlp', inputDim: 784, hiddenDim: 32, latentDim: 2, activation: 'relu' });

    // Fresh models from the file alone give the same outputs as the trained one and as its average.
    const loaded = await loadVaeCheckpoint(bytes);
    const loadedAverage = await loadVaeCheckpoint(bytes, { averaged: true });
    const outputs = (m: Vae) =>
      gg.scope(() => {
        const { mu, logVar } = m.encode(x);
        return [mu, logVar, m.reconstruct(x), m.latentGrid(3)];
      });
    for (const [original, copy] of [[model, loaded], [trainer.averaged!, loadedAverage]]) {
      const [a, b] = [outputs(original), outputs(copy)];
      for (let i = 0; i < a.length; i++) expect(await b[i].data()).toEqual(await a[i].data());
      for (const t of [...a, ...b]) t.dispose();
    }
    const firstWeight = async (m: Vae) => (await m.stateDict()['fc4.weight'].data())[0];
    expect(await firstWeight(loadedAverage)).not.toBe(await firstWeight(loaded));

    // A model and trainer restored from the file take the same next step as the original.
    const resumedModel = new MlpVae({ hiddenDim: 32, latentDim: 2, generator: new gg.Generator(99) });
    const resumed = new VaeTrainer(resumedModel, { ...settings, seed: 99 });
    await loadVaeCheckpoint(bytes, { trainer: resumed });
    expect(resumed.stepCount).toBe(3);
    const [lossA, lossB] = [gg.scope(() => trainer.step(x).loss), gg.scope(() => resumed.step(x).loss)];
    expect(await lossB.item()).toBe(await lossA.item());
    for (const [original, copy] of [[model, resumedModel], [trainer.averaged!, resumed.averaged!]]) {
      const theirs = copy.namedParameters();
      for (const [i, [key, p]] of original.namedParameters().entries()) expect(await theirs[i][1].data(), key).toEqual(await p.data());
    }

    const conv = new ConvVae({ channels: [2, 2], latentDim: 2 });
    await expect(loadVaeCheckpoint(bytes, { model: conv })).rejects.toThrow(/holds .*"mlp".*, the model is .*"conv"/);
    const other = new VaeTrainer(new MlpVae({ hiddenDim: 32, latentDim: 2 }), { ...settings, emaDecay: 0 });
    await expect(loadVaeCheckpoint(bytes, { trainer: other })).rejects.toThrow(/emaDecay 0.9; the trainer has .*emaDecay 0/);
    for (const t of [lossA, lossB, x]) t.dispose();
    for (const m of [model, loaded, loadedAverage, resumedModel, conv, other.model]) m.dispose();
    for (const t of [trainer, resumed, other]) t.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});

/**
 * synthesizeClassConditional against float64 statistics of the model's own posteriors: without the
 * filter each class's latents have the class Gaussian's mean and covariance (m_c: mean of the posterior
 * means; S_c: their sample covariance plus the mean posterior variance on the diagonal); with it, every
 * latent scores highest under its own class's Gaussian; the images are the decoder's mean images.
 */
async function checkClassConditional(model: Vae, labelled: gg.data.MnistDataset): Promise<void> {
  const n = labelled.length;
  const d = model.latentDim;
  const posterior = gg.noGrad(() => gg.scope(() => model.encode(gg.tensor(labelled.images, [n, 784]))));
  const [mu, logVar] = [await posterior.mu.data(), await posterior.logVar.data()];
  posterior.mu.dispose();
  posterior.logVar.dispose();
  const classes = [...new Set(labelled.labels)].sort((a, b) => a - b);
  const gaussians = classes.map((label) => {
    const members = [...labelled.labels.keys()].filter((i) => labelled.labels[i] === label);
    const mean = Array.from({ length: d }, (_, a) => members.reduce((sum, i) => sum + mu[i * d + a], 0) / members.length);
    const covariance = Array.from({ length: d }, (_, a) =>
      Array.from({ length: d }, (_, b) => {
        const spread = members.reduce((sum, i) => sum + (mu[i * d + a] - mean[a]) * (mu[i * d + b] - mean[b]), 0) / Math.max(1, members.length - 1);
        return spread + (a === b ? members.reduce((sum, i) => sum + Math.exp(logVar[i * d + a]), 0) / members.length : 0);
      }),
    );
    return { label, members: members.length, mean, covariance };
  });

  const perImage = 100;
  const free = await synthesizeClassConditional(model, labelled, perImage, { filter: false, seed: 2 });
  expect(free.acceptance).toBe(1);
  expect(free.images.length).toBe(n * perImage * 784);
  for (const g of gaussians) {
    const rows = [...free.labels.keys()].filter((k) => free.labels[k] === g.label);
    expect(rows.length).toBe(g.members * perImage);
    for (let a = 0; a < d; a++) {
      const sampleMean = rows.reduce((sum, k) => sum + free.latents[k * d + a], 0) / rows.length;
      expect(Math.abs(sampleMean - g.mean[a])).toBeLessThan(5 * Math.sqrt(g.covariance[a][a] / rows.length));
      for (let b = 0; b < d; b++) {
        const sampleCovariance = rows.reduce((sum, k) => sum + (free.latents[k * d + a] - g.mean[a]) * (free.latents[k * d + b] - g.mean[b]), 0) / rows.length;
        expect(Math.abs(sampleCovariance - g.covariance[a][b])).toBeLessThan(0.35 * Math.sqrt(g.covariance[a][a] * g.covariance[b][b]));
      }
    }
  }
  const decoded = gg.noGrad(() => gg.scope(() => model.decode(gg.tensor(free.latents, [free.labels.length, d])).sigmoid()));
  expectClose(free.images, await decoded.data(), 1e-6, 0, 'class-conditional images');
  decoded.dispose();

  const filtered = await synthesizeClassConditional(model, labelled, 3, { seed: 5, maxDrawsPerSample: 1000 });
  expect(filtered.acceptance).toBeGreaterThan(0);
  expect(filtered.acceptance).toBeLessThanOrEqual(1);
  const logDensity = (g: (typeof gaussians)[number], z: number[]) => {
    const inverse = invert(g.covariance);
    const centred = z.map((v, a) => v - g.mean[a]);
    const quadratic = centred.reduce((sum, ca, a) => sum + centred.reduce((inner, cb, b) => inner + ca * inverse[a][b] * cb, 0), 0);
    return -0.5 * (quadratic + Math.log(determinant(g.covariance)));
  };
  for (let k = 0; k < filtered.labels.length; k++) {
    const z = Array.from(filtered.latents.subarray(k * d, (k + 1) * d));
    const best = gaussians.reduce((top, g) => (logDensity(g, z) > logDensity(top, z) ? g : top));
    expect(best.label).toBe(filtered.labels[k]);
  }
  await expect(synthesizeClassConditional(model, labelled, 0)).rejects.toThrow(/synthesizeClassConditional: perImage must be a positive integer, got 0/);
}

/** Gauss-Jordan inverse of a small matrix (float64). */
function invert(m: number[][]): number[][] {
  const d = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: d }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < d; c++) {
    const pivot = a.reduce((best, row, r) => (r >= c && Math.abs(row[c]) > Math.abs(a[best][c]) ? r : best), c);
    [a[c], a[pivot]] = [a[pivot], a[c]];
    const scale = a[c][c];
    a[c] = a[c].map((v) => v / scale);
    for (let r = 0; r < d; r++) if (r !== c) a[r] = a[r].map((v, j) => v - a[r][c] * a[c][j]);
  }
  return a.map((row) => row.slice(d));
}

/** Determinant of a small matrix by Laplace expansion (float64). */
function determinant(m: number[][]): number {
  if (m.length === 1) return m[0][0];
  return m[0].reduce((sum, v, j) => sum + (j % 2 ? -1 : 1) * v * determinant(m.slice(1).map((row) => row.filter((_, c) => c !== j))), 0);
}

describe('VAE generation and applications', () => {
  it('samples, reconstructs, interpolates and decodes the 2-D latent grid', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const x = firstImages(await mnistTest, 2);
    const model = new MlpVae({ hiddenDim: 16, latentDim: 2, generator: new gg.Generator(6) });
    const [samples, grid, path, recon] = gg.scope(() => [
      model.sample(5, { generator: new gg.Generator(6) }),
      model.latentGrid(4),
      model.interpolate(x.slice(0, 0, 1), x.slice(0, 1, 2).reshape([784]), 5),
      model.reconstruct(x),
    ]);
    expect([samples.shape, grid.shape, path.shape]).toEqual([[5, 784], [16, 784], [5, 784]]);
    for (const v of await samples.data()) expect(v >= 0 && v <= 1).toBe(true);
    const [pathValues, reconValues] = [await path.data(), await recon.data()];
    expectClose(pathValues.subarray(0, 784), reconValues.subarray(0, 784), 1e-6, 1e-5, 'interpolation start');
    expectClose(pathValues.subarray(4 * 784), reconValues.subarray(784), 1e-6, 1e-5, 'interpolation end');
    const wide = new MlpVae({ hiddenDim: 4, latentDim: 3 });
    expect(() => wide.latentGrid(4)).toThrow(/MlpVae.latentGrid: the latent grid needs latentDim 2, this model has 3/);
    expect(() => gg.scope(() => model.elbo(gg.zeros([2, 10])))).toThrow(
      /MlpVae.elbo: expected f32 images \[N, 784\] or \[N, 1, H, W\] with H \* W = 784, got \[2, 10\] f32/,
    );
    expect(() => gg.scope(() => model.decode(gg.zeros([2, 3])))).toThrow(/MlpVae.decode: expected f32 latents \[N, 2\], got \[2, 3\] f32/);
    for (const t of [samples, grid, path, recon, x]) t.dispose();
    model.dispose();
    wide.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });

  it('normalQuantile inverts the normal CDF', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.6448536269514722, 8);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.753424308822899, 7);
    expect(() => normalQuantile(1)).toThrow(/p must be in \(0, 1\)/);
  });

  it('estimates the NLL, scores anomalies, synthesizes labelled digits (mixing and class-conditional) and runs the augmentation experiment without leaking', async () => {
    const before = gg.runtime().memory().liveBuffers;
    const [train, test] = await Promise.all([mnistTrain, mnistTest]);
    const model = new MlpVae({ hiddenDim: 32, latentDim: 4, generator: new gg.Generator(7) });
    const withoutSeven = filterByLabel(train, (l) => l !== 7);
    expect(withoutSeven.labels.includes(7)).toBe(false);
    expect(withoutSeven.length).toBe(train.length - train.labels.filter((l) => l === 7).length);
    const trainer = new VaeTrainer(model, { seed: 7 });
    await trainer.fit(withoutSeven, { epochs: 1, batchSize: 200, onProgress: () => {} });
    const bound = await estimateNll(model, test, { samples: 20, limit: 50 });
    expect([bound.images, bound.samples]).toEqual([50, 20]);
    expect(bound.nll).toBeLessThan(bound.negativeElbo);
    const anomaly = await anomalyDetection(model, test, 7);
    expect(anomaly.anomalies + anomaly.normals).toBe(test.length);
    expect(anomaly.auc).toBeGreaterThan(0.5);

    const labelled = new gg.data.MnistDataset(train.images.slice(0, 40 * 784), train.labels.slice(0, 40), [784]);
    const synthetic = await synthesizeLabelled(model, labelled, 2, { seed: 1 });
    expect(synthetic.images.length).toBe(80 * 784);
    expect([...synthetic.labels]).toEqual([...labelled.labels].flatMap((l) => [l, l]));
    await checkClassConditional(model, labelled);
    const result = await augmentationExperiment(model, labelled, test, { perImage: 2, classifierSteps: 10 });
    expect(result.synthetic).toBe(80);
    expect(result.change).toBeCloseTo(result.augmentedAccuracy - result.baselineAccuracy, 12);
    expect(result.baselineAccuracy).toBeGreaterThan(0.1);
    trainer.dispose();
    model.dispose();
    expect(gg.runtime().memory().liveBuffers).toBe(before);
  });
});
