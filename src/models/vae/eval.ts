// Measuring a trained VAE and putting it to work:
// - evaluateVae: the test-set negative ELBO in nats per image with its two terms and the
//   reconstruction error; estimateNll: the importance-weighted NLL bound (Burda et al.) with k samples;
// - negativeElboScores: per-image -ELBO, the anomaly score;
// - anomalyDetection: ROC-AUC of that score separating a digit class the model never saw from the
//   test digits of the classes it was trained on;
// - synthesizeLabelled and synthesizeClassConditional: labelled images made by the VAE from a few
//   labelled ones (same-class latent mixing; a Gaussian per class in the latent space);
// - augmentationExperiment: the MNIST classifier trained on a small labelled set with and without
//   VAE-made examples added, reporting the accuracy change as measured.
// Sums stay on the GPU while the batches run; JS reads them once at the end.

import { noGrad } from '../../autograd.js';
import { Tensor, scope } from '../../tensor.js';
import { tensor, zeros } from '../../ops/creation.js';
import { concat, stack, indexSelect } from '../../ops/indexing.js';
import { Generator, reparameterize } from '../../ops/random.js';
import type { Dataset } from '../../data/loader.js';
import { MnistDataset } from '../../data/mnist.js';
import { SeededRandom } from '../../data/random.js';
import { rocAuc } from '../../metrics/roc.js';
import { classifierAccuracy, trainMnistClassifier } from '../shared/mnist-classifier.js';
import { cholesky, inverseLower } from '../shared/linalg.js';
import type { Vae } from './model.js';

/** Options of `evaluateVae` (and, with more, `estimateNll`). */
export interface EvaluationOptions {
  /** Images per GPU batch (default 500). */
  batchSize?: number;
  /** The noise of every sample drawn (default: a generator seeded with 0, so evaluations repeat exactly). */
  generator?: Generator;
}

/** What `evaluateVae` returns: the mean -ELBO of a dataset and its parts, per image. */
export interface VaeEvaluation {
  /** Images evaluated. */
  images: number;
  /** Mean -ELBO, nats per image: reconstruction + kl. */
  negativeElbo: number;
  /** Mean -log p(x|z) for one z ~ q(z|x) per image, nats (the Bernoulli cross-entropy summed over pixels). */
  reconstruction: number;
  /** Mean KL(q(z|x) || p(z)), nats. */
  kl: number;
  /** Mean squared error per pixel between each image and its reconstruction sigmoid(decode(mu)). */
  meanSquaredError: number;
}

/** Options of `estimateNll`. */
export interface NllOptions extends EvaluationOptions {
  /** k, importance samples per image (default 1000). */
  samples?: number;
  /** Use the first this-many images only (default: all). */
  limit?: number;
}

/** What `estimateNll` returns. */
export interface NllEstimate {
  /** k, the importance samples per image used. */
  samples: number;
  /** Images evaluated. */
  images: number;
  /** Mean importance-weighted NLL bound, nats per image. */
  nll: number;
  /** Mean -ELBO of the same images, for comparison: nll is lower by the bound's gain. */
  negativeElbo: number;
}

function checkBatchSize(op: string, batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${op}: batchSize must be a positive integer, got ${batchSize}`);
}

/** The dataset's images with their per-image size, checked against the model. */
function imagesOf(op: string, model: Vae, dataset: Dataset<'images'>): { values: Float32Array; pixels: number } {
  const field = dataset.fields.images;
  const pixels = field?.exampleShape.reduce((n, d) => n * d, 1);
  if (!field || !(field.values instanceof Float32Array) || pixels !== model.pixels) {
    throw new Error(`${op}: expected a dataset with f32 'images' of ${model.pixels} pixels each, got ${field ? `[${field.exampleShape.join(', ')}]` : 'no images field'}`);
  }
  if (dataset.length === 0) throw new Error(`${op}: the dataset is empty`);
  return { values: field.values, pixels };
}

/** Runs `fn` on the images in consecutive batches [B, pixels] (uploaded one at a time), inside a scope each. */
function forEachBatch(values: Float32Array, pixels: number, count: number, batchSize: number, fn: (x: Tensor) => void): void {
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(count, start + batchSize);
    scope(() => fn(tensor(values.subarray(start * pixels, end * pixels), [end - start, pixels])));
  }
}

/** Sums of per-batch vectors (made by `fn`), accumulated on the GPU and read once. */
async function sumOverBatches(values: Float32Array, pixels: number, count: number, batchSize: number, length: number, fn: (x: Tensor) => Tensor[]): Promise<Float32Array> {
  const sums = zeros([length]);
  try {
    noGrad(() => forEachBatch(values, pixels, count, batchSize, (x) => void sums.assign(sums.add(stack(fn(x))))));
    return (await sums.data()) as Float32Array;
  } finally {
    sums.dispose();
  }
}

/** The test-set figures of a VAE (see VaeEvaluation), from one pass over the images. */
export async function evaluateVae(model: Vae, dataset: Dataset<'images'>, options: EvaluationOptions = {}): Promise<VaeEvaluation> {
  const op = 'evaluateVae';
  const { batchSize = 500, generator = new Generator(0) } = options;
  checkBatchSize(op, batchSize);
  const { values, pixels } = imagesOf(op, model, dataset);
  const n = dataset.length;
  const [reconstruction, kl, squaredError] = await sumOverBatches(values, pixels, n, batchSize, 3, (x) => {
    const terms = model.elbo(x, { generator });
    return [terms.reconstruction.sum(), terms.kl.sum(), model.reconstruct(x).sub(x).square().sum()];
  });
  return {
    images: n,
    negativeElbo: (reconstruction + kl) / n,
    reconstruction: reconstruction / n,
    kl: kl / n,
    meanSquaredError: squaredError / (n * pixels),
  };
}

/**
 * The importance-weighted NLL bound of Burda et al. averaged over a dataset's images (or its first
 * `limit`), with k = `samples` per image (see Vae.importanceWeightedNll), and the -ELBO of the same
 * images beside it.
 */
export async function estimateNll(model: Vae, dataset: Dataset<'images'>, options: NllOptions = {}): Promise<NllEstimate> {
  const op = 'estimateNll';
  const { batchSize = 100, samples = 1000, generator = new Generator(0) } = options;
  checkBatchSize(op, batchSize);
  const { values, pixels } = imagesOf(op, model, dataset);
  const images = Math.min(dataset.length, options.limit ?? dataset.length);
  if (!Number.isInteger(images) || images < 1) throw new Error(`${op}: limit must be a positive integer, got ${options.limit}`);
  const [nll, negativeElbo] = await sumOverBatches(values, pixels, images, batchSize, 2, (x) => [
    model.importanceWeightedNll(x, { samples, generator }).sum(),
    model.negativeElbo(x, { generator }).sum(),
  ]);
  return { samples, images, nll: nll / images, negativeElbo: negativeElbo / images };
}

/** Options of `negativeElboScores` and `anomalyDetection`. */
export interface ScoreOptions {
  /** Images per GPU batch (default 500). */
  batchSize?: number;
  /** Single-sample -ELBO estimates averaged per image (default 1). */
  samples?: number;
  /** The noise of every sample drawn (default: a generator seeded with 0, so scores repeat exactly). */
  generator?: Generator;
}

/** -ELBO of each image (nats; higher means less like the training data): the anomaly score. */
export async function negativeElboScores(model: Vae, dataset: Dataset<'images'>, options: ScoreOptions = {}): Promise<Float32Array> {
  const op = 'negativeElboScores';
  const { batchSize = 500, samples = 1, generator = new Generator(0) } = options;
  checkBatchSize(op, batchSize);
  const { values, pixels } = imagesOf(op, model, dataset);
  const parts: Tensor[] = [];
  try {
    forEachBatch(values, pixels, dataset.length, batchSize, (x) => void parts.push(model.negativeElbo(x, { samples, generator }).keep()));
    const all = scope(() => concat(parts));
    const scores = (await all.data()) as Float32Array;
    all.dispose();
    return scores;
  } finally {
    for (const t of parts) t.dispose();
  }
}

/** The examples of an MNIST-like dataset whose label passes `keep`, as a new dataset (copies). */
export function filterByLabel(dataset: MnistDataset, keep: (label: number) => boolean): MnistDataset {
  const pixels = dataset.imageShape.reduce((n, d) => n * d, 1);
  const indices: number[] = [];
  for (let i = 0; i < dataset.length; i++) if (keep(dataset.labels[i])) indices.push(i);
  const images = new Float32Array(indices.length * pixels);
  indices.forEach((from, to) => images.set(dataset.images.subarray(from * pixels, (from + 1) * pixels), to * pixels));
  return new MnistDataset(images, Int32Array.from(indices, (i) => dataset.labels[i]), dataset.imageShape);
}

/** What `anomalyDetection` returns. */
export interface AnomalyResult {
  /** The class left out of training: the positives. */
  digit: number;
  /** ROC-AUC of the -ELBO score, positives = test images of `digit`, negatives = the other test images. */
  auc: number;
  /** Test images of `digit`. */
  anomalies: number;
  /** The other test images. */
  normals: number;
  /** Mean score of the test images of `digit`, nats. */
  meanScoreAnomalous: number;
  /** Mean score of the other test images, nats. */
  meanScoreNormal: number;
}

/**
 * Anomaly detection with a VAE trained without the class `digit` (train it on
 * filterByLabel(train, (l) => l !== digit)): every test image is scored by its -ELBO, and the
 * ROC-AUC says how well that score separates the unseen class from the held-out test digits of the
 * classes the model was trained on.
 */
export async function anomalyDetection(model: Vae, test: MnistDataset, digit: number, options: ScoreOptions = {}): Promise<AnomalyResult> {
  const scores = await negativeElboScores(model, test, options);
  const positive = Array.from(test.labels, (l) => l === digit);
  const anomalies = positive.filter(Boolean).length;
  const mean = (want: boolean) => scores.reduce((s, v, i) => (positive[i] === want ? s + v : s), 0) / Math.max(1, want ? anomalies : test.length - anomalies);
  return {
    digit,
    auc: rocAuc(scores, positive),
    anomalies,
    normals: test.length - anomalies,
    meanScoreAnomalous: mean(true),
    meanScoreNormal: mean(false),
  };
}

/** Options of `synthesizeLabelled`. */
export interface SynthesisOptions {
  /** Interpolation weights towards the partner image are drawn from U(0, maxMix) (default 0.5). */
  maxMix?: number;
  /** Seed of the pairing and mixing draws and of the latent noise (default 0). */
  seed?: number;
}

/**
 * New labelled images from a VAE by same-class latent mixing: for each labelled image x_i and each
 * of `perImage` copies, a partner x_j with the same label is picked at random, z_i ~ q(z|x_i) and
 * z_j ~ q(z|x_j) are drawn, and z = z_i + t (z_j - z_i) with t ~ U(0, maxMix) is decoded (the
 * decoder's mean image). The label is the pair's shared class, so no classifier is needed to label
 * the samples. Returns images [count * perImage, pixels] and their labels.
 */
export async function synthesizeLabelled(
  model: Vae,
  labelled: MnistDataset,
  perImage: number,
  options: SynthesisOptions = {},
): Promise<{
  /** The decoded mean images, row-major [count * perImage, pixels], in [0, 1]. */
  images: Float32Array;
  /** The class of each synthetic image. */
  labels: Int32Array;
}> {
  const op = 'synthesizeLabelled';
  const { maxMix = 0.5, seed = 0 } = options;
  if (!Number.isInteger(perImage) || perImage < 1) throw new Error(`${op}: perImage must be a positive integer, got ${perImage}`);
  if (!(maxMix >= 0 && maxMix <= 1)) throw new Error(`${op}: maxMix must be in [0, 1], got ${maxMix}`);
  const { values, pixels } = imagesOf(op, model, labelled);
  const n = labelled.length;
  const byClass = new Map<number, number[]>();
  labelled.labels.forEach((label, i) => byClass.set(label, [...(byClass.get(label) ?? []), i]));
  const random = new SeededRandom(seed);
  const count = n * perImage;
  const self = new Int32Array(count);
  const partner = new Int32Array(count);
  const mix = new Float32Array(count);
  const labels = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const i = Math.floor(k / perImage);
    const classmates = byClass.get(labelled.labels[i])!;
    self[k] = i;
    partner[k] = classmates[random.int(classmates.length)];
    mix[k] = random.random() * maxMix;
    labels[k] = labelled.labels[i];
  }
  const generator = new Generator(seed);
  const synthetic = noGrad(() =>
    scope(() => {
      const { mu, logVar } = model.encode(tensor(values.subarray(0, n * pixels), [n, pixels]));
      const draw = (rows: Int32Array) => {
        const index = tensor(rows, [count]);
        return reparameterize(indexSelect(mu, 0, index), indexSelect(logVar, 0, index), { generator });
      };
      const zSelf = draw(self);
      const z = zSelf.add(draw(partner).sub(zSelf).mul(tensor(mix, [count, 1])));
      return model.decode(z).sigmoid();
    }),
  );
  const images = (await synthetic.data()) as Float32Array;
  synthetic.dispose();
  return { images, labels };
}

/** Options of `synthesizeClassConditional`. */
export interface ClassConditionalOptions {
  /**
   * Keep a draw only when its own class's Gaussian gives it the highest density of all the classes'
   * (Gaussian discriminant analysis in the latent space), so that no sample is labelled with a class it
   * sits closer to another class than (default true).
   */
  filter?: boolean;
  /** Draws per wanted sample before giving up on a class whose Gaussian overlaps the others too much (default 50). */
  maxDrawsPerSample?: number;
  /** Seed of the latent draws (default 0). */
  seed?: number;
}

/** What `synthesizeClassConditional` returns. */
export interface ClassConditionalSamples {
  /** The decoded mean images, row-major [count, pixels], in [0, 1]. */
  images: Float32Array;
  /** The class of each synthetic image. */
  labels: Int32Array;
  /** The latent each image was decoded from, [count, latentDim]. */
  latents: Float32Array;
  /** Kept draws / all draws (1 without the filter). */
  acceptance: number;
}

/**
 * New labelled images from a VAE by class-conditional generation in its latent space: each class of
 * `labelled` gets a Gaussian N(m_c, S_c) whose mean is the average of its images' posterior means and
 * whose covariance is their sample covariance plus the average posterior variance on the diagonal
 * (which keeps S_c positive definite with fewer images than latent dimensions); `perImage` latents per
 * labelled image are drawn from their class's Gaussian (with `filter`, only those that Gaussian scores
 * highest of all the classes') and decoded to the decoder's mean image. Unlike same-class mixing
 * (synthesizeLabelled), samples can leave the segment between two labelled images: the class's spread
 * in every latent direction is used. The VAE may have been trained on unlabelled images.
 */
export async function synthesizeClassConditional(model: Vae, labelled: MnistDataset, perImage: number, options: ClassConditionalOptions = {}): Promise<ClassConditionalSamples> {
  const op = 'synthesizeClassConditional';
  const { filter = true, maxDrawsPerSample = 50, seed = 0 } = options;
  if (!Number.isInteger(perImage) || perImage < 1) throw new Error(`${op}: perImage must be a positive integer, got ${perImage}`);
  if (!Number.isInteger(maxDrawsPerSample) || maxDrawsPerSample < 1) throw new Error(`${op}: maxDrawsPerSample must be a positive integer, got ${maxDrawsPerSample}`);
  const { values, pixels } = imagesOf(op, model, labelled);
  const n = labelled.length;
  const d = model.latentDim;
  const [mu, variance] = noGrad(() =>
    scope(() => {
      const posterior = model.encode(tensor(values.subarray(0, n * pixels), [n, pixels]));
      return [posterior.mu.detach(), posterior.logVar.exp()];
    }),
  );
  const [means, variances] = [(await mu.data()) as Float32Array, (await variance.data()) as Float32Array];
  mu.dispose();
  variance.dispose();

  const classes = [...new Set(labelled.labels)].sort((a, b) => a - b);
  const gaussians = classes.map((label) => {
    const members = labelled.labels.reduce<number[]>((list, l, i) => (l === label ? [...list, i] : list), []);
    const center = new Float64Array(d);
    for (const i of members) for (let a = 0; a < d; a++) center[a] += means[i * d + a] / members.length;
    const covariance = new Float64Array(d * d);
    for (const i of members) {
      for (let a = 0; a < d; a++) {
        const da = means[i * d + a] - center[a];
        for (let b = 0; b < d; b++) covariance[a * d + b] += (da * (means[i * d + b] - center[b])) / Math.max(1, members.length - 1);
        covariance[a * d + a] += variances[i * d + a] / members.length;
      }
    }
    const factor = cholesky(covariance, d);
    if (!factor) throw new Error(`${op}: the latent covariance of class ${label} is not positive definite (posterior variances of 0?)`);
    const inverse = inverseLower(factor, d);
    let logDet = 0;
    for (let a = 0; a < d; a++) logDet += 2 * Math.log(factor[a * d + a]);
    return { label, count: members.length * perImage, center, factor, inverse, logDet };
  });
  /** log N(z; m_c, S_c) up to the constant every class shares. */
  const logDensity = (g: (typeof gaussians)[number], z: Float64Array) => {
    let quadratic = 0;
    for (let a = 0; a < d; a++) {
      let y = 0;
      for (let b = 0; b <= a; b++) y += g.inverse[a * d + b] * (z[b] - g.center[b]);
      quadratic += y * y;
    }
    return -0.5 * (quadratic + g.logDet);
  };

  const random = new SeededRandom(seed);
  const total = n * perImage;
  const latents = new Float32Array(total * d);
  const labels = new Int32Array(total);
  let kept = 0;
  let draws = 0;
  for (const g of gaussians) {
    let keptOfClass = 0;
    for (let attempt = 0; keptOfClass < g.count; attempt++) {
      if (attempt >= g.count * maxDrawsPerSample) {
        throw new Error(`${op}: class ${g.label}: only ${keptOfClass} of ${attempt} draws scored highest under their own class's Gaussian; pass filter: false, or more labelled images`);
      }
      const noise = Float64Array.from({ length: d }, () => random.normal());
      const z = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let value = g.center[a];
        for (let b = 0; b <= a; b++) value += g.factor[a * d + b] * noise[b];
        z[a] = value;
      }
      draws++;
      if (filter) {
        const own = logDensity(g, z);
        if (gaussians.some((other) => other !== g && logDensity(other, z) > own)) continue;
      }
      latents.set(z, kept * d);
      labels[kept++] = g.label;
      keptOfClass++;
    }
  }
  const decoded = noGrad(() => scope(() => model.decode(tensor(latents, [total, d])).sigmoid()));
  const images = (await decoded.data()) as Float32Array;
  decoded.dispose();
  return { images, labels, latents, acceptance: kept / draws };
}

/** Options of `augmentationExperiment`. */
export interface AugmentationOptions extends SynthesisOptions {
  /** Synthetic images per labelled image (default 10). */
  perImage?: number;
  /** Adam steps of each classifier, the same with and without the synthetic images (default 500). */
  classifierSteps?: number;
  /** Classifier batch size (default 64). */
  batchSize?: number;
  /** Feature width of the MNIST classifier (784-256-h-10, src/models/shared/mnist-classifier.ts) (default 128). */
  hiddenDim?: number;
}

/** What `augmentationExperiment` returns. */
export interface AugmentationResult {
  /** Labelled images used. */
  labelled: number;
  /** Synthetic images added. */
  synthetic: number;
  /** Test accuracy of the classifier trained on the labelled images only. */
  baselineAccuracy: number;
  /** Test accuracy of the same classifier (same initial weights, steps and batch order seed) trained on labelled + synthetic. */
  augmentedAccuracy: number;
  /** augmentedAccuracy - baselineAccuracy (negative when the samples hurt). */
  change: number;
  /** How the synthetic examples were made and labelled. */
  method: string;
}

/** Trains the MNIST classifier on `train` for the experiment's steps and returns its accuracy on `test`. */
async function accuracyAfterTraining(train: MnistDataset, test: MnistDataset, options: Required<Pick<AugmentationOptions, 'classifierSteps' | 'batchSize' | 'hiddenDim' | 'seed'>>): Promise<number> {
  const { classifierSteps, batchSize, hiddenDim, seed } = options;
  const classifier = await trainMnistClassifier(train, { steps: classifierSteps, batchSize, featureDim: hiddenDim, seed, log: () => {} });
  try {
    return await classifierAccuracy(classifier, test);
  } finally {
    classifier.dispose();
  }
}

/** The labelled images followed by `extra` images and their labels (of the same image shape), as one dataset. */
export function withExtraImages(labelled: MnistDataset, extra: { images: Float32Array; labels: Int32Array }): MnistDataset {
  const images = new Float32Array(labelled.images.length + extra.images.length);
  images.set(labelled.images);
  images.set(extra.images, labelled.images.length);
  const labels = new Int32Array(labelled.length + extra.labels.length);
  labels.set(labelled.labels);
  labels.set(extra.labels, labelled.length);
  return new MnistDataset(images, labels, labelled.imageShape);
}

/**
 * Does adding VAE samples to a small labelled set help a classifier? Trains the same MNIST classifier
 * (same initial weights, same number of Adam steps, same batch-order seed) on the labelled images
 * alone and on the labelled images plus synthesizeLabelled's images, and reports both test
 * accuracies as measured. The VAE may have been trained on unlabelled images (the semi-supervised
 * setting); the labels of the synthetic images come from their labelled source images.
 */
export async function augmentationExperiment(model: Vae, labelled: MnistDataset, test: MnistDataset, options: AugmentationOptions = {}): Promise<AugmentationResult> {
  const { perImage = 10, classifierSteps = 500, batchSize = 64, hiddenDim = 128, seed = 0, maxMix = 0.5 } = options;
  if (!Number.isInteger(classifierSteps) || classifierSteps < 1) throw new Error(`augmentationExperiment: classifierSteps must be a positive integer, got ${classifierSteps}`);
  checkBatchSize('augmentationExperiment', batchSize);
  const synthetic = await synthesizeLabelled(model, labelled, perImage, { maxMix, seed });
  const augmented = withExtraImages(labelled, synthetic);
  const settings = { classifierSteps, batchSize, hiddenDim, seed };
  const baselineAccuracy = await accuracyAfterTraining(labelled, test, settings);
  const augmentedAccuracy = await accuracyAfterTraining(augmented, test, settings);
  return {
    labelled: labelled.length,
    synthetic: synthetic.labels.length,
    baselineAccuracy,
    augmentedAccuracy,
    change: augmentedAccuracy - baselineAccuracy,
    method:
      `${perImage} images per labelled image by same-class latent mixing: z_i ~ q(z|x_i), z_j ~ q(z|x_j) for a random ` +
      `x_j of the same label, decode(z_i + t (z_j - z_i)) with t ~ U(0, ${maxMix}), labelled with that class`,
  };
}
