// One training step of each model, as rows of the benchmark: an MLP and the MLP VAE on MNIST
// shapes (checked against their first loss in float64, from tests/helpers/op-references.ts's
// matmul), a DCGAN's discriminator and generator steps, GPT in nanoGPT's CPU configuration and a
// char-RNN through its trainer (these three sanity-checked against the loss of an untrained model)
// and one GMM EM iteration (against the float64 log-likelihood it starts from). Each gengpu step is
// timed eagerly and replayed by gg.capture. Peers run the same steps from the same weights and are
// checked against gengpu's checked losses. Alone, in Node: `npx tsx bench/models/steps.ts [--quick]`.

import * as gg from '../../src/index.js';
import { logSumExp, matmulRef } from '../../tests/helpers/op-references.js';
import { ref, type Ref } from '../../tests/helpers/reference.js';
import { isEntryPoint, upload, type Case, type GengpuImpl } from '../harness/cases.js';
import { HostRandom, hostRef, type HostTensor, type Prepared } from '../harness/harness.js';
import { settledIteration } from '../harness/timing.js';

/** A gengpu training step: check() takes two steps and returns both losses; iterate() takes one. */
function trainingCase(step: () => gg.Tensor, cleanup: () => void): Prepared {
  return {
    async check() {
      const losses: number[] = [];
      for (let i = 0; i < 2; i++) {
        const loss = gg.scope(step);
        losses.push(await loss.item());
        loss.dispose();
      }
      return losses;
    },
    iterate: settledIteration(() => gg.scope(step)),
    dispose: cleanup,
  };
}

/**
 * A training step as two rows: run eagerly (the op code records every dispatch each step), and
 * captured with gg.capture (the recorded step replayed: no op code, one submit). The replayed row's
 * check takes the eager call and the first recorded one; the timed iterations replay.
 */
function trainingImpls(library: string, make: () => { step: () => gg.Tensor; cleanup: () => void }): GengpuImpl[] {
  return [
    { library, role: 'gengpu', prepare: () => { const { step, cleanup } = make(); return trainingCase(step, cleanup); } },
    {
      library: `${library}, replayed (gg.capture)`, role: 'variant',
      prepare() {
        const { step, cleanup } = make();
        const captured = gg.capture(step);
        return trainingCase(() => captured(), () => {
          captured.dispose();
          cleanup();
        });
      },
    },
  ];
}

/** A step function for trainingCase: one optimizer step on the loss `lossOf` records, returning that loss. */
function descend(optimizer: { zeroGrad(): void; step(): void }, lossOf: () => gg.Tensor, beforeStep?: () => void): () => gg.Tensor {
  return () => {
    optimizer.zeroGrad();
    const loss = lossOf();
    loss.backward();
    beforeStep?.();
    optimizer.step();
    return loss;
  };
}

/** Host weights of Linear layers in PyTorch layout ([out, in] then [out]), PyTorch's default init. */
function linearWeights(sizes: number[], random: HostRandom): HostTensor[] {
  const weights: HostTensor[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const bound = 1 / Math.sqrt(sizes[i]);
    weights.push(random.uniform([sizes[i + 1], sizes[i]], -bound, bound), random.uniform([sizes[i + 1]], -bound, bound));
  }
  return weights;
}

/** Linear layers in float64 (x Wᵀ + b, PyTorch's layout) with ReLU between them, and after the last with `reluAfterLast`. */
function linearStack64(weights: HostTensor[], x: Ref, reluAfterLast = false): Ref {
  let h = x;
  for (let l = 0; l < weights.length; l += 2) {
    const y = matmulRef(h, hostRef(weights[l]), false, true);
    const bias = weights[l + 1].data;
    const relu = l + 2 < weights.length || reluAfterLast;
    h = ref(y.shape, (i) => (relu ? Math.max(0, y.data[i] + bias[i % bias.length]) : y.data[i] + bias[i % bias.length]));
  }
  return h;
}

function loadLinears(layers: gg.nn.Linear[], weights: HostTensor[]): void {
  gg.noGrad(() => layers.forEach((layer, i) => {
    for (const [target, source] of [[layer.weight, weights[2 * i]], [layer.bias!, weights[2 * i + 1]]] as const) {
      const t = upload(source);
      target.assign(t);
      t.dispose();
    }
  }));
}

function mlpCase(random: HostRandom): Case {
  const sizes = [784, 256, 256, 10];
  const batch = 128;
  const weights = linearWeights(sizes, random);
  const x = random.uniform([batch, 784], 0, 1);
  const labels = Int32Array.from({ length: batch }, () => random.int(10));
  const flops = 3 * 2 * batch * (784 * 256 + 256 * 256 + 256 * 10);
  return {
    suite: 'training step', name: `MLP 784-256-256-10, batch ${batch}, Adam`, unit: 'GFLOPS', work: flops, reps: 1,
    reference() {
      const logits = linearStack64(weights, hostRef(x)).data;
      let loss = 0;
      for (let r = 0; r < batch; r++) loss += logSumExp([...logits.subarray(r * 10, r * 10 + 10)]) - logits[r * 10 + labels[r]];
      return { values: Float64Array.of(loss / batch), at: [0], tolerance: 1e-4 };
    },
    gengpu: trainingImpls('gengpu', () => {
      const layers = [0, 1, 2].map((i) => new gg.nn.Linear(sizes[i], sizes[i + 1]));
      loadLinears(layers, weights);
      const model = new gg.nn.Sequential(layers[0], new gg.nn.ReLU(), layers[1], new gg.nn.ReLU(), layers[2]);
      const optimizer = new gg.optim.Adam(model.parameters(), { lr: 1e-3 });
      const [gx, gy] = [upload(x), gg.tensor(labels, [batch], { dtype: 'i32' })];
      return {
        step: descend(optimizer, () => gg.nn.crossEntropy(model.forward(gx), gy)),
        cleanup: () => [model, optimizer, gx, gy].forEach((t) => t.dispose()),
      };
    }),
    peer: { kind: 'mlpStep', weights, x, labels, lr: 1e-3 },
    peersMatchGengpu: true,
  };
}

function vaeCase(random: HostRandom): Case {
  const batch = 128;
  // fc1 784->400, fc21 and fc22 400->20 (mu, log-variance), fc3 20->400, fc4 400->784.
  const weights = [
    ...linearWeights([784, 400], random), ...linearWeights([400, 20], random), ...linearWeights([400, 20], random),
    ...linearWeights([20, 400], random), ...linearWeights([400, 784], random),
  ];
  const x = random.uniform([batch, 784], 0, 1);
  const eps = random.normal([batch, 20]);
  const flops = 3 * 2 * batch * (784 * 400 + 2 * 400 * 20 + 20 * 400 + 400 * 784);
  return {
    suite: 'training step', name: `VAE 784-400-20 (MLP), batch ${batch}, Adam`, unit: 'GFLOPS', work: flops, reps: 1,
    reference() {
      const hidden = linearStack64(weights.slice(0, 2), hostRef(x), true);
      const mu = linearStack64(weights.slice(2, 4), hidden).data;
      const logVar = linearStack64(weights.slice(4, 6), hidden).data;
      const z = ref([batch, 20], (i) => mu[i] + Math.exp(0.5 * logVar[i]) * eps.data[i]);
      const logits = linearStack64(weights.slice(6, 10), z).data;
      let loss = 0;
      // Bernoulli negative log-likelihood from logits (softplus(l) - x l) plus the Gaussian KL term.
      logits.forEach((l, i) => (loss += Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l))) - x.data[i] * l));
      mu.forEach((m, i) => (loss += -0.5 * (1 + logVar[i] - m * m - Math.exp(logVar[i]))));
      return { values: Float64Array.of(loss / batch), at: [0], tolerance: 1e-4 };
    },
    gengpu: trainingImpls('gengpu (gg.models.MlpVae)', () => {
      const vae = new gg.models.MlpVae({ inputDim: 784, hiddenDim: 400, latentDim: 20 });
      loadLinears([vae.fc1, vae.fc21, vae.fc22, vae.fc3, vae.fc4], weights);
      const optimizer = new gg.optim.Adam(vae.parameters(), { lr: 1e-3 });
      const [gx, ge] = [upload(x), upload(eps)];
      return {
        step: descend(optimizer, () => {
          const { mu, logVar } = vae.encode(gx);
          const logits = vae.decode(mu.add(logVar.mul(0.5).exp().mul(ge)));
          const reconstruction = gg.nn.binaryCrossEntropyWithLogits(logits, gx, { reduction: 'sum' });
          return reconstruction.add(gg.nn.klDivDiagonalGaussian(mu, logVar, { reduction: 'sum' })).mul(1 / batch);
        }),
        cleanup: () => [vae, optimizer, gx, ge].forEach((t) => t.dispose()),
      };
    }),
    peer: { kind: 'vaeStep', weights, x, eps, lr: 1e-3 },
    peersMatchGengpu: true,
  };
}

const notWritten = 'not written for the peers in this harness';

/** Host weights of the DCGAN in the order of the dcganStep peer op (PyTorch's default init, BatchNorm 1 and 0). */
function dcganWeights(random: HostRandom): HostTensor[] {
  const layer = (weightShape: number[], fanIn: number, outputs: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    return [random.uniform(weightShape, -bound, bound), random.uniform([outputs], -bound, bound)];
  };
  const norm = (features: number) => [{ data: new Float32Array(features).fill(1), shape: [features] }, { data: new Float32Array(features), shape: [features] }];
  return [
    ...layer([128 * 7 * 7, 100], 100, 128 * 7 * 7), ...norm(128 * 7 * 7),
    // PyTorch's fan-in of a transposed convolution's weight [C, O, kH, kW] is O kH kW.
    ...layer([128, 64, 4, 4], 64 * 16, 64), ...norm(64),
    ...layer([64, 1, 4, 4], 16, 1),
    ...layer([64, 1, 4, 4], 16, 64), ...layer([128, 64, 4, 4], 64 * 16, 128), ...layer([1, 128 * 7 * 7], 128 * 7 * 7, 1),
  ];
}

function dcganCase(batch: number, random: HostRandom): Case {
  const latent = 100;
  const z = random.normal([batch, latent]);
  const real = random.uniform([batch, 1, 28, 28]);
  const weights = dcganWeights(random);
  return {
    suite: 'training step', name: `DCGAN on MNIST shapes, batch ${batch}: D step + G step, Adam`, unit: 'GFLOPS', work: 0, reps: 1,
    // A sanity reference: with BCE on logits near zero, the first discriminator loss (real + fake) is near 2 ln 2.
    reference: () => ({ values: Float64Array.of(2 * Math.LN2), at: [0], tolerance: 0.5 }),
    gengpu: trainingImpls('gengpu (gg.nn layers)', () => {
      const G = new gg.nn.Sequential(
        new gg.nn.Linear(latent, 128 * 7 * 7), new gg.nn.BatchNorm1d(128 * 7 * 7), new gg.nn.ReLU(),
      );
      const G2 = new gg.nn.Sequential(
        new gg.nn.ConvTranspose2d(128, 64, 4, { stride: 2, padding: 1 }), new gg.nn.BatchNorm2d(64), new gg.nn.ReLU(),
        new gg.nn.ConvTranspose2d(64, 1, 4, { stride: 2, padding: 1 }), new gg.nn.Tanh(),
      );
      const D = new gg.nn.Sequential(
        new gg.nn.Conv2d(1, 64, 4, { stride: 2, padding: 1 }), new gg.nn.LeakyReLU(0.2),
        new gg.nn.Conv2d(64, 128, 4, { stride: 2, padding: 1 }), new gg.nn.LeakyReLU(0.2),
        new gg.nn.Flatten(), new gg.nn.Linear(128 * 7 * 7, 1),
      );
      const parameters = [...G.parameters(), ...G2.parameters(), ...D.parameters()];
      gg.noGrad(() => parameters.forEach((p, i) => {
        if (p.shape.join() !== weights[i].shape.join()) throw new Error(`DCGAN parameter ${i}: [${p.shape}] is not [${weights[i].shape}]`);
        const t = upload(weights[i]);
        p.assign(t);
        t.dispose();
      }));
      const generate = (noise: gg.Tensor) => G2.forward(G.forward(noise).reshape([batch, 128, 7, 7]));
      const adam = { lr: 2e-4, betas: [0.5, 0.999] as const };
      const optD = new gg.optim.Adam(D.parameters(), adam);
      const optG = new gg.optim.Adam([...G.parameters(), ...G2.parameters()], adam);
      const [gz, gReal] = [upload(z), upload(real)];
      const [ones, zeros] = [gg.ones([batch, 1]), gg.zeros([batch, 1])];
      const step = () => {
        optD.zeroGrad();
        const fake = generate(gz);
        const lossD = gg.nn.binaryCrossEntropyWithLogits(D.forward(gReal), ones)
          .add(gg.nn.binaryCrossEntropyWithLogits(D.forward(fake.detach()), zeros));
        lossD.backward();
        optD.step();
        optG.zeroGrad();
        const lossG = gg.nn.binaryCrossEntropyWithLogits(D.forward(fake), ones);
        lossG.backward();
        optG.step();
        return lossD;
      };
      return { step, cleanup: () => [G, G2, D, optD, optG, gz, gReal, ones, zeros].forEach((t) => t.dispose()) };
    }),
    peer: { kind: 'dcganStep', weights, z, real, lr: 2e-4, beta1: 0.5 },
    peersMatchGengpu: true,
  };
}

function gptCase(random: HostRandom): Case {
  const config = { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: false };
  const batch = 12;
  const tokens = Int32Array.from({ length: batch * (config.blockSize + 1) }, () => random.int(config.vocabSize));
  const input = new Int32Array(batch * config.blockSize);
  const target = new Int32Array(batch * config.blockSize);
  for (let b = 0; b < batch; b++) {
    input.set(tokens.subarray(b * (config.blockSize + 1), b * (config.blockSize + 1) + config.blockSize), b * config.blockSize);
    target.set(tokens.subarray(b * (config.blockSize + 1) + 1, (b + 1) * (config.blockSize + 1)), b * config.blockSize);
  }
  // nanoGPT's estimate: 6 flops per parameter per token, plus attention.
  const parameters = config.nLayer * 12 * config.nEmbd ** 2;
  const flops = 6 * parameters * batch * config.blockSize + 6 * config.nLayer * batch * config.blockSize ** 2 * config.nEmbd;
  return {
    suite: 'training step', name: `GPT (nanoGPT CPU config: 4 layers, 4 heads, 128 wide, T=64), batch ${batch}, AdamW`,
    unit: 'GFLOPS', work: flops, reps: 1,
    // Small-std initial weights predict nearly uniformly: the first loss is close to ln(vocab).
    reference: () => ({ values: Float64Array.of(Math.log(config.vocabSize)), at: [0], tolerance: 0.05 }),
    gengpu: trainingImpls('gengpu (gg.models.GPT)', () => {
      const model = new gg.models.GPT(config, { generator: new gg.Generator(1337) });
      const optimizer = new gg.optim.AdamW(model.parameters(), { lr: 1e-3, betas: [0.9, 0.99], weightDecay: 0.1 });
      const x = gg.tensor(input, [batch, config.blockSize], { dtype: 'i32' });
      const y = gg.tensor(target, [batch, config.blockSize], { dtype: 'i32' });
      return {
        step: descend(optimizer, () => gg.nn.crossEntropy(model.forward(x), y, { axis: -1 }), () => gg.optim.clipGradNorm(model.parameters(), 1)),
        cleanup: () => [model, optimizer, x, y].forEach((t) => t.dispose()),
      };
    }),
    peer: notWritten,
  };
}

function charRnnCase(random: HostRandom): Case {
  const [vocabSize, batch, steps] = [65, 16, 32];
  const input = Int32Array.from({ length: batch * steps }, () => random.int(vocabSize));
  const target = Int32Array.from({ length: batch * steps }, () => random.int(vocabSize));
  return {
    // Hundreds of small dispatches (a GRU cell per time step, forward and back): where the CPU's
    // recording, not the GPU, sets the pace.
    suite: 'training step', name: `char-RNN (2-layer GRU, 128 wide, T=${steps}), batch ${batch}, AdamW`, unit: 'GFLOPS', work: 0, reps: 1,
    // An untrained model predicts nearly uniformly: the first loss is close to ln(vocab).
    reference: () => ({ values: Float64Array.of(Math.log(vocabSize)), at: [0], tolerance: 0.1 }),
    gengpu: trainingImpls('gengpu (gg.models.CharRNN, LanguageModelTrainer)', () => {
      const model = new gg.models.CharRNN({ vocabSize, hiddenSize: 128, numLayers: 2 }, { generator: new gg.Generator(7) });
      const trainer = new gg.models.LanguageModelTrainer(model, { lr: 2e-3 });
      const x = gg.tensor(input, [batch, steps], { dtype: 'i32' });
      const y = gg.tensor(target, [batch, steps], { dtype: 'i32' });
      return {
        step: () => trainer.step({ x, y }).loss,
        cleanup: () => {
          trainer.dispose();
          [model, x, y].forEach((t) => t.dispose());
        },
      };
    }),
    peer: notWritten,
  };
}

function gmmCase(points: number, random: HostRandom): Case {
  const [D, K] = [16, 32];
  const centers = Array.from({ length: K }, () => Array.from({ length: D }, () => 12 * (random.next() - 0.5)));
  const data = new Float32Array(points * D);
  for (let n = 0; n < points; n++) {
    const k = random.int(K);
    for (let i = 0; i < D; i++) data[n * D + i] = centers[k][i] + 0.5 * Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  }
  const params = {
    weights: new Array<number>(K).fill(1 / K),
    means: centers.map((c) => c.map((v) => v + 0.1)),
    covariances: centers.map(() => new Array<number>(D).fill(0.3)),
  };
  return {
    suite: 'training step', name: `GMM one EM iteration, ${points} x ${D}, ${K} diagonal components`, unit: 'GFLOPS',
    work: 0, reps: 1,
    // The iteration reports the mean log-likelihood under the parameters it starts from: in float64 here.
    reference() {
      let total = 0;
      for (let n = 0; n < points; n++) {
        const terms = params.means.map((mean, k) => {
          let s = Math.log(params.weights[k]);
          for (let i = 0; i < D; i++) {
            const variance = params.covariances[k][i];
            s += -0.5 * (Math.log(2 * Math.PI * variance) + (data[n * D + i] - mean[i]) ** 2 / variance);
          }
          return s;
        });
        total += logSumExp(terms);
      }
      return { values: Float64Array.of(total / points), at: [0], tolerance: 1e-4 };
    },
    gengpu: [{
      library: 'gengpu (gg.models.GaussianMixture)', role: 'gengpu',
      prepare() {
        const x = gg.tensor(data, [points, D]);
        const mixture = () => new gg.models.GaussianMixture({ nComponents: K, covarianceType: 'diag', warmStart: true, maxIter: 1, tol: 0 }).setParameters(params);
        return {
          async check() {
            const model = await mixture().fit(x);
            return [model.lowerBound];
          },
          async iterate() {
            await mixture().fit(x);
          },
          dispose: () => x.dispose(),
        };
      },
    }],
    peer: 'jax-js and TensorFlow.js have no Gaussian mixture; an EM iteration was not written for them here',
  };
}

export function trainingStepCases(quick: boolean): Case[] {
  const random = new HostRandom(2032);
  return [mlpCase(random), vaeCase(random), dcganCase(quick ? 4 : 64, random), gptCase(random), charRnnCase(random), gmmCase(quick ? 10_000 : 100_000, random)];
}

if (isEntryPoint(import.meta.url)) await (await import('../harness/alone.js')).runAlone(trainingStepCases);
