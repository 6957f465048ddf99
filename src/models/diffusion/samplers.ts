// Sampling a trained denoiser: ancestral DDPM (Ho et al. 2020: every step of the schedule, each
// drawing fresh noise) and DDIM (Song et al. 2021: any subsequence of the steps, deterministic at
// eta = 0, DDPM-like at eta = 1), with classifier-free guidance (Ho & Salimans 2021) for conditional
// models. Seeded by a Generator, so a sample is reproducible; async so a caller can show progress
// (onStep receives x_t and the current clean-data estimate at every step).

import { noGrad } from '../../autograd.js';
import { concat } from '../../ops/indexing.js';
import { full, tensor } from '../../ops/creation.js';
import { randn, type Generator } from '../../ops/random.js';
import { Tensor, formatShape, scope } from '../../tensor.js';
import type { Denoiser } from './denoiser.js';
import { predictedNoiseAndData, type Prediction } from './objective.js';
import type { NoiseSchedule } from './schedule.js';

/** What onStep receives at each sampling step. */
export interface SamplingProgress {
  /** Steps done, from 1. */
  step: number;
  /** Steps in all. */
  steps: number;
  /** The diffusion step t just denoised. */
  t: number;
  /** The sample after this step (x_{t-1}, or the final sample after the last step); valid until onStep returns. */
  x: Tensor;
  /** The network's estimate of the clean data at this step; valid until onStep returns. */
  data: Tensor;
}

/** Options of {@link ddpmSample} and {@link ddimSample}. */
export interface SamplerOptions {
  /** Draws the initial noise and each step's noise (default: the global generator). */
  generator?: Generator;
  /**
   * The starting noise x_T, [count, ...dataShape] f32, instead of drawing it (left as it is). DDIM at eta 0 is then a
   * deterministic function of it, so it can serve as a latent to interpolate.
   */
  noise?: Tensor;
  /** Class of each sample (a conditional model; default "no class"). */
  labels?: Tensor | readonly number[];
  /**
   * Classifier-free guidance scale s: the prediction is uncond + s (cond - uncond), so 1 is the conditional model
   * alone and larger values follow the class more closely (default 1). Needs labels.
   */
  guidanceScale?: number;
  /** What the model predicts (default 'epsilon'; as it was trained). */
  prediction?: Prediction;
  /** Clip the clean-data estimate into [-clipData, clipData] at each step (images in [-1, 1]: 1; default none). */
  clipData?: number | null;
  /** Called after every step (awaited), e.g. to draw x_t or report progress. */
  onStep?: (progress: SamplingProgress) => void | Promise<void>;
}

/** Options of {@link ddimSample}. */
export interface DdimOptions extends SamplerOptions {
  /** Denoising steps, at most the schedule's (default 50). */
  steps?: number;
  /** 0: deterministic DDIM; 1: the DDPM posterior's noise (default 0). */
  eta?: number;
}

/** One step's prediction with guidance: the noise and clean-data estimates at x_t. */
type Predict = (x: Tensor, t: number) => { noise: Tensor; data: Tensor };

/** The guided, clipped predictor of a sampling run, after checking its options. */
function predictor(op: string, model: Denoiser, schedule: NoiseSchedule, count: number, options: SamplerOptions): { predict: Predict; labels: Tensor | null } {
  const { prediction = 'epsilon', guidanceScale = 1, clipData = null } = options;
  if (!Number.isInteger(count) || count < 1) throw new Error(`${op}: count must be a positive integer, got ${count}`);
  if (!Number.isFinite(guidanceScale)) throw new Error(`${op}: guidanceScale must be a finite number, got ${guidanceScale}`);
  if (clipData !== null && !(clipData > 0)) throw new Error(`${op}: clipData must be a number > 0 or null, got ${clipData}`);
  if (options.labels && model.numClasses === 0) throw new Error(`${op}: labels given to an unconditional model`);
  if (guidanceScale !== 1 && !options.labels) throw new Error(`${op}: guidanceScale ${guidanceScale} needs labels (the class to guide towards)`);
  let labels: Tensor | null = null;
  if (options.labels) {
    const given = options.labels;
    labels = given instanceof Tensor ? given : tensor(Int32Array.from(given)).keep();
    if (labels.rank !== 1 || labels.shape[0] !== count || labels.dtype !== 'i32') {
      const shape = `[${labels.shape.join(', ')}] ${labels.dtype}`;
      if (!(given instanceof Tensor)) labels.dispose();
      throw new Error(`${op}: labels must be ${count} class indices (i32), got ${shape}`);
    }
  }
  const guided = labels !== null && guidanceScale !== 1;
  const predict: Predict = (x, t) => {
    let output: Tensor;
    if (guided) {
      // One forward pass over [x; x] with [labels; no class], then uncond + s (cond - uncond).
      const both = model.forward(concat([x, x]), full([2 * count], t), concat([labels!, full([count], model.numClasses, { dtype: 'i32' })]));
      const [cond, uncond] = [both.slice(0, 0, count), both.slice(0, count, 2 * count)];
      output = uncond.add(cond.sub(uncond).mul(guidanceScale));
    } else {
      output = model.forward(x, full([count], t), labels ?? undefined);
    }
    const estimate = predictedNoiseAndData(output, x, schedule.alphaBar(t), prediction);
    if (clipData === null) return estimate;
    // Clipped, the data estimate no longer matches the predicted noise: the noise is made consistent with it.
    const data = estimate.data.clamp(-clipData, clipData);
    const alphaBar = schedule.alphaBar(t);
    return { data, noise: x.sub(data.mul(Math.sqrt(alphaBar))).mul(1 / Math.sqrt(1 - alphaBar)) };
  };
  return { predict, labels };
}

/** Checks given starting noise against the samples' shape [count, ...dataShape]. */
function checkNoise(op: string, noise: Tensor, shape: readonly number[]): void {
  noise.assertAlive(op);
  if (noise.dtype !== 'f32' || formatShape(noise.shape) !== formatShape(shape)) {
    throw new Error(`${op}: noise must be f32 ${formatShape(shape)} (count, ...dataShape), got ${formatShape(noise.shape)} ${noise.dtype}`);
  }
}

/** Runs the reverse process over `timesteps` (decreasing), `update` giving x_{prev} from x_t and the estimates. */
async function reverseProcess(
  op: string, model: Denoiser, schedule: NoiseSchedule, count: number, options: SamplerOptions, timesteps: number[],
  update: (x: Tensor, t: number, prev: number, estimate: { noise: Tensor; data: Tensor }, generator?: Generator) => Tensor,
): Promise<Tensor> {
  if (options.noise) checkNoise(op, options.noise, [count, ...model.dataShape]);
  const { predict, labels } = predictor(op, model, schedule, count, options);
  const ownsLabels = labels !== null && !(options.labels instanceof Tensor);
  const wasTraining = model.training;
  model.eval();
  // Given noise is copied: the loop frees each x_t once it has the next.
  let x = (options.noise ? options.noise.clone() : randn([count, ...model.dataShape], { generator: options.generator })).keep();
  try {
    for (let i = 0; i < timesteps.length; i++) {
      const [t, prev] = [timesteps[i], timesteps[i + 1] ?? -1];
      // The estimate is kept past the step only for onStep: computing it into a buffer of its own is a pass
      // that the step's fused update otherwise folds away.
      const { next, data } = noGrad(() =>
        scope(() => {
          const estimate = predict(x, t);
          return { next: update(x, t, prev, estimate, options.generator), data: options.onStep ? estimate.data : null };
        }),
      );
      x.dispose();
      x = next.keep();
      if (!data) continue;
      try {
        await options.onStep!({ step: i + 1, steps: timesteps.length, t, x, data });
      } finally {
        data.dispose();
      }
    }
    return x;
  } catch (error) {
    x.dispose();
    throw error;
  } finally {
    if (ownsLabels) labels.dispose();
    model.train(wasTraining);
  }
}

/**
 * Ancestral sampling (Ho et al., Algorithm 2) through all the schedule's steps: x_{t-1} is the posterior
 * mean given the clean-data estimate plus noise of the posterior variance β̃_t (none at the last step).
 * Returns `count` samples [count, ...dataShape], which the caller disposes.
 */
export async function ddpmSample(model: Denoiser, schedule: NoiseSchedule, count: number, options: SamplerOptions = {}): Promise<Tensor> {
  const timesteps = Array.from({ length: schedule.steps }, (_, i) => schedule.steps - 1 - i);
  return reverseProcess('ddpmSample', model, schedule, count, options, timesteps, (x, t, _prev, { data }, generator) => {
    const posterior = schedule.posterior(t);
    const mean = data.mul(posterior.x0).add(x.mul(posterior.xt));
    return t === 0 ? mean : mean.add(randn(x.shape, { generator }).mul(Math.sqrt(posterior.variance)));
  });
}

/**
 * DDIM sampling (Song et al., eq. 12) through `steps` evenly spaced steps t = 0, k, 2k, ... (k = T / steps, taken
 * from the largest down; diffusers' "leading" spacing): x_prev = sqrt(ā_prev) x̂_0 + sqrt(1 - ā_prev - σ²) ε̂ + σ z
 * with σ = eta sqrt((1 - ā_prev) / (1 - ā_t) (1 - ā_t / ā_prev)). Returns [count, ...dataShape].
 */
export async function ddimSample(model: Denoiser, schedule: NoiseSchedule, count: number, options: DdimOptions = {}): Promise<Tensor> {
  const { steps = 50, eta = 0 } = options;
  if (!Number.isInteger(steps) || steps < 1 || steps > schedule.steps) {
    throw new Error(`ddimSample: steps must be an integer in [1, ${schedule.steps}], got ${steps}`);
  }
  if (!(eta >= 0) || !Number.isFinite(eta)) throw new Error(`ddimSample: eta must be a finite number >= 0, got ${eta}`);
  const stride = Math.floor(schedule.steps / steps);
  const timesteps = Array.from({ length: steps }, (_, i) => (steps - 1 - i) * stride);
  return reverseProcess('ddimSample', model, schedule, count, options, timesteps, (x, t, prev, { noise, data }, generator) => {
    const [alphaBar, alphaBarPrev] = [schedule.alphaBar(t), schedule.alphaBar(prev)];
    const sigma = eta * Math.sqrt(((1 - alphaBarPrev) / (1 - alphaBar)) * (1 - alphaBar / alphaBarPrev));
    const next = data.mul(Math.sqrt(alphaBarPrev)).add(noise.mul(Math.sqrt(Math.max(0, 1 - alphaBarPrev - sigma * sigma))));
    return sigma > 0 ? next.add(randn(x.shape, { generator }).mul(sigma)) : next;
  });
}
