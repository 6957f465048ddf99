// Benchmark (not a test): the pixel-space DDPM on MNIST (images scaled to [-1, 1], the U-Net of
// src/models/diffusion/unet.ts, linear schedule T = 1000, epsilon prediction, Adam 2e-4, clipping at
// 1, weight average 0.9999 as in DDPM). For the tiny configuration (the default, which trains on a
// software adapter) and the GPU one (baseChannels 64, 2 blocks per level): ms per training step and
// per sampling step (a forward pass over the batch); then a bounded training run of the tiny one
// with the loss every log, and, with --eval, DDIM-50 samples against the 10k test images with the
// project's MNIST classifier (FCD, digits covered, confidence) and bench/results/diffusion-pixel-ddim50.png;
// with --bound-images=N, the variational bound in bits per dimension on the first N test images.
// On a GPU pass --config=gpu --steps=<many> to train the larger one.
//
// Run: npx tsx bench/models/ddpm-pixel.ts [--steps=300] [--batch=64] [--config=tiny|gpu] [--eval=0] [--eval-samples=1000]
//        [--timing-steps=3] [--bound-images=0]

import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as gg from '../../src/node.js';
import { tensorGrid, writePng } from '../../src/metrics/index.js';
import { classifierReport, evaluateImages, loadMnistClassifier, saveMnistClassifier, trainMnistClassifier } from '../../src/models/gan/index.js';
import { DiffusionTrainer, UNet, ddimSample, variationalBound, type UNetConfig } from '../../src/models/diffusion/index.js';

const flags = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]));
const number = (name: string, fallback: number) => {
  const value = Number(flags[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`bench/models/ddpm-pixel: --${name} must be an integer >= 0, got ${flags[name]}`);
  return value;
};
const steps = number('steps', 300);
const batchSize = number('batch', 64);
const evaluate = number('eval', 0) > 0;
const evalSamples = number('eval-samples', 1000);
const timingSteps = number('timing-steps', 3);
const boundImages = number('bound-images', 0);
const configs: Record<string, Partial<UNetConfig>> = {
  tiny: {},
  gpu: { baseChannels: 64, blocksPerLevel: 2 },
};
const trained = flags.config ?? 'tiny';
if (!(trained in configs)) throw new Error(`bench/models/ddpm-pixel: --config must be tiny or gpu, got ${trained}`);
const resultsDir = new URL('../results/', import.meta.url).pathname;

const rt = await gg.init();
console.log(`adapter: ${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`);
await mkdir(resultsDir, { recursive: true });
const train = await gg.data.loadMnist({ split: 'train' });
const test = await gg.data.loadMnist({ split: 'test' });
const pixels = (images: gg.Tensor) => images.reshape([-1, 1, 28, 28]).mul(2).sub(1);

/** The median of `count` timed calls of `fn` (each waits for the GPU), after one untimed call. */
async function medianMs(count: number, fn: () => void): Promise<number> {
  fn();
  await rt.sync();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    fn();
    await rt.sync();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[count >> 1];
}

const batch = gg.scope(() => pixels(gg.tensor(train.images.subarray(0, batchSize * 784), [batchSize, 784]))).keep();
const labels = gg.tensor(train.labels.subarray(0, batchSize)).keep();
console.log(`\nms per step, batch ${batchSize} (median of ${timingSteps}):`);
for (const [name, config] of Object.entries(configs)) {
  const model = new UNet({ ...config, generator: new gg.Generator(0) });
  const trainer = new DiffusionTrainer(model, { emaDecay: 0.9999 });
  const trainMs = await medianMs(timingSteps, () => gg.scope(() => void trainer.step(batch)));
  const t = gg.full([batchSize], 500).keep();
  const sampleMs = await medianMs(timingSteps, () => gg.noGrad(() => gg.scope(() => void model.forward(batch, t))));
  console.log(`  ${name.padEnd(5)} ${model.numParameters().toLocaleString('en-US').padStart(10)} parameters: training step ${trainMs.toFixed(0)} ms, sampling step ${sampleMs.toFixed(0)} ms`);
  t.dispose();
  trainer.dispose();
  model.dispose();
}
batch.dispose();
labels.dispose();

// ---- a bounded run ------------------------------------------------------------------------------------

const model = new UNet({ ...configs[trained], generator: new gg.Generator(0) });
const trainer = new DiffusionTrainer(model, { emaDecay: 0.9999 });
console.log(`\n${trained} U-Net, ${model.numParameters().toLocaleString('en-US')} parameters: ${steps} steps, batch ${batchSize}, Adam 2e-4, clipping 1, weight average 0.9999`);
const dataset = gg.data.arrayDataset({ images: train.fields.images });
const history = await gg.trainLoop({
  trainer: { step: (b: gg.data.Batch<'images'>) => trainer.step(pixels(b.images)) },
  batches: gg.data.batches(dataset, { batchSize, seed: 0, dropLast: true }),
  steps,
  examplesPerStep: batchSize,
  unit: 'img',
  logEvery: Math.max(1, Math.round(steps / 15)),
  watch: () => trainer.namedParameters(),
});
const last = history.points[history.points.length - 1];
console.log(`loss after ${steps} steps: ${last.losses.loss.toFixed(4)} (mean of the last ${Math.max(1, Math.round(steps / 15))}); ${((history.seconds * 1000) / steps).toFixed(0)} ms/step`);

if (boundImages > 0) {
  // The test pixels are multiples of 1/255, so 2x - 1 lands on the bound's 256 levels.
  const x0 = gg.scope(() => pixels(gg.tensor(test.images.subarray(0, boundImages * 784), [boundImages, 784]))).keep();
  const begin = performance.now();
  const bound = await variationalBound(model, trainer.schedule, x0, {
    generator: new gg.Generator(3),
    onStep: async (done, total) => {
      if (done % 100 !== 0) return;
      await rt.sync();
      const seconds = (performance.now() - begin) / 1000;
      console.log(`  bound: step ${done}/${total}  ${seconds.toFixed(0)} s  ETA ${((seconds / done) * (total - done)).toFixed(0)} s`);
    },
  });
  console.log(
    `variational bound on ${boundImages} test images (raw weights): ${bound.bitsPerDim.toFixed(3)} bits/dim ` +
      `(prior ${bound.prior.toFixed(4)}, diffusion ${bound.diffusion.toFixed(3)}, decoder ${bound.decoder.toFixed(3)})`,
  );
  x0.dispose();
}

if (evaluate) {
  const classifierPath = `${resultsDir}gan-classifier.safetensors`;
  const classifier = existsSync(classifierPath)
    ? await loadMnistClassifier(await readFile(classifierPath))
    : await trainMnistClassifier(train, { epochs: 2 }).then(async (c) => {
        await gg.io.saveFile(classifierPath, await saveMnistClassifier(c));
        return c;
      });
  const testImages = gg.tensor(test.images, [test.length, 784]);
  const reference = (await classifierReport(classifier, testImages)).statistics;
  // The raw weights: after a short run the 0.9999 average is still mostly the initial network.
  const samples = await ddimSample(model, trainer.schedule, evalSamples, { steps: 50, clipData: 1, generator: new gg.Generator(1) });
  const images = gg.scope(() => samples.reshape([evalSamples, 784]).add(1).mul(0.5));
  const e = await evaluateImages(classifier, images, reference);
  console.log(`DDIM 50, ${evalSamples} samples (raw weights): FCD ${e.fcd.toFixed(2)}  digits covered ${e.digitsCovered}/10  mean confidence ${e.meanConfidence.toFixed(3)}`);
  await writePng(`${resultsDir}diffusion-pixel-ddim50.png`, await tensorGrid(images.slice(0, 0, 100), { columns: 10 }));
  console.log('  wrote bench/results/diffusion-pixel-ddim50.png');
  for (const t of [samples, images, testImages]) t.dispose();
  classifier.dispose();
}
trainer.dispose();
model.dispose();
gg.shutdown();
