// Benchmark (not a test): latent diffusion on MNIST, the design of Stable Diffusion at MNIST scale.
// The 784-400-20 VAE of bench/models/vae.ts (bench/results/vae-784-400-20.safetensors, its weight
// average; trained here first if the file is missing) encodes the 60k training images to standardised
// latents; an MLP denoiser learns them with the DDPM loss (linear schedule, T = 1000, epsilon
// prediction, weight average 0.999) within a time budget; then, with the project's MNIST classifier
// (bench/results/gan-classifier.safetensors, shared with the GAN benchmark), the Fréchet classifier
// distance (FCD) to the 10k test images, digits covered and mean confidence of: the VAE's own samples
// from its prior, the latent model sampled with ancestral DDPM (1000 steps) and with DDIM (50 steps,
// eta 0). Also the held-out diffusion loss on the test images' latents, ms per training step and per
// sampling step, and sample grids bench/results/diffusion-latent-{ddpm,ddim50}.png and
// diffusion-vae-prior.png (the same number of samples for every FCD, so the figures compare), and the
// trained model with its trainer in bench/results/diffusion-latent.safetensors.
//
// Run: npx tsx bench/models/diffusion.ts [--minutes=20] [--epochs=100] [--hidden=128] [--blocks=3] [--batch=256]
//        [--lr=1e-3] [--eval-samples=1000] [--vae-epochs=10] [--seed=0]

import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as gg from '../../src/node.js';
import { tensorGrid, writePng } from '../../src/metrics/index.js';
import { MlpVae, VaeTrainer, loadVaeCheckpoint, saveVaeCheckpoint, type Vae } from '../../src/models/vae/index.js';
import { classifierReport, evaluateImages, loadMnistClassifier, saveMnistClassifier, trainMnistClassifier, type ImageEvaluation } from '../../src/models/gan/index.js';
import {
  DiffusionTrainer, MlpDenoiser, ddimSample, ddpmSample, decodeLatents, diffusionLoss, encodeLatents, saveDiffusionCheckpoint, type SamplingProgress,
} from '../../src/models/diffusion/index.js';

const flags = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]));
const number = (name: string, fallback: number) => {
  const value = Number(flags[name] ?? fallback);
  if (!(value >= 0)) throw new Error(`bench/models/diffusion: --${name} must be a number >= 0, got ${flags[name]}`);
  return value;
};
const minutes = number('minutes', 20);
const maxEpochs = number('epochs', 100);
const hidden = number('hidden', 128);
const blocks = number('blocks', 3);
const batchSize = number('batch', 256);
const lr = number('lr', 1e-3);
const evalSamples = number('eval-samples', 1000);
const vaeEpochs = number('vae-epochs', 10);
const seed = number('seed', 0);
const resultsDir = new URL('../results/', import.meta.url).pathname;
const vaePath = `${resultsDir}vae-784-400-20.safetensors`;
const classifierPath = `${resultsDir}gan-classifier.safetensors`;

const rt = await gg.init();
console.log(`adapter: ${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`);
await mkdir(resultsDir, { recursive: true });
const train = await gg.data.loadMnist({ split: 'train' });
const test = await gg.data.loadMnist({ split: 'test' });

/** The VAE of bench/models/vae.ts (its weight average), trained here with its recipe when the file is missing. */
async function loadOrTrainVae(): Promise<Vae> {
  if (existsSync(vaePath)) {
    console.log(`VAE: ${vaePath} (weight average)`);
    return loadVaeCheckpoint(await readFile(vaePath), { averaged: true });
  }
  console.log(`VAE: ${vaePath} is missing; training the 784-400-20 VAE for ${vaeEpochs} epochs (bench/models/vae.ts's recipe)`);
  const model = new MlpVae({ inputDim: 784, hiddenDim: 400, latentDim: 20, activation: 'gelu', generator: new gg.Generator(0) });
  const sums = new Float64Array(784);
  for (let i = 0; i < train.length; i++) for (let p = 0; p < 784; p++) sums[p] += train.images[i * 784 + p] / train.length;
  model.initOutputBias(Float32Array.from(sums));
  const trainer = new VaeTrainer(model, { lr: 1e-3, seed: 0, emaDecay: 0.999 });
  await trainer.fit(train, { epochs: vaeEpochs, batchSize: 128, shuffleSeed: 1, logEvery: 94 });
  await gg.io.saveFile(vaePath, await saveVaeCheckpoint(model, trainer, { epochs: String(vaeEpochs) }));
  const averaged = trainer.averaged!;
  model.loadStateDict(averaged.stateDict());
  trainer.dispose();
  return model;
}

const vae = await loadOrTrainVae();
const classifier = existsSync(classifierPath)
  ? await loadMnistClassifier(await readFile(classifierPath))
  : await trainMnistClassifier(train, { epochs: 2 }).then(async (c) => {
      await gg.io.saveFile(classifierPath, await saveMnistClassifier(c));
      return c;
    });
const testImages = gg.tensor(test.images, [test.length, 784]).keep();
const reference = (await classifierReport(classifier, testImages)).statistics;

// ---- latents ----------------------------------------------------------------------------------------

const trainLatents = await encodeLatents(vae, train.images);
const testLatents = await encodeLatents(vae, test.images, { normalization: trainLatents.normalization });
const latentDim = vae.latentDim;
console.log(`latents: ${train.length.toLocaleString('en-US')} training and ${test.length.toLocaleString('en-US')} test images as ${latentDim}-d posterior means, standardised`);

// ---- training within the budget ---------------------------------------------------------------------

const model = new MlpDenoiser({ dim: latentDim, hidden, blocks, generator: new gg.Generator(seed) });
const trainer = new DiffusionTrainer(model, { lr, seed, emaDecay: 0.999 });
const dataset = gg.data.arrayDataset({ images: { values: trainLatents.latents, exampleShape: [latentDim] } });
console.log(
  `\nlatent denoiser: MLP ${hidden} wide, ${blocks} residual blocks, ${model.numParameters().toLocaleString('en-US')} parameters; ` +
    `DDPM linear schedule T = ${trainer.schedule.steps}, epsilon prediction, Adam ${lr}, batch ${batchSize}, weight average 0.999, budget ${minutes} min`,
);

/** The held-out DDPM loss: the test latents, one fixed draw of steps and noise per image. */
function heldOutLoss(denoiser: MlpDenoiser): Promise<number> {
  const generator = new gg.Generator(12345);
  const parts: number[] = [];
  const chunk = 2000;
  const losses = gg.noGrad(() =>
    gg.scope(() => {
      const terms: gg.Tensor[] = [];
      for (let start = 0; start < test.length; start += chunk) {
        const end = Math.min(test.length, start + chunk);
        parts.push(end - start);
        terms.push(diffusionLoss(denoiser, trainer.schedule, gg.tensor(testLatents.latents.subarray(start * latentDim, end * latentDim), [end - start, latentDim]), { generator }).reshape([1]));
      }
      return gg.concat(terms);
    }),
  );
  return losses.data().then((values) => {
    losses.dispose();
    return Array.from(values).reduce((sum, v, i) => sum + v * parts[i], 0) / test.length;
  });
}

const started = performance.now();
let trainedSteps = 0;
for (let epoch = 1; epoch <= maxEpochs && (performance.now() - started) / 60000 < minutes; epoch++) {
  const [record] = await trainer.fit(dataset, { epochs: 1, batchSize, shuffleSeed: seed, logEvery: 60, onProgress: (p, e) => console.log(`  epoch ${e}  ${gg.formatProgress(p)}`) });
  trainedSteps += record.steps;
  const held = await heldOutLoss(trainer.averaged as MlpDenoiser);
  console.log(
    `epoch ${String(record.epoch).padStart(3)}: train loss ${record.loss.toFixed(4)}  held-out loss (weight average) ${held.toFixed(4)}  ` +
      `${record.seconds.toFixed(1)} s, ${((record.seconds * 1000) / record.steps).toFixed(1)} ms/step  ` +
      `(${((performance.now() - started) / 60000).toFixed(1)} min)`,
  );
}
const trainingMinutes = (performance.now() - started) / 60000;
console.log(`trained ${trainedSteps} steps in ${trainingMinutes.toFixed(1)} min`);
await gg.io.saveFile(`${resultsDir}diffusion-latent.safetensors`, await saveDiffusionCheckpoint(model, { trainer, latents: trainLatents.normalization }));
console.log('  wrote bench/results/diffusion-latent.safetensors (with the trainer and the latents\' standardisation)');

// ---- evaluation ---------------------------------------------------------------------------------------

const denoiser = trainer.averaged as MlpDenoiser;
const results: [string, ImageEvaluation, number][] = [];

async function report(name: string, images: gg.Tensor, msPerStep: number, png: string): Promise<void> {
  const evaluation = await evaluateImages(classifier, images, reference);
  results.push([name, evaluation, msPerStep]);
  console.log(`${name}: FCD ${evaluation.fcd.toFixed(2)}  digits covered ${evaluation.digitsCovered}/10  mean confidence ${evaluation.meanConfidence.toFixed(3)}`);
  await writePng(resultsDir + png, await tensorGrid(images.slice(0, 0, 100), { columns: 10 }));
  console.log(`  wrote bench/results/${png}`);
  images.dispose();
}

/** Samples latents with `sample`, printing progress, and decodes them. */
async function latentImages(name: string, sample: (onStep: (p: SamplingProgress) => Promise<void>) => Promise<gg.Tensor>): Promise<{ images: gg.Tensor; msPerStep: number }> {
  const begin = performance.now();
  let steps = 0;
  const latents = await sample(async ({ step, steps: total }) => {
    steps = total;
    if (step % Math.max(1, Math.round(total / 10)) === 0 || step === total) {
      await gg.runtime().sync();
      const elapsed = (performance.now() - begin) / 1000;
      console.log(`  ${name}: step ${step}/${total}  ${elapsed.toFixed(1)} s  ETA ${((elapsed / step) * (total - step)).toFixed(0)} s`);
    }
  });
  const images = decodeLatents(vae, latents, trainLatents.normalization);
  latents.dispose();
  return { images, msPerStep: (performance.now() - begin) / steps };
}

console.log(`\n${evalSamples} samples each, against the 10k test images`);
await report('VAE 784-400-20, samples from its prior', vae.sample(evalSamples, { generator: new gg.Generator(7) }), 0, 'diffusion-vae-prior.png');
const ddim = await latentImages('DDIM 50', (onStep) => ddimSample(denoiser, trainer.schedule, evalSamples, { steps: 50, generator: new gg.Generator(8), onStep }));
await report('latent diffusion, DDIM 50 steps', ddim.images, ddim.msPerStep, 'diffusion-latent-ddim50.png');
const ddpm = await latentImages('DDPM 1000', (onStep) => ddpmSample(denoiser, trainer.schedule, evalSamples, { generator: new gg.Generator(9), onStep }));
await report('latent diffusion, DDPM 1000 steps', ddpm.images, ddpm.msPerStep, 'diffusion-latent-ddpm.png');

console.log(`\n| images (${evalSamples} each) | FCD | digits covered | mean confidence | ms per sampling step |`);
console.log('|---|---|---|---|---|');
for (const [name, e, ms] of results) console.log(`| ${name} | ${e.fcd.toFixed(2)} | ${e.digitsCovered}/10 | ${e.meanConfidence.toFixed(3)} | ${ms ? ms.toFixed(1) : '-'} |`);
const [prior, ddimResult, ddpmResult] = results.map(([, e]) => e.fcd);
console.log(
  `latent diffusion (${trainingMinutes.toFixed(1)} min of training) vs the VAE's prior: FCD ${ddpmResult.toFixed(2)} (DDPM) and ${ddimResult.toFixed(2)} (DDIM 50) ` +
    `against ${prior.toFixed(2)}: ${Math.min(ddpmResult, ddimResult) < prior ? 'below (target met)' : 'not below (target not met)'}; ` +
    `DDIM 50 is ${((100 * (ddimResult - ddpmResult)) / ddpmResult).toFixed(1)}% from DDPM 1000 (target within 5%)`,
);
for (const m of [model, vae, classifier]) m.dispose();
trainer.dispose();
testImages.dispose();
gg.shutdown();
