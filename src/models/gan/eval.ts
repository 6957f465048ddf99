// Judging an MNIST generator without Inception weights, with the MNIST classifier of
// src/models/shared/mnist-classifier.ts:
//   - the Fréchet classifier distance (FCD): the Fréchet distance between Gaussians fitted to its
//     penultimate-layer features of generated and of test images (the FID recipe with our own net);
//   - the histogram of its predicted labels over the samples: which of the 10 digits are covered;
//   - its mean confidence (max softmax probability): low when samples are not recognisable digits.

import { noGrad } from '../../autograd.js';
import { Tensor, scope } from '../../tensor.js';
import { concat } from '../../ops/indexing.js';
import { randn, type Generator } from '../../ops/random.js';
import type { GaussianStatistics } from '../../metrics/frechet.js';
import { evaluateImages, type ImageEvaluation, type MnistClassifier } from '../shared/mnist-classifier.js';
import type { GanGenerator } from './model.js';

/** How a generator's images look to the classifier (see evaluateImages). */
export type GeneratorEvaluation = ImageEvaluation;

/** Options of `evaluateGenerator`. */
export interface GeneratorEvaluationOptions {
  /** Images to generate (default 10000). */
  samples?: number;
  /** Latents per generator batch (default 500). */
  batchSize?: number;
  /** The latent noise's stream (default: the default generator). */
  generator?: Generator;
}

/**
 * Generates `samples` images (generator outputs in [-1, 1] are mapped to [0, 1]) in evaluation mode
 * and compares them with the reference statistics (e.g. classifierReport of the 10k test images).
 */
export async function evaluateGenerator(
  generator: GanGenerator,
  classifier: MnistClassifier,
  reference: GaussianStatistics,
  options: GeneratorEvaluationOptions = {},
): Promise<GeneratorEvaluation> {
  const { samples = 10000, batchSize = 500 } = options;
  const images = generateImages(generator, samples, { batchSize, generator: options.generator });
  try {
    return await evaluateImages(classifier, images, reference);
  } finally {
    images.dispose();
  }
}

/** n images from the generator in evaluation mode, its tanh range [-1, 1] mapped to [0, 1] (the caller disposes them). */
export function generateImages(generator: GanGenerator, n: number, options: { batchSize?: number; generator?: Generator } = {}): Tensor {
  const { batchSize = 500 } = options;
  if (!Number.isInteger(n) || n < 1) throw new Error(`generateImages: n must be a positive integer, got ${n}`);
  const wasTraining = generator.training;
  generator.eval();
  try {
    return noGrad(() =>
      scope(() => {
        const parts: Tensor[] = [];
        for (let start = 0; start < n; start += batchSize) {
          const count = Math.min(batchSize, n - start);
          parts.push(scope(() => generator.forward(randn([count, generator.latentDim], { generator: options.generator })).add(1).mul(0.5)));
        }
        return parts.length === 1 ? parts[0] : concat(parts);
      }),
    );
  } finally {
    generator.train(wasTraining);
  }
}
