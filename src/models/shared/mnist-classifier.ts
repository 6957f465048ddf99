// The MNIST classifier behind the evaluation of the image models: a small MLP trained in this engine
// (through trainLoop) and kept as a safetensors checkpoint. The GAN's metrics use its penultimate-layer
// features (the Fréchet classifier distance), its predicted labels (digit coverage) and its confidence;
// the VAE's augmentation experiment trains it on labelled digits with and without generated ones.

import { noGrad } from '../../autograd.js';
import { Tensor, formatShape, scope } from '../../tensor.js';
import { tensor, zeros } from '../../ops/creation.js';
import { concat } from '../../ops/indexing.js';
import { Generator as RandomGenerator } from '../../ops/random.js';
import { Linear } from '../../nn/layers.js';
import { crossEntropy } from '../../nn/losses.js';
import { Module } from '../../nn/module.js';
import { Adam } from '../../optim/adam.js';
import { batches, type Dataset } from '../../data/loader.js';
import type { MnistDataset } from '../../data/mnist.js';
import { loadCheckpoint, saveCheckpoint } from '../../io/checkpoint.js';
import { readHeader } from '../../io/format.js';
import { frechetDistance, gaussianStatistics, type GaussianStatistics } from '../../metrics/frechet.js';
import { formatProgress, trainLoop } from '../../train/index.js';

/**
 * 784 -> 256 -> ReLU -> featureDim -> ReLU -> 10, on images with pixels in [0, 1] ([N, 784] or
 * [N, 1, 28, 28]). `features` is the penultimate layer, after its ReLU. Keys fc1, fc2, fc3.
 */
export class MnistClassifier extends Module {
  /** Width of the penultimate (feature) layer. */
  readonly featureDim: number;
  /** 784 -> 256. Key 'fc1'. */
  readonly fc1: Linear;
  /** 256 -> featureDim. Key 'fc2'. */
  readonly fc2: Linear;
  /** featureDim -> 10 digit logits. Key 'fc3'. */
  readonly fc3: Linear;

  constructor(featureDim = 128, options: { generator?: RandomGenerator } = {}) {
    super();
    this.featureDim = featureDim;
    if (!Number.isInteger(featureDim) || featureDim < 1) throw new Error(`MnistClassifier: featureDim must be a positive integer, got ${featureDim}`);
    this.fc1 = this.registerModule('fc1', new Linear(784, 256, options));
    this.fc2 = this.registerModule('fc2', new Linear(256, featureDim, options));
    this.fc3 = this.registerModule('fc3', new Linear(featureDim, 10, options));
  }

  private flat(x: Tensor): Tensor {
    x.assertAlive('MnistClassifier');
    if (x.dtype !== 'f32' || x.rank < 2 || x.size !== x.shape[0] * 784) {
      throw new Error(`MnistClassifier: expected f32 images [N, 784] or [N, 1, 28, 28] with pixels in [0, 1], got ${formatShape(x.shape)} ${x.dtype}`);
    }
    return x.rank === 2 ? x : x.reshape([x.shape[0], 784]);
  }

  /**
   * The penultimate layer's activations [N, featureDim] (after its ReLU): the features the Fréchet distance compares.
   */
  features(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(this.flat(x)).relu()).relu();
  }

  forward(x: Tensor): Tensor {
    return this.fc3.forward(this.features(x));
  }
}

/** Options of `trainMnistClassifier`. */
export interface ClassifierTrainingOptions {
  /** Passes over the training set (default 2). */
  epochs?: number;
  /** Adam steps to take instead of whole epochs (the batches run on into further epochs as needed). */
  steps?: number;
  /** Images per step (default 128). */
  batchSize?: number;
  /** Adam's learning rate (default 1e-3). */
  lr?: number;
  /** Seeds the initial weights and the batch order (default 0). */
  seed?: number;
  /** Width of the feature layer (default 128). */
  featureDim?: number;
  /** Receives the progress line of each epoch (default console.log). */
  log?: (line: string) => void;
}

/** The batches of epoch 0, 1, 2, ... of a dataset, one after another without end. */
function* epochsOf<K extends string>(dataset: Dataset<K>, batchSize: number, seed: number): Generator<Record<K, Tensor>, void, undefined> {
  for (let epoch = 0; ; epoch++) yield* batches(dataset, { batchSize, seed, epoch });
}

/**
 * Trains an MnistClassifier with Adam and cross-entropy through trainLoop, one progress line per epoch (2 epochs of
 * batch 128 reach about 97% test accuracy).
 */
export async function trainMnistClassifier(train: MnistDataset, options: ClassifierTrainingOptions = {}): Promise<MnistClassifier> {
  const { epochs = 2, batchSize = 128, lr = 1e-3, seed = 0, featureDim = 128, log = console.log } = options;
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const steps = options.steps ?? epochs * stepsPerEpoch;
  const classifier = new MnistClassifier(featureDim, { generator: new RandomGenerator(seed) });
  const optimizer = new Adam(classifier.namedParameters(), { lr });
  try {
    await trainLoop({
      trainer: {
        step: ({ images, labels }: Record<'images' | 'labels', Tensor>) => {
          optimizer.zeroGrad();
          const loss = crossEntropy(classifier.forward(images), labels);
          loss.backward();
          optimizer.step();
          return { loss: loss.detach() };
        },
      },
      batches: epochsOf(train, batchSize, seed),
      steps,
      examplesPerStep: batchSize,
      unit: 'img',
      logEvery: stepsPerEpoch,
      onProgress: (p) => log(`classifier ${formatProgress(p)}`),
    });
  } catch (error) {
    classifier.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
  return classifier.eval();
}

/** The share of a dataset's images the classifier labels correctly (batches of 1000, one read at the end). */
export async function classifierAccuracy(classifier: MnistClassifier, dataset: MnistDataset): Promise<number> {
  const pixels = dataset.imageShape.reduce((n, d) => n * d, 1);
  const wasTraining = classifier.training;
  classifier.eval();
  const correct = zeros([]);
  try {
    noGrad(() => {
      for (let begin = 0; begin < dataset.length; begin += 1000) {
        const end = Math.min(dataset.length, begin + 1000);
        scope(() => {
          const x = tensor(dataset.images.subarray(begin * pixels, end * pixels), [end - begin, pixels]);
          const hits = classifier.forward(x).argmax(-1).eq(tensor(dataset.labels.subarray(begin, end), [end - begin])).sum();
          correct.assign(correct.add(hits));
        });
      }
    });
    return (await correct.item()) / dataset.length;
  } finally {
    correct.dispose();
    classifier.train(wasTraining);
  }
}

/** The classifier as safetensors bytes (weights and its feature size in the metadata). */
export async function saveMnistClassifier(classifier: MnistClassifier): Promise<Uint8Array> {
  return saveCheckpoint({ model: classifier, metadata: { featureDim: String(classifier.featureDim) } });
}

/** A classifier from saveMnistClassifier's bytes, in evaluation mode. */
export async function loadMnistClassifier(bytes: Uint8Array): Promise<MnistClassifier> {
  const featureDim = Number(readHeader(bytes).metadata.featureDim ?? 128);
  const classifier = new MnistClassifier(featureDim);
  await loadCheckpoint(bytes, { model: classifier });
  return classifier.eval();
}

/** What the classifier sees in a set of images. */
export interface ClassifierReport {
  /** The Gaussian of the penultimate-layer features. */
  statistics: GaussianStatistics;
  /** Images predicted as each digit 0..9. */
  labelHistogram: Int32Array;
  /** Digits predicted for at least `coverageShare` of the images. */
  digitsCovered: number;
  /** Mean over images of the largest softmax probability. */
  meanConfidence: number;
  /** Accuracy against `labels` when they were given. */
  accuracy?: number;
}

/** Options of `classifierReport`. */
export interface ReportOptions {
  /** Images per GPU batch (default 1000). */
  batchSize?: number;
  /** A digit is covered when at least this share of images is predicted as it (default 0.01). */
  coverageShare?: number;
  /** True labels [N] (i32) for the accuracy. */
  labels?: Tensor;
}

/** Runs the classifier over images [N, 784] or [N, 1, 28, 28] with pixels in [0, 1]. */
export async function classifierReport(classifier: MnistClassifier, images: Tensor, options: ReportOptions = {}): Promise<ClassifierReport> {
  const { batchSize = 1000, coverageShare = 0.01, labels } = options;
  images.assertAlive('classifierReport');
  const n = images.shape[0];
  const wasTraining = classifier.training;
  classifier.eval();
  const { features, predictions, confidence } = noGrad(() =>
    scope(() => {
      const parts: { features: Tensor; predictions: Tensor; confidence: Tensor }[] = [];
      for (let start = 0; start < n; start += batchSize) {
        parts.push(
          scope(() => {
            const f = classifier.features(images.slice(0, start, Math.min(n, start + batchSize)));
            const probs = classifier.fc3.forward(f).softmax(-1);
            return { features: f, predictions: probs.argmax(-1), confidence: probs.max(-1) };
          }),
        );
      }
      const join = (key: 'features' | 'predictions' | 'confidence') => (parts.length === 1 ? parts[0][key] : concat(parts.map((p) => p[key])));
      return { features: join('features'), predictions: join('predictions'), confidence: join('confidence').mean() };
    }),
  );
  classifier.train(wasTraining);
  try {
    const statistics = await gaussianStatistics(features);
    const predicted = await predictions.data();
    const labelHistogram = new Int32Array(10);
    for (const digit of predicted) labelHistogram[digit]++;
    let accuracy: number | undefined;
    if (labels) {
      const truth = await labels.data();
      let correct = 0;
      for (let i = 0; i < n; i++) if (predicted[i] === truth[i]) correct++;
      accuracy = correct / n;
    }
    return {
      statistics,
      labelHistogram,
      digitsCovered: labelHistogram.filter((count) => count >= coverageShare * n).length,
      meanConfidence: await confidence.item(),
      accuracy,
    };
  } finally {
    features.dispose();
    predictions.dispose();
    confidence.dispose();
  }
}

/**
 * How generated images look to the classifier: the Fréchet classifier distance (FCD: the FID recipe with this net's
 * penultimate features) to reference statistics, and the predicted-digit histogram, coverage and confidence.
 */
export interface ImageEvaluation extends Omit<ClassifierReport, 'statistics' | 'accuracy'> {
  /** The Fréchet classifier distance to the reference images. */
  fcd: number;
}

/** Evaluates images [N, 784] in [0, 1] (any generator's) against reference statistics (classifierReport of test images). */
export async function evaluateImages(classifier: MnistClassifier, images: Tensor, reference: GaussianStatistics): Promise<ImageEvaluation> {
  const report = await classifierReport(classifier, images);
  return { fcd: frechetDistance(report.statistics, reference), labelHistogram: report.labelHistogram, digitsCovered: report.digitsCovered, meanConfidence: report.meanConfidence };
}
