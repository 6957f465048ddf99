// The models' anomaly scores (higher = more anomalous), as functions an AnomalyDetector takes: a VAE's
// negative ELBO, importance-weighted NLL bound or reconstruction error; a PCA's reconstruction error or
// negative PPCA log-likelihood; a Gaussian mixture's negative log-likelihood, of the rows or of
// features of them (e.g. their PCA projections or a VAE's posterior means); a diffusion model's
// denoising error.

import { noGrad } from '../../autograd.js';
import { Tensor, scope } from '../../tensor.js';
import { full } from '../../ops/creation.js';
import { cast, neg } from '../../ops/elementwise.js';
import { Generator, randn } from '../../ops/random.js';
import type { Denoiser } from '../diffusion/denoiser.js';
import { perExample, type Prediction } from '../diffusion/objective.js';
import type { NoiseSchedule } from '../diffusion/schedule.js';
import type { GaussianMixture } from '../gmm/model.js';
import type { Vae } from '../vae/model.js';
import type { AnomalyScore } from './detector.js';
import type { Pca } from './pca.js';

/** Which of a VAE's scores: 'elbo' (-ELBO), 'iwae' (the importance-weighted bound on -log p(x)) or 'reconstruction'. */
export type VaeScoreKind = 'elbo' | 'iwae' | 'reconstruction';

/** Options of {@link vaeScore}. */
export interface VaeScoreOptions {
  /** The score (default 'elbo'). */
  kind?: VaeScoreKind;
  /** Samples per image: averaged -ELBO estimates ('elbo', default 1) or importance samples k ('iwae', default 64). */
  samples?: number;
  /** The noise (default: a generator seeded with 0, so scores repeat exactly). */
  generator?: Generator;
}

/** A VAE's score of images [N, pixels] or [N, 1, H, W], in nats. */
export function vaeScore(model: Vae, options: VaeScoreOptions = {}): AnomalyScore {
  const { kind = 'elbo', generator = new Generator(0) } = options;
  if (kind === 'elbo') return (x) => model.negativeElbo(x, { samples: options.samples ?? 1, generator });
  if (kind === 'iwae') return (x) => model.importanceWeightedNll(x, { samples: options.samples ?? 64, generator });
  if (kind === 'reconstruction') return (x) => model.reconstructionError(x);
  throw new Error(`vaeScore: kind must be 'elbo', 'iwae' or 'reconstruction', got '${String(kind)}'`);
}

/** A PCA's score: 'reconstruction' (squared distance from the k-component reconstruction, default) or 'likelihood' (-log density under PPCA). */
export function pcaScore(pca: Pca, options: { kind?: 'reconstruction' | 'likelihood' } = {}): AnomalyScore {
  const { kind = 'reconstruction' } = options;
  if (kind === 'reconstruction') return (x) => pca.reconstructionError(x);
  if (kind === 'likelihood') return (x) => scope(() => neg(pca.scoreSamples(x)));
  throw new Error(`pcaScore: kind must be 'reconstruction' or 'likelihood', got '${String(kind)}'`);
}

/** A Gaussian mixture's -log density of the rows, or of `features(rows)` when given (e.g. (x) => pca.transform(x)). */
export function gmmScore(gmm: GaussianMixture, features?: (x: Tensor) => Tensor): AnomalyScore {
  return (x) => scope(() => neg(gmm.scoreSamples(features ? features(x) : x)));
}

/** Options of {@link diffusionScore}. */
export interface DiffusionScoreOptions {
  /**
   * The diffusion steps t the error is averaged over (default: 10 steps evenly spread over the first half
   * of the schedule, where the noised image still carries the digit's shape).
   */
  steps?: readonly number[];
  /** Noise draws per step and image (default 1). */
  samples?: number;
  /** What the network predicts, as it was trained (default 'epsilon'). */
  prediction?: Prediction;
  /** The noise (default: a generator seeded with 0, so scores repeat exactly). */
  generator?: Generator;
}

/**
 * A diffusion model's denoising error as the score: each image is noised to x_t at each of `steps` and the
 * squared error of the network's prediction (of ε, or of v) is averaged over the elements, the steps and
 * the draws. A model trained on normal data predicts the noise added to a normal image better than that
 * added to an anomaly (the DDPM loss is a bound on -log p(x) up to the weighting of its steps).
 */
export function diffusionScore(model: Denoiser, schedule: NoiseSchedule, options: DiffusionScoreOptions = {}): AnomalyScore {
  const { samples = 1, prediction = 'epsilon', generator = new Generator(0) } = options;
  const steps = options.steps ?? Array.from({ length: 10 }, (_, i) => Math.round(((i + 0.5) * schedule.steps) / 20));
  if (steps.length === 0 || steps.some((t) => !Number.isInteger(t) || t < 0 || t >= schedule.steps)) {
    throw new Error(`diffusionScore: steps must be integers in [0, ${schedule.steps}), got [${steps.join(', ')}]`);
  }
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`diffusionScore: samples must be a positive integer, got ${samples}`);
  if (prediction !== 'epsilon' && prediction !== 'v') throw new Error(`diffusionScore: prediction must be 'epsilon' or 'v', got '${String(prediction)}'`);
  return (x) =>
    noGrad(() =>
      scope(() => {
        const n = x.shape[0];
        let total: Tensor | null = null;
        for (const step of steps) {
          const t = full([n], step, { dtype: 'i32' });
          const { signal, noise: sigma } = schedule.forwardCoefficients(t);
          const [signalOf, sigmaOf] = [signal.reshape(perExample(x)), sigma.reshape(perExample(x))];
          for (let draw = 0; draw < samples; draw++) {
            const noise = randn(x.shape, { generator });
            const xt = x.mul(signalOf).add(noise.mul(sigmaOf));
            const target = prediction === 'epsilon' ? noise : noise.mul(signalOf).sub(x.mul(sigmaOf));
            const error = model.forward(xt, cast(t, 'f32')).sub(target).square().reshape([n, -1]).mean(1);
            total = total ? total.add(error) : error;
          }
        }
        return total!.div(steps.length * samples);
      }),
    );
}
