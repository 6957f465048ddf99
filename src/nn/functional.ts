/**
 * The functional forms of the layers (PyTorch's torch.nn.functional, `gg.nn.functional`): linear,
 * layerNorm and groupNorm (fused kernels, see src/ops/layernorm.ts and groupnorm.ts), batchNorm,
 * dropout and embedding take their weights as arguments; the layers in layers.ts hold the weights
 * and call these.
 * interpolate (nearest-neighbour upsampling), pixelShuffle / pixelUnshuffle and timestepEmbedding (a diffusion model's sinusoidal
 * time input) are built from tensor ops. scaledDotProductAttention runs the fused attention kernels
 * where they apply and composes the rest (see attention.ts). The activations are the engine's ops, re-exported here so
 * that models can take everything from one place.
 *
 * @module
 */

import { noGrad } from '../autograd.js';
import { Tensor, formatShape, scope } from '../tensor.js';
import { tensor } from '../ops/creation.js';
import { concat, pad } from '../ops/indexing.js';
import { matmul } from '../ops/matmul.js';
import { reshape } from '../ops/movement.js';
import { mean } from '../ops/reduce.js';
import { dropoutMask, type Generator } from '../ops/random.js';
import { assertDtype } from '../ops/shape.js';
import { checkFloat, checkNonNegative, checkPositiveInteger, checkProbability, checkShapeOf, opError, present } from './common.js';
import { composite } from '../autograd.js';

export { layerNorm } from '../ops/layernorm.js';
export { groupNorm } from '../ops/groupnorm.js';
export { interpolate, type InterpolateMode, type InterpolateOptions } from './upsample.js';
export { pixelShuffle, pixelUnshuffle } from './pixel-shuffle.js';
export { embedding, type EmbeddingOptions } from './embedding.js';
export { relu, leakyRelu, gelu, tanh, sigmoid, silu, softplus, type GeluApproximation } from '../ops/elementwise.js';
export { softmax, logSoftmax } from '../ops/softmax.js';
export { scaledDotProductAttention, type ScaledDotProductAttentionOptions } from './attention.js';

/** x Wᵀ + b (PyTorch's F.linear): x [..., in], weight [out, in], bias [out] -> [..., out]. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const inputs = present([x, weight, bias]);
  checkFloat('linear', inputs);
  if (weight.rank !== 2 || x.rank < 1 || x.shape[x.rank - 1] !== weight.shape[1]) {
    throw opError('linear', `expected input [..., in] and weight [out, in] with the same in`, inputs);
  }
  checkShapeOf('linear', 'bias', bias, [weight.shape[0]], inputs);
  // The weight is read transposed in the kernel; a batch [..., in] folds into one tall matrix.
  if (!bias) return matmul(x, weight, { transB: true });
  return composite(inputs, () => matmul(x, weight, { transB: true }).add(bias));
}

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /** Normalise with this batch's statistics and update the running ones (default false, as F.batch_norm). */
  training?: boolean;
  /** Weight of the new batch in the running statistics (default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/**
 * Batch normalisation over x [N, C, ...] per channel (PyTorch's F.batch_norm). Training: the
 * batch's mean and biased variance over every axis but 1 normalise x, and the running statistics
 * (when given) become (1 - momentum) * running + momentum * batch, with the unbiased variance, in
 * place. Otherwise the running statistics normalise x. Then times `weight` and plus `bias` ([C] each).
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  options: BatchNormOptions = {},
): Tensor {
  const { training = false, momentum = 0.1, eps = 1e-5 } = options;
  const all = [x, runningMean, runningVar, weight, bias];
  const inputs = present(all);
  checkFloat('batchNorm', inputs);
  if (x.rank < 2) throw opError('batchNorm', 'expected an input of shape [N, C, ...]', inputs);
  const channels = x.shape[1];
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const) {
    checkShapeOf('batchNorm', name, t, [channels], inputs);
  }
  if (!runningMean !== !runningVar) throw opError('batchNorm', 'give both running statistics or neither', inputs);
  checkProbability('batchNorm', 'momentum', momentum);
  checkNonNegative('batchNorm', 'eps', eps);
  const channelShape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const perChannel = (t: Tensor) => reshape(t, channelShape);

  if (!training) {
    if (!runningMean || !runningVar) throw opError('batchNorm', 'evaluation (training: false) needs the running statistics', inputs);
    // y = x * scale + shift with scale = weight / sqrt(var + eps) and shift = bias - mean * scale.
    return composite(all, () => {
      const rstd = runningVar.add(eps).rsqrt();
      const scale = weight ? rstd.mul(weight) : rstd;
      const meanScaled = runningMean.mul(scale);
      const shift = bias ? bias.sub(meanScaled) : meanScaled.neg();
      return x.mul(perChannel(scale)).add(perChannel(shift));
    });
  }

  const count = x.size / Math.max(channels, 1);
  if (count <= 1) {
    throw opError('batchNorm', `expected more than 1 value per channel when training, got input ${formatShape(x.shape)}`, inputs);
  }
  const axes = x.shape.flatMap((_, i) => (i === 1 ? [] : [i]));
  return composite(all, () => {
    const batchMean = mean(x, axes, true);
    const centered = x.sub(batchMean);
    const batchVar = mean(centered.square(), axes, true);
    if (runningMean && runningVar) {
      noGrad(() =>
        scope(() => {
          runningMean.assign(runningMean.mul(1 - momentum).add(reshape(batchMean, [channels]).mul(momentum)));
          runningVar.assign(runningVar.mul(1 - momentum).add(reshape(batchVar, [channels]).mul((momentum * count) / (count - 1))));
        }),
      );
    }
    const rstd = batchVar.add(eps).rsqrt();
    const normalized = centered.mul(weight ? rstd.mul(perChannel(weight)) : rstd);
    return bias ? normalized.add(perChannel(bias)) : normalized;
  });
}

/** Options of `dropout`. */
export interface DropoutOptions {
  /** The stream the mask is drawn from (default: the default generator). */
  generator?: Generator;
}

/**
 * Inverted dropout (PyTorch's F.dropout): in training, each element is zeroed with probability p
 * and the rest are scaled by 1 / (1 - p), so the expected value is unchanged; otherwise (or with
 * p = 0) x itself is returned.
 */
export function dropout(x: Tensor, p = 0.5, training = true, options: DropoutOptions = {}): Tensor {
  checkFloat('dropout', [x]);
  checkProbability('dropout', 'p', p);
  if (!training || p === 0) return x;
  return composite([x], () => x.mul(dropoutMask(x.shape, p, options)));
}

/**
 * Sinusoidal timestep embeddings, as DDPM's and guided-diffusion's `timestep_embedding`: t [B] holds
 * timesteps (f32, fractional ones included, or i32), the result [B, dim] is
 * cat(cos(t * freqs), sin(t * freqs)) with freqs[i] = exp(-ln(maxPeriod) * i / half), half =
 * floor(dim / 2) (cosines first), and a zero column last when dim is odd. Differentiable in an f32 t.
 * The frequencies are computed in float64 and rounded to f32; the sines and cosines are the engine's
 * sin and cos, float32-accurate for the arguments timesteps give.
 */
export function timestepEmbedding(t: Tensor, dim: number, maxPeriod = 10000): Tensor {
  t.assertAlive('timestepEmbedding');
  assertDtype('timestepEmbedding', t, ['f32', 'i32']);
  if (t.rank !== 1) throw opError('timestepEmbedding', `expected a 1-D tensor of timesteps, got rank ${t.rank}`, [t]);
  checkPositiveInteger('timestepEmbedding', 'dim', dim);
  if (!(maxPeriod > 0 && Number.isFinite(maxPeriod))) throw new Error(`timestepEmbedding: maxPeriod must be a finite number > 0, got ${maxPeriod}`);
  const half = Math.floor(dim / 2);
  return composite([t], () => {
    const steps = reshape(t.dtype === 'f32' ? t : t.to('f32'), [t.size, 1]);
    const freqs = tensor(Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(maxPeriod) * i) / half)), [1, half]);
    const args = steps.mul(freqs);
    const embedding = concat([args.cos(), args.sin()], 1);
    return dim % 2 === 1 ? pad(embedding, [0, 1]) : embedding;
  });
}
