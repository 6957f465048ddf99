// Loss functions, as torch.nn.functional's, each written to stay finite for any finite input:
// mseLoss, binaryCrossEntropyWithLogits, crossEntropy (with label smoothing), klDivDiagonalGaussian
// (a VAE's KL term) and gaussianNll. Each is a few tensor ops, so its gradient (and gradient of
// gradient) comes from their backward rules. `reduction` is 'mean' (the default), 'sum' or 'none'.

import { noGrad } from '../autograd.js';
import { Tensor, formatShape } from '../tensor.js';
import { softplus } from '../ops/elementwise.js';
import { gather } from '../ops/indexing.js';
import { reshape, unsqueeze } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import { logSoftmax } from '../ops/softmax.js';
import { assertDtype, normalizeAxis, sameShape } from '../ops/shape.js';
import { checkFloat, checkNonNegative, checkProbability, opError } from './common.js';
import { composite } from '../autograd.js';

/** How a loss combines its per-element (or per-sample) values: their mean, their sum, or none (kept as a tensor). */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options every loss takes. */
export interface LossOptions {
  /** 'mean' of the per-element (or per-sample) losses (default), their 'sum', or 'none' to keep them. */
  reduction?: Reduction;
}

function reduce(op: string, losses: Tensor, reduction: Reduction | undefined): Tensor {
  switch (reduction ?? 'mean') {
    case 'mean':
      return losses.mean();
    case 'sum':
      return losses.sum();
    case 'none':
      return losses;
    default:
      throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  }
}

function checkSameShape(op: string, names: string, tensors: Tensor[]): void {
  if (!tensors.every((t) => sameShape(t.shape, tensors[0].shape))) throw opError(op, `${names} must have the same shape`, tensors);
}

/** (input - target)^2. */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  checkFloat('mseLoss', [input, target]);
  checkSameShape('mseLoss', 'input and target', [input, target]);
  return composite([input, target], () => reduce('mseLoss', input.sub(target).square(), options.reduction));
}

/**
 * Binary cross-entropy of sigmoid(logits) against targets in [0, 1], from the logits:
 * max(x, 0) - x y + log(1 + exp(-|x|)) = softplus(x) - x y, which never forms exp of a large number
 * (logits of +-100 give exact losses and gradients sigmoid(x) - y).
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  checkFloat('binaryCrossEntropyWithLogits', [logits, target]);
  checkSameShape('binaryCrossEntropyWithLogits', 'logits and target', [logits, target]);
  return composite([logits, target], () =>
    reduce('binaryCrossEntropyWithLogits', softplus(logits).sub(logits.mul(target)), options.reduction),
  );
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions extends LossOptions {
  /** The class axis of the logits (default 1, as PyTorch's [N, C, ...]; 0 for unbatched [C]; -1 for [..., C]). */
  axis?: number;
  /** Mix the one-hot target with the uniform distribution: (1 - s) * nll + s * mean over classes of -log p (default 0). */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of softmax(logits) over the class axis against i32 class indices: logits [N, C] with
 * target [N], [N, C, d1, ...] with [N, d1, ...] (the target is the logits' shape without the class
 * axis), or any axis given by `axis`. Computed from log-softmax, so logits of +-100 stay finite.
 * Class indices must lie in [0, C): the GPU cannot throw, so one outside is scored as a clamped class
 * and the next read of any tensor throws an error naming it (see `Runtime.checkIndices`).
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const { labelSmoothing = 0 } = options;
  checkFloat(op, [logits]);
  target.assertAlive(op);
  assertDtype(op, target, ['i32']);
  if (logits.rank === 0) throw opError(op, 'logits need a class axis', [logits, target]);
  const axis = normalizeAxis(op, options.axis ?? (logits.rank === 1 ? 0 : 1), logits.rank, logits.shape);
  const expected = logits.shape.filter((_, i) => i !== axis);
  if (!sameShape(target.shape, expected)) {
    throw opError(op, `target must have the logits' shape without class axis ${axis}: ${formatShape(expected)}`, [logits, target]);
  }
  checkProbability(op, 'labelSmoothing', labelSmoothing);
  const classes = logits.shape[axis];
  return composite([logits], () => {
    const logProbs = logSoftmax(logits, axis);
    const labelCheck = { op, message: `target class {value} is out of range for ${classes} classes`, inputs: [logits, target] };
    const picked = reshape(gather(logProbs, axis, unsqueeze(target, axis), labelCheck), target.shape);
    const nll = picked.mul(labelSmoothing - 1);
    const losses = labelSmoothing > 0 ? nll.sub(sum(logProbs, axis).mul(labelSmoothing / classes)) : nll;
    return reduce(op, losses, options.reduction);
  });
}

/**
 * KL(N(mu, exp(logVar)) || N(0, I)) of a diagonal Gaussian, summed over the last axis:
 * -0.5 * sum(1 + logVar - mu^2 - exp(logVar)). mu and logVar are [..., D]; the per-sample KL is
 * [...], and 'mean' averages it over the samples (the usual VAE term), 'sum' adds it up.
 */
export function klDivDiagonalGaussian(mu: Tensor, logVar: Tensor, options: LossOptions = {}): Tensor {
  const op = 'klDivDiagonalGaussian';
  checkFloat(op, [mu, logVar]);
  checkSameShape(op, 'mu and logVar', [mu, logVar]);
  if (mu.rank === 0) throw opError(op, 'expected mu and logVar of shape [..., D]', [mu, logVar]);
  return composite([mu, logVar], () => {
    const perSample = logVar.exp().add(mu.square()).sub(logVar).sub(1).sum(-1).mul(0.5);
    return reduce(op, perSample, options.reduction);
  });
}

/** Options of `gaussianNll`. */
export interface GaussianNllOptions extends LossOptions {
  /** Add the constant 0.5 * log(2 pi) (default false). */
  full?: boolean;
  /** The variance is clamped to at least eps (default 1e-6). */
  eps?: number;
}

/**
 * Negative log-likelihood of `target` under N(input, variance), as torch.nn.GaussianNLLLoss:
 * 0.5 * (log(max(var, eps)) + (input - target)^2 / max(var, eps)) [+ 0.5 * log(2 pi)]. The variance
 * has the input's shape, or lacks its last dimension, or has 1 there (one variance per sample). As
 * in PyTorch, the clamp changes the value only: the gradient passes to the variance as if unclamped.
 */
export function gaussianNll(input: Tensor, target: Tensor, variance: Tensor, options: GaussianNllOptions = {}): Tensor {
  const op = 'gaussianNll';
  const { full = false, eps = 1e-6 } = options;
  checkFloat(op, [input, target, variance]);
  checkSameShape(op, 'input and target', [input, target]);
  checkNonNegative(op, 'eps', eps);
  const leading = input.shape.slice(0, -1);
  const perSampleShape = sameShape(variance.shape, leading);
  const broadcastsOverLast = sameShape(variance.shape.slice(0, -1), leading) && variance.shape[variance.rank - 1] === 1;
  if (!sameShape(variance.shape, input.shape) && !perSampleShape && !broadcastsOverLast) {
    throw opError(op, `variance must have the input's shape ${formatShape(input.shape)}, or lack its last dimension, or have 1 there`, [input, target, variance]);
  }
  return composite([input, target, variance], () => {
    const v = perSampleShape ? unsqueeze(variance, -1) : variance;
    const clamped = v.add(noGrad(() => v.clamp(eps).sub(v)));
    const losses = clamped.log().add(input.sub(target).square().div(clamped)).mul(0.5);
    return reduce(op, full ? losses.add(0.5 * Math.log(2 * Math.PI)) : losses, options.reduction);
  });
}
