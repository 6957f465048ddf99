// Benchmark (not a test): how well the GANs train, and what the known failure modes look like.
//   1. DCGAN on MNIST: trains a small MNIST classifier once (kept in bench/results/gan-classifier.safetensors
//      and reused), then reports for the untrained generator and after training, on 10k generated vs
//      the 10k test images: the Fréchet classifier distance (FCD), the classifier's label histogram
//      (digits covered) and its mean confidence; ms per training step; sample grids
//      bench/results/gan-mnist-samples.png (after training) and gan-mnist-untrained.png.
//   2. The mode-collapse lab on the ring of 8 and the grid of 25 Gaussians: for each loss and
//      stabilizer, modes covered and the high-quality share at every logging step, a summary table,
//      and bench/results/gan-lab-<dataset>.png (one panel per setting: generated points in black over
//      the modes' 3-std discs in grey).
//
// Run: npx tsx bench/models/gan.ts [--steps=700] [--batch=64] [--width=8] [--g-lr=4e-4] [--d-lr=1e-4] [--smoothing=0.1] [--lab-steps=2000] [--lab-batch=256] [--lab-hidden=64] [--lab-log=100] [--lab=ring,grid]
//        [--lab-std=0.02] [--settings=all|ns,minimax,hinge,ls,ns-smooth,ns-sn,hinge-sn-ttur,wgan-gp] [--skip-mnist] [--skip-lab]
//        [--eval-samples=10000]
// --width w sets the DCGAN's channels: generator [2w, w] (at 7 x 7 and 14 x 14), discriminator [w, 2w].
// DcganGenerator's default width 32 is slow on a software adapter, so the benchmark's default is
// width 8 (16x fewer multiply-adds); on a real GPU pass --width=32. The default learning rates are
// two-timescale in the generator's favour with one-sided label smoothing: with DCGAN's 2e-4 for both
// and no smoothing (--g-lr=2e-4 --d-lr=2e-4 --smoothing=0) this small discriminator wins (its loss
// falls towards 0 while the generator's climbs) and the samples stay dark blobs.

import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as gg from '../../src/node.js';
import { imageGrid, tensorGrid, writePng } from '../../src/metrics/index.js';
import {
  classifierReport,
  DcganDiscriminator,
  DcganGenerator,
  GanTrainer,
  evaluateGenerator,
  formatLabResult,
  generateImages,
  labMixture,
  loadMnistClassifier,
  modeCollapseLab,
  saveMnistClassifier,
  trainMnistClassifier,
  type GeneratorEvaluation,
  type LabDataset,
  type LabResult,
  type LabSetting,
} from '../../src/models/gan/index.js';

const flags = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]));
const flag = (name: string, fallback: number) => {
  const value = Number(flags[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`bench/models/gan: --${name} must be an integer >= 0, got ${flags[name]}`);
  return value;
};
const steps = flag('steps', 700);
const batchSize = flag('batch', 64);
const labSteps = flag('lab-steps', 2000);
const labBatch = flag('lab-batch', 256);
const labHidden = flag('lab-hidden', 64);
const labLogEvery = flag('lab-log', 100);
const labStd = flags['lab-std'] === undefined ? undefined : Number(flags['lab-std']);
const evalSamples = flag('eval-samples', 10000);
const width = flag('width', 8);
const real = (name: string, fallback: number) => {
  const value = Number(flags[name] ?? fallback);
  if (!(value >= 0) || !Number.isFinite(value)) throw new Error(`bench/models/gan: --${name} must be a number >= 0, got ${flags[name]}`);
  return value;
};
const generatorLr = real('g-lr', 4e-4);
const discriminatorLr = real('d-lr', 1e-4);
const labelSmoothing = real('smoothing', 0.1);
const labDatasets = (flags.lab ?? 'ring,grid').split(',') as LabDataset[];
const resultsDir = new URL('../results/', import.meta.url).pathname;
const classifierPath = `${resultsDir}gan-classifier.safetensors`;

const rt = await gg.init();
console.log(`adapter: ${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`);
await mkdir(resultsDir, { recursive: true });

function describe(name: string, e: GeneratorEvaluation): string {
  return `${name}: FCD ${e.fcd.toFixed(2)}  digits covered ${e.digitsCovered}/10  mean confidence ${e.meanConfidence.toFixed(3)}  labels [${Array.from(e.labelHistogram).join(' ')}]`;
}

async function mnist(): Promise<void> {
  const train = await gg.data.loadMnist({ split: 'train' });
  const test = await gg.data.loadMnist({ split: 'test' });
  const classifier = existsSync(classifierPath)
    ? await loadMnistClassifier(await readFile(classifierPath))
    : await trainMnistClassifier(train, { epochs: 2 }).then(async (c) => {
        await gg.io.saveFile(classifierPath, await saveMnistClassifier(c));
        console.log(`classifier saved to ${classifierPath}`);
        return c;
      });
  const testTensors = test.toTensors();
  const reference = await classifierReport(classifier, testTensors.images, { labels: testTensors.labels });
  console.log(`classifier on the 10k test images: accuracy ${(100 * reference.accuracy!).toFixed(2)}%  mean confidence ${reference.meanConfidence.toFixed(3)}`);
  testTensors.images.dispose();
  testTensors.labels.dispose();

  const weights = new gg.Generator(0);
  const generator = new DcganGenerator({ channels: [2 * width, width], generator: weights });
  const discriminator = new DcganDiscriminator({ channels: [width, 2 * width], generator: weights });
  const evaluate = (name: string) => evaluateGenerator(generator, classifier, reference.statistics, { samples: evalSamples, generator: new gg.Generator(99) }).then((e) => {
    console.log(describe(name, e));
    return e;
  });
  const grid = async (file: string) => {
    const images = generateImages(generator, 64, { generator: new gg.Generator(7) });
    await writePng(`${resultsDir}${file}`, await tensorGrid(images, { columns: 8 }));
    images.dispose();
    console.log(`samples: ${resultsDir}${file}`);
  };
  const untrained = await evaluate(`untrained generator (${evalSamples} samples)`);
  await grid('gan-mnist-untrained.png');

  // all 60k training images on the GPU in [-1, 1]; batches are drawn by index on the GPU
  const all = gg.scope(() => gg.tensor(train.images, [train.length, 1, 28, 28]).mul(2).sub(1));
  const picks = new gg.Generator(1);
  const trainer = new GanTrainer(generator, discriminator, { loss: 'nonSaturating', generatorLr, discriminatorLr, labelSmoothing, seed: 2 });
  console.log(
    `DCGAN: ${generator.numParameters().toLocaleString('en-US')} + ${discriminator.numParameters().toLocaleString('en-US')} parameters, batch ${batchSize}, ${steps} steps, ` +
      `non-saturating loss, label smoothing ${labelSmoothing}, Adam (0.5, 0.999) with lr ${generatorLr} (G) and ${discriminatorLr} (D)`,
  );
  const history = await trainer.fit({
    steps,
    logEvery: Math.max(1, Math.round(steps / 20)),
    realBatch: () => gg.scope(() => gg.indexSelect(all, 0, gg.randint(0, train.length, [batchSize], { generator: picks }))),
  });
  console.log(`DCGAN training: ${history.msPerStep.toFixed(1)} ms/step (${batchSize} real + ${batchSize} generated images per discriminator step)`);
  if (history.divergence.length) console.log(`divergence reports: ${history.divergence.map((d) => d.message).join('; ')}`);
  const trained = await evaluate(`after ${history.steps} steps (${evalSamples} samples)`);
  await grid('gan-mnist-samples.png');
  console.log(
    `TARGET FCD far below the untrained generator's: ${trained.fcd.toFixed(2)} vs ${untrained.fcd.toFixed(2)} (${(untrained.fcd / trained.fcd).toFixed(1)}x lower); ` +
      `all 10 digits covered: ${trained.digitsCovered === 10 ? 'yes' : `no (${trained.digitsCovered})`}`,
  );
  all.dispose();
  trainer.dispose();
  for (const m of [generator, discriminator, classifier]) m.dispose();
}

const labSettings: Record<string, LabSetting> = {
  ns: { name: 'non-saturating', loss: 'nonSaturating' },
  minimax: { name: 'minimax', loss: 'minimax' },
  hinge: { name: 'hinge', loss: 'hinge' },
  ls: { name: 'least squares', loss: 'leastSquares' },
  'ns-smooth': { name: 'non-saturating + smoothing', loss: 'nonSaturating', labelSmoothing: 0.1 },
  'ns-sn': { name: 'non-saturating + SN', loss: 'nonSaturating', spectralNorm: true },
  'hinge-sn-ttur': { name: 'hinge + SN + TTUR', loss: 'hinge', spectralNorm: true, generatorLr: 5e-4, discriminatorLr: 2e-3 },
  'wgan-gp': { name: 'wgan-gp (5 critic steps)', loss: 'wganGp', discriminatorSteps: 5 },
};

/** One panel per setting: the modes' 3-std discs in light grey, generated points in black. */
function labPanel(dataset: LabDataset, points: Float32Array, side: number): Float32Array {
  const mixture = labMixture(dataset, 0, 0, labStd);
  const extent = dataset === 'ring' ? 2.6 : 5.6;
  const pixel = (v: number) => Math.floor(((v + extent) / (2 * extent)) * side);
  const panel = new Float32Array(side * side).fill(1);
  const radius = 3 * mixture.std;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const [px, py] = [((x + 0.5) / side) * 2 * extent - extent, extent - ((y + 0.5) / side) * 2 * extent];
      for (let k = 0; k < mixture.modes; k++) {
        if (Math.hypot(px - mixture.centers![2 * k], py - mixture.centers![2 * k + 1]) <= Math.max(radius, extent / side)) panel[y * side + x] = 0.75;
      }
    }
  }
  for (let i = 0; i < points.length; i += 2) {
    const [x, y] = [pixel(points[i]), side - 1 - pixel(points[i + 1])];
    if (x >= 0 && x < side && y >= 0 && y < side) panel[y * side + x] = 0;
  }
  return panel;
}

async function lab(): Promise<void> {
  const keys = flags.settings && flags.settings !== 'all' ? flags.settings.split(',') : Object.keys(labSettings);
  const chosen = keys.map((key) => {
    if (!labSettings[key]) throw new Error(`bench/models/gan: --settings takes ${Object.keys(labSettings).join(', ')}; got '${key}'`);
    return labSettings[key];
  });
  for (const dataset of labDatasets) {
    const results: LabResult[] = [];
    const panels: Float32Array[] = [];
    console.log(`\nmode-collapse lab, ${dataset} (${labSteps} steps, batch ${labBatch}, MLPs with 2 hidden layers of ${labHidden}, Adam 1e-3 (0.5, 0.999) unless noted):`);
    for (const setting of chosen) {
      const result = await modeCollapseLab(
        { generatorLr: 1e-3, discriminatorLr: 1e-3, hiddenDim: labHidden, ...setting },
        {
          dataset,
          steps: labSteps,
          batchSize: labBatch,
          logEvery: labLogEvery,
          std: labStd,
          onLog: (r) => console.log(`  ${setting.name.padEnd(28)} step ${String(r.step).padStart(5)}  D ${r.discriminatorLoss.toFixed(3)}  G ${r.generatorLoss.toFixed(3)}  modes ${r.modes}  high quality ${(100 * r.highQuality).toFixed(1)}%`),
        },
      );
      results.push(result);
      panels.push(labPanel(dataset, result.samples, 160));
      console.log(formatLabResult(result));
    }
    console.log(`\nsummary, ${dataset}:`);
    for (const result of results) console.log(`  ${formatLabResult(result)}`);
    const values = new Float32Array(panels.length * 160 * 160);
    panels.forEach((p, i) => values.set(p, i * 160 * 160));
    const file = `${resultsDir}gan-lab-${dataset}.png`;
    await writePng(file, imageGrid(values, panels.length, { columns: Math.min(4, panels.length), imageSize: [160, 160], padding: 4 }));
    console.log(`panels (${chosen.map((s) => s.name).join(' | ')}): ${file}`);
  }
}

if (!('skip-mnist' in flags)) await mnist();
if (!('skip-lab' in flags)) await lab();
gg.shutdown();
process.exit(0);
