// The DDPM training objective (Ho et al. 2020, the "simple" loss): draw a step t and noise ε per
// example, noise the data to x_t = sqrt(ā_t) x_0 + sqrt(1 - ā_t) ε, and regress the network's output on
// ε (or on v = sqrt(ā_t) ε - sqrt(1 - ā_t) x_0, Salimans & Ho 2022) with the mean squared error. For
// classifier-free guidance (Ho & Salimans 2021) a fraction of the labels is replaced by "no class".
// Also the conversions between what the network predicts and the clean-data estimate the samplers use.

import { cast, where } from '../../ops/elementwise.js';
import { rand, randint, randn, type Generator } from '../../ops/random.js';
import { mseLoss } from '../../nn/losses.js';
import type { Tensor } from '../../tensor.js';
import type { Denoiser } from './denoiser.js';
import type { NoiseSchedule } from './schedule.js';

/** What the network predicts: the noise ε (Ho et al.) or v = sqrt(ā) ε - sqrt(1 - ā) x_0 (Salimans & Ho). */
export type Prediction = 'epsilon' | 'v';

/** Options of {@link diffusionLoss}. */
export interface DiffusionLossOptions {
  /** What the network predicts (default 'epsilon'). */
  prediction?: Prediction;
  /** Draws the steps, the noise and the label dropout (default: the global generator). */
  generator?: Generator;
  /** Class labels [B] i32, for a conditional model. */
  labels?: Tensor;
  /** The fraction of labels replaced by "no class" (classifier-free guidance; default 0). */
  labelDropout?: number;
}

/** The shape that broadcasts a per-example [B] tensor over a batch of `x`'s shape. */
export function perExample(x: Tensor): number[] {
  return [x.shape[0], ...x.shape.slice(1).map(() => 1)];
}

/** The DDPM loss of one batch x_0 [B, ...dataShape]: the mean over examples and elements of the squared error. */
export function diffusionLoss(model: Denoiser, schedule: NoiseSchedule, x0: Tensor, options: DiffusionLossOptions = {}): Tensor {
  const { prediction = 'epsilon', generator, labels, labelDropout = 0 } = options;
  if (!(labelDropout >= 0 && labelDropout <= 1)) throw new Error(`diffusionLoss: labelDropout must be in [0, 1], got ${labelDropout}`);
  const batch = x0.shape[0];
  const t = randint(0, schedule.steps, [batch], { generator });
  const noise = randn(x0.shape, { generator });
  let conditioning = labels;
  if (labels && labelDropout > 0) {
    const kept = rand([batch], { generator }).ge(labelDropout);
    conditioning = where(kept, labels, model.numClasses);
  }
  return diffusionLossAt(model, schedule, x0, t, noise, { prediction, labels: conditioning });
}

/**
 * The DDPM loss for given steps t ([B] i32) and noise ε (x_0's shape): what diffusionLoss computes once it has drawn
 * them (a replay against another implementation passes its draws here).
 */
export function diffusionLossAt(
  model: Denoiser, schedule: NoiseSchedule, x0: Tensor, t: Tensor, noise: Tensor, options: { prediction?: Prediction; labels?: Tensor } = {},
): Tensor {
  const { prediction = 'epsilon', labels } = options;
  const coefficients = schedule.forwardCoefficients(t);
  const signal = coefficients.signal.reshape(perExample(x0));
  const sigma = coefficients.noise.reshape(perExample(x0));
  const xt = x0.mul(signal).add(noise.mul(sigma));
  const target = prediction === 'epsilon' ? noise : noise.mul(signal).sub(x0.mul(sigma));
  return mseLoss(model.forward(xt, cast(t, 'f32'), labels), target);
}

/** What a network output at x_t implies. */
export interface NoiseAndData {
  /** The noise ε. */
  noise: Tensor;
  /** The clean-data estimate x̂_0. */
  data: Tensor;
}

/** The noise ε and clean-data estimate x̂_0 implied by a network output at x_t with ā = alphaBar. */
export function predictedNoiseAndData(output: Tensor, xt: Tensor, alphaBar: number, prediction: Prediction): NoiseAndData {
  const [signal, sigma] = [Math.sqrt(alphaBar), Math.sqrt(1 - alphaBar)];
  if (prediction === 'epsilon') return { noise: output, data: xt.sub(output.mul(sigma)).mul(1 / signal) };
  // v = signal ε - sigma x_0 and x_t = signal x_0 + sigma ε give ε = signal v + sigma x_t, x_0 = signal x_t - sigma v.
  return { noise: output.mul(signal).add(xt.mul(sigma)), data: xt.mul(signal).sub(output.mul(sigma)) };
}
