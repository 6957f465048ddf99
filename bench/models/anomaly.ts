// Benchmark (not a test): one-class anomaly detection on MNIST with the protocol of Ruff et al., "Deep
// One-Class Classification" (ICML 2018, Deep SVDD): for each digit, the detectors see only that digit's
// training images; every one of the 10,000 test images is scored, the digit's own test images being
// the normal class and the other nine digits the anomalies; the ROC-AUC per digit and its mean are
// reported beside that paper's One-Class Deep SVDD column. (The paper also rescales each image by
// global contrast normalisation; here the pixels are MNIST's [0, 1] values.)
//
// Detectors, all fitted on the digit's training images less a held-out tenth:
//   pca-recon   squared distance from the reconstruction from --pca components (default 32)
//   pca-ppca    -log density under probabilistic PCA with those components (scikit-learn's score_samples)
//   gmm-pca     -log density of a Gaussian mixture (--gmm-components, full covariances) on the PCA projections
//   vae-elbo    -ELBO of a 784-400-20 MLP VAE trained --epochs on the digit (batch 128, Adam 1e-3, weight average)
//   vae-iwae    its importance-weighted bound on -log p(x), k = --iwae-samples
//   vae-recon   its reconstruction term at the posterior mean
//   gmm-vae     a Gaussian mixture on the VAE's posterior means
//   diffusion   the denoising error (gg.anomaly.diffusionScore, 10 steps in the first half of a linear T = 1000
//               schedule) of a pixel-space residual MLP denoiser (--diffusion-hidden wide, 2 blocks) trained
//               --diffusion-epochs on the digit (pixels scaled to [-1, 1], batch 128, Adam 1e-3, weight average)
// Each detector's threshold is fitted on the held-out tenth at a 5% false-alarm rate, and the precision
// and recall at that threshold on the test set are reported too. Writes bench/results/anomaly.json.
//
// Run: npx tsx bench/models/anomaly.ts [--digits=0,1,...,9] [--epochs=10] [--pca=32] [--gmm-components=4] [--iwae-samples=64]
//        [--detectors=pca,vae,diffusion] [--diffusion-epochs=20] [--diffusion-hidden=256]
// Each run merges its digits' rows into the results file, so the detector families can run separately
// (--detectors=pca is quick; --epochs=0 is the same as leaving out vae).

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as gg from '../../src/node.js';
import { MlpVae, VaeTrainer, filterByLabel } from '../../src/models/vae/index.js';
import { GaussianMixture } from '../../src/models/gmm/index.js';
import { DiffusionTrainer, MlpDenoiser } from '../../src/models/diffusion/index.js';

const { AnomalyDetector, Pca, diffusionScore, gmmScore, pcaScore, vaeScore } = gg.anomaly;
const flags = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=') as [string, string]));
const digits = (flags.digits ?? '0,1,2,3,4,5,6,7,8,9').split(',').map(Number);
const epochs = Number(flags.epochs ?? 10);
const pcaComponents = Number(flags.pca ?? 32);
const gmmComponents = Number(flags['gmm-components'] ?? 4);
const iwaeSamples = Number(flags['iwae-samples'] ?? 64);
const families = (flags.detectors ?? 'pca,vae').split(',');
const diffusionEpochs = Number(flags['diffusion-epochs'] ?? 20);
const diffusionHidden = Number(flags['diffusion-hidden'] ?? 256);
const falseAlarmRate = 0.05;
const resultsFile = new URL('../results/anomaly.json', import.meta.url).pathname;

/** One-Class Deep SVDD's test AUCs (%) per digit, Table 1 of Ruff et al. 2018 (mean of 10 seeds). */
const deepSvdd = [98.0, 99.7, 91.7, 91.9, 94.9, 88.5, 98.3, 94.6, 93.9, 96.5];

const rt = await gg.init();
console.log(`adapter: ${rt.adapterInfo.vendor} ${rt.adapterInfo.architecture} ${rt.adapterInfo.description}`);
const train = await gg.data.loadMnist({ split: 'train' });
const test = await gg.data.loadMnist({ split: 'test' });
const testImages = gg.tensor(test.images, [test.length, 784]).keep();

interface DetectorResult { auc: number; precision: number; recall: number; falseAlarmRate: number }
type DigitResults = Record<string, DetectorResult>;
/** The results file's rows, read afresh (runs for other detectors may write it meanwhile). */
const readResults = async (): Promise<Record<string, DigitResults>> => (existsSync(resultsFile) ? JSON.parse(await readFile(resultsFile, 'utf8')) : {});

/** The mean training image, for the decoder's output bias. */
function meanImage(images: Float32Array, n: number): Float32Array {
  const sums = new Float64Array(784);
  for (let i = 0; i < n; i++) for (let p = 0; p < 784; p++) sums[p] += images[i * 784 + p];
  return Float32Array.from(sums, (s) => s / n);
}

for (const digit of digits) {
  const started = performance.now();
  const own = filterByLabel(train, (label) => label === digit);
  const fitCount = Math.floor(own.length * 0.9);
  const fitImages = gg.tensor(own.images.subarray(0, fitCount * 784), [fitCount, 784]).keep();
  const heldOut = gg.tensor(own.images.subarray(fitCount * 784), [own.length - fitCount, 784]).keep();
  const anomalous = Array.from(test.labels, (label) => label !== digit);
  console.log(`\ndigit ${digit}: ${fitCount} training images, ${own.length - fitCount} held out for the threshold; ${test.length} test images, ${anomalous.filter(Boolean).length} anomalies`);
  const row: DigitResults = {};
  const evaluate = async (name: string, score: gg.anomaly.AnomalyScore, batchSize = 1000) => {
    const detector = new AnomalyDetector(score);
    await detector.fitThreshold(heldOut, { falseAlarmRate, batchSize });
    const report = await detector.evaluate(testImages, anomalous, { batchSize });
    row[name] = { auc: report.auc, precision: report.precision, recall: report.recall, falseAlarmRate: report.falseAlarmRate };
    console.log(`  ${name.padEnd(10)} AUC ${report.auc.toFixed(4)}  at 5% false alarms on held-out: precision ${report.precision.toFixed(3)}, recall ${report.recall.toFixed(3)}, test false-alarm rate ${report.falseAlarmRate.toFixed(3)}`);
  };

  // PCA and a mixture on its projections.
  if (families.includes('pca')) {
    const pca = await new Pca({ nComponents: pcaComponents }).fit(fitImages);
    await evaluate('pca-recon', pcaScore(pca));
    await evaluate('pca-ppca', pcaScore(pca, { kind: 'likelihood' }));
    const projections = gg.scope(() => pca.transform(fitImages));
    const gmm = await new GaussianMixture({ nComponents: gmmComponents, covarianceType: 'full', seed: digit }).fit(projections);
    projections.dispose();
    await evaluate('gmm-pca', gmmScore(gmm, (x) => pca.transform(x)));
    pca.dispose();
  }

  // The VAE, trained on the digit's images.
  if (families.includes('vae') && epochs > 0) {
    const vaeData = new gg.data.MnistDataset(own.images.slice(0, fitCount * 784), own.labels.slice(0, fitCount), own.imageShape);
    const model = new MlpVae({ inputDim: 784, hiddenDim: 400, latentDim: 20, activation: 'gelu', generator: new gg.Generator(digit) });
    model.initOutputBias(meanImage(vaeData.images, fitCount));
    const trainer = new VaeTrainer(model, { lr: 1e-3, seed: digit, emaDecay: 0.999 });
    const trainStarted = performance.now();
    await trainer.fit(vaeData, {
      epochs, batchSize: 128, shuffleSeed: digit, logEvery: 1000,
      onEpoch: (record) => console.log(`  VAE epoch ${record.epoch}/${epochs}: train -ELBO ${record.trainNegativeElbo.toFixed(2)}, ${((performance.now() - trainStarted) / 1000).toFixed(0)} s`),
      onProgress: () => {},
    });
    const vae = trainer.averaged!;
    await evaluate('vae-elbo', vaeScore(vae, { kind: 'elbo' }));
    await evaluate('vae-iwae', vaeScore(vae, { kind: 'iwae', samples: iwaeSamples }), 250);
    await evaluate('vae-recon', vaeScore(vae, { kind: 'reconstruction' }));
    const latents = gg.scope(() => gg.noGrad(() => vae.encode(fitImages).mu));
    const latentGmm = await new GaussianMixture({ nComponents: gmmComponents, covarianceType: 'full', seed: digit }).fit(latents);
    latents.dispose();
    await evaluate('gmm-vae', gmmScore(latentGmm, (x) => gg.noGrad(() => vae.encode(x).mu)));
    model.dispose();
    trainer.dispose();
  }
  // A pixel-space denoiser trained on the digit's images, scored by its denoising error.
  if (families.includes('diffusion') && diffusionEpochs > 0) {
    const data = gg.data.arrayDataset({ images: { values: own.images.slice(0, fitCount * 784), exampleShape: [784] } });
    const model = new MlpDenoiser({ dim: 784, hidden: diffusionHidden, blocks: 2, generator: new gg.Generator(digit) });
    const trainer = new DiffusionTrainer(model, { lr: 1e-3, seed: digit, emaDecay: 0.999 });
    const toSigned = (x: gg.Tensor) => x.mul(2).sub(1);
    const trainStarted = performance.now();
    await trainer.fit(data, {
      epochs: diffusionEpochs, batchSize: 128, shuffleSeed: digit, transform: toSigned, logEvery: 1000, onProgress: () => {},
      onEpoch: (summary) => {
        if (summary.epoch % 5 === 0 || summary.epoch === diffusionEpochs) console.log(`  denoiser epoch ${summary.epoch}/${diffusionEpochs}: loss ${summary.loss.toFixed(4)}, ${((performance.now() - trainStarted) / 1000).toFixed(0)} s`);
      },
    });
    const score = diffusionScore(trainer.averaged!, trainer.schedule);
    await evaluate('diffusion', (x) => gg.scope(() => score(toSigned(x)) as gg.Tensor));
    trainer.dispose();
    model.dispose();
  }
  fitImages.dispose();
  heldOut.dispose();
  const results = await readResults();
  results[digit] = { ...results[digit], ...row };
  await mkdir(new URL('../results/', import.meta.url).pathname, { recursive: true });
  await writeFile(resultsFile, JSON.stringify(results, null, 1));
  console.log(`  digit ${digit} done in ${((performance.now() - started) / 1000).toFixed(0)} s (Deep SVDD: ${deepSvdd[digit].toFixed(1)})`);
}

// The table: AUC (%) per digit and detector, the mean over the digits present, and Deep SVDD's column.
const results = await readResults();
const done = Object.keys(results).map(Number).sort((a, b) => a - b);
const names = [...new Set(done.flatMap((d) => Object.keys(results[d])))];
console.log(`\n| digit | ${names.join(' | ')} | Deep SVDD (Ruff et al.) |`);
console.log(`|---|${names.map(() => '---|').join('')}---|`);
for (const d of done) console.log(`| ${d} | ${names.map((n) => (results[d][n] ? (results[d][n].auc * 100).toFixed(1) : '')).join(' | ')} | ${deepSvdd[d].toFixed(1)} |`);
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
console.log(`| mean | ${names.map((n) => (mean(done.filter((d) => results[d][n]).map((d) => results[d][n].auc)) * 100).toFixed(1)).join(' | ')} | ${mean(done.map((d) => deepSvdd[d])).toFixed(1)} |`);
testImages.dispose();
