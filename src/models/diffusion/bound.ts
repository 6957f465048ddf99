// The variational bound of a pixel-space diffusion model in bits per dimension (Ho et al. 2020,
// eq. 5; computed as improved-diffusion's calc_bpd_loop): for images in [-1, 1] quantised to 256
// levels,
//   -log p(x_0) <= KL(q(x_T | x_0) || N(0, I))                       the prior term
//                + sum over t >= 1 of KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t))
//                - log p(x_0 | x_1)                                   the decoder term,
// each KL term estimated with one draw of x_t per image. p(x_{t-1} | x_t) has the sampler's mean and
// the posterior variance β̃_t (ddpmSample's), so both Gaussians share their variance and the KL is
// c0² |x_0 - x̂_0|² / (2 β̃_t). The decoder is the discretised Gaussian of Ho et al. around x̂_0, with
// variance β̃_1 (β̃_0 is 0; improved-diffusion clips it the same way). Summed over pixels, divided by
// the pixel count and ln 2.

import { noGrad } from '../../autograd.js';
import { full } from '../../ops/creation.js';
import { where } from '../../ops/elementwise.js';
import { randn, type Generator } from '../../ops/random.js';
import { scope, type Tensor } from '../../tensor.js';
import type { Denoiser } from './denoiser.js';
import { predictedNoiseAndData, type Prediction } from './objective.js';
import type { NoiseSchedule } from './schedule.js';

/** Options of {@link variationalBound}. */
export interface BoundOptions {
  /** What the model predicts (default 'epsilon'). */
  prediction?: Prediction;
  /** Class labels [B] i32 for a conditional model (default: "no class"). */
  labels?: Tensor;
  /** Draws each term's x_t (default: the global generator). */
  generator?: Generator;
  /** Called after each step t is added (awaited), e.g. for progress. */
  onStep?: (done: number, total: number) => void | Promise<void>;
}

/** The bound's parts, in bits per dimension, averaged over the images. */
export interface VariationalBound {
  /** The whole bound: prior + diffusion + decoder. */
  bitsPerDim: number;
  /** KL(q(x_T | x_0) || N(0, I)). */
  prior: number;
  /** The sum of the KL terms of t = 1 .. T-1. */
  diffusion: number;
  /** -log p(x_0 | x_1) under the discretised Gaussian. */
  decoder: number;
}

/** log of the probability of [lo, hi] under N(mean, σ²) for each pixel's quantisation bin, from Φ = (1 + erf(z / √2)) / 2. */
function discretisedLogLikelihood(x: Tensor, mean: Tensor, sigma: number): Tensor {
  const halfBin = 1 / 255;
  const cdf = (edge: Tensor) => edge.sub(mean).mul(1 / (sigma * Math.SQRT2)).erf().add(1).mul(0.5);
  // The outermost bins extend to ±infinity, so the 256 probabilities sum to one.
  const upper = where(x.gt(0.999), 1, cdf(x.add(halfBin)));
  const lower = where(x.lt(-0.999), 0, cdf(x.sub(halfBin)));
  return upper.sub(lower).maximum(1e-12).log();
}

/**
 * The variational bound on -log p(x_0) of images x_0 [B, C, H, W] with values on the 256 levels of [-1, 1] (pixels
 * p / 255 mapped by 2x - 1), in bits per dimension. Runs the model once per diffusion step.
 */
export async function variationalBound(model: Denoiser, schedule: NoiseSchedule, x0: Tensor, options: BoundOptions = {}): Promise<VariationalBound> {
  const { prediction = 'epsilon', labels, generator } = options;
  const [batch, dims] = [x0.shape[0], x0.size / x0.shape[0]];
  const toBits = 1 / (batch * dims * Math.LN2);
  const T = schedule.steps;
  const wasTraining = model.training;
  model.eval();
  try {
    const aT = schedule.alphaBar(T - 1);
    const prior = noGrad(() => scope(() => x0.square().mul(aT).add(-1 - Math.log(1 - aT) + (1 - aT)).mul(0.5).sum())).keep();
    let diffusionTotal: Tensor | null = null;
    let decoder: Tensor | null = null;
    for (let t = 0; t < T; t++) {
      const term = noGrad(() =>
        scope(() => {
          const [a, sigma] = [Math.sqrt(schedule.alphaBar(t)), Math.sqrt(1 - schedule.alphaBar(t))];
          const xt = x0.mul(a).add(randn(x0.shape, { generator }).mul(sigma));
          const output = model.forward(xt, full([batch], t), labels);
          const { data } = predictedNoiseAndData(output, xt, schedule.alphaBar(t), prediction);
          if (t === 0) return discretisedLogLikelihood(x0, data, Math.sqrt(schedule.posterior(1).variance)).sum().neg();
          const { x0: c0, variance } = schedule.posterior(t);
          return x0.sub(data).square().sum().mul((c0 * c0) / (2 * variance));
        }),
      ).keep();
      if (t === 0) decoder = term;
      else {
        const next = noGrad(() => (diffusionTotal ? diffusionTotal.add(term) : term.clone())).keep();
        diffusionTotal?.dispose();
        term.dispose();
        diffusionTotal = next;
      }
      await options.onStep?.(t + 1, T);
    }
    const [priorBits, diffusionBits, decoderBits] = await Promise.all([prior.item(), diffusionTotal!.item(), decoder!.item()]).then((v) => v.map((x) => x * toBits));
    for (const x of [prior, diffusionTotal!, decoder!]) x.dispose();
    return { bitsPerDim: priorBits + diffusionBits + decoderBits, prior: priorBits, diffusion: diffusionBits, decoder: decoderBits };
  } finally {
    model.train(wasTraining);
  }
}
