// Loss functions, as torch.nn.functional's, each written to stay finite for any finite input:
// mseLoss, binaryCrossEntropyWithLogits, nllLoss and crossEntropy (class weights, ignoreIndex, label
// smoothing, class-index or probability targets), klDivDiagonalGaussian
// (a VAE's KL term) and gaussianNll. Each is a few tensor ops, so its gradient (and gradient of
// gradient) comes from their backward rules. `reduction` is 'mean' (the default), 'sum' or 'none'.

import { noGrad } from '../autograd.js';
import { Tensor, formatShape } from '../tensor.js';
import { ne, softplus, where } from '../ops/elementwise.js';
import { gather, indexSelect } from '../ops/indexing.js';
import { reshape, unsqueeze } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import { logSoftmax } from '../ops/softmax.js';
import { assertDtype, normalizeAxis, sameShape } from '../ops/shape.js';
import { checkFloat, checkNonNegative, checkProbability, checkShapeOf, opError, present } from './common.js';
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

/** Checks `reduction` before any work, so that a bad one leaks nothing. */
function reductionOf(op: string, reduction: Reduction | undefined): void {
  if (reduction !== undefined && reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
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

/** Options of `nllLoss`. */
export interface NllLossOptions extends LossOptions {
  /** The class axis of the input (default 1, as PyTorch's [N, C, ...]; 0 for unbatched [C]; -1 for [..., C]). */
  axis?: number;
  /** A weight per class, f32 [C] (default: all 1); 'mean' then divides by the sum of the targets' weights. */
  weight?: Tensor | null;
  /** Targets equal to this contribute 0 and are left out of the mean (default -100, as PyTorch). */
  ignoreIndex?: number;
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Mix the target with the uniform distribution over the classes: (1 - s) target + s / C (default 0). */
  labelSmoothing?: number;
}

/** Checks the input, target and weight of a class loss: the class axis, the number of classes, and the tensors its errors list. */
function resolveClasses(op: string, input: Tensor, target: Tensor, options: NllLossOptions): { axis: number; classes: number; inputs: Tensor[] } {
  const { weight = null } = options;
  checkFloat(op, [input, weight]);
  target.assertAlive(op);
  const inputs = present([input, target, weight]);
  if (input.rank === 0) throw opError(op, 'the input needs a class axis', inputs);
  const axis = normalizeAxis(op, options.axis ?? (input.rank === 1 ? 0 : 1), input.rank, input.shape);
  const classes = input.shape[axis];
  checkShapeOf(op, 'weight', weight, [classes], inputs);
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (!Number.isInteger(ignoreIndex)) throw opError(op, `ignoreIndex must be an integer, got ${ignoreIndex}`, inputs);
  return { axis, classes, inputs };
}

/** `weight` [C] shaped to broadcast along class axis `axis` of a rank-`rank` tensor. */
function alongAxis(weight: Tensor, axis: number, rank: number): Tensor {
  return reshape(weight, Array.from({ length: rank }, (_, k) => (k === axis ? weight.size : 1)));
}

/**
 * The per-position losses of log-probabilities against i32 class indices, -w[y] logp[y] mixed with
 * -(sum over c of w[c] logp[c]) / C by `labelSmoothing`, 0 where the target is `ignoreIndex`, and
 * their reduction: 'mean' divides by the sum of the kept targets' weights (NaN when every target is
 * ignored), as PyTorch's nll_loss and cross_entropy.
 */
function classTargetLoss(op: string, inputName: string, logProbs: Tensor, target: Tensor, axis: number, options: CrossEntropyOptions, inputs: Tensor[]): Tensor {
  const { weight = null, ignoreIndex = -100, labelSmoothing = 0 } = options;
  const classes = logProbs.shape[axis];
  const expected = logProbs.shape.filter((_, i) => i !== axis);
  if (!sameShape(target.shape, expected)) {
    throw opError(op, `target must have the ${inputName} shape without class axis ${axis}: ${formatShape(expected)}`, inputs);
  }
  // Ignored targets read class 0 (so the index check sees only real classes), then count nothing:
  // `where` rather than a product by the mask, so that a NaN or -inf they read cannot leak through.
  const kept = ne(target, ignoreIndex);
  const safeTarget = where(kept, target, 0);
  const labelCheck = { op, message: `target class {value} is out of range for ${classes} classes`, inputs };
  const picked = reshape(gather(logProbs, axis, unsqueeze(safeTarget, axis), labelCheck), target.shape);
  const pickedWeight = weight ? reshape(indexSelect(weight, 0, reshape(safeTarget, [target.size]), labelCheck), target.shape) : null;
  let scored = pickedWeight ? picked.mul(pickedWeight).neg() : picked.neg();
  if (labelSmoothing > 0) {
    const classSum = sum(weight ? logProbs.mul(alongAxis(weight, axis, logProbs.rank)) : logProbs, axis);
    scored = scored.mul(1 - labelSmoothing).sub(classSum.mul(labelSmoothing / classes));
  }
  const losses = where(kept, scored, 0);
  const targetWeight = pickedWeight ? where(kept, pickedWeight, 0) : kept;
  return (options.reduction ?? 'mean') === 'mean' ? losses.sum().div(targetWeight.sum()) : reduce(op, losses, options.reduction);
}

/**
 * Negative log-likelihood of log-probabilities (PyTorch's F.nll_loss): input [N, C] with i32
 * target [N], [N, C, d1, ...] with [N, d1, ...] (the target is the input's shape without the class
 * axis), or any class axis given by `axis`. Each position scores -weight[y] input[y]; targets equal
 * to `ignoreIndex` (default -100) score 0, and 'mean' divides by the sum of the kept targets'
 * weights (NaN when all are ignored). Class indices must lie in [0, C): the GPU cannot throw, so one
 * outside is scored as a clamped class and the next read of any tensor throws an error naming it.
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const op = 'nllLoss';
  const { axis, inputs } = resolveClasses(op, input, target, options);
  assertDtype(op, target, ['i32']);
  reductionOf(op, options.reduction);
  return composite([input, options.weight ?? null], () => classTargetLoss(op, "input's", input, target, axis, { ...options, labelSmoothing: 0 }, inputs));
}

/**
 * Cross-entropy of softmax(logits) over the class axis (PyTorch's F.cross_entropy), from
 * log-softmax, so logits of +-100 stay finite. The target is either
 * - i32 class indices, the logits' shape without the class axis (logits [N, C] with target [N],
 *   [N, C, d1, ...] with [N, d1, ...], or any `axis`): nllLoss of the log-softmax, with its
 *   `weight` and `ignoreIndex`; with `labelSmoothing` s each kept position scores
 *   (1 - s) (-w[y] logp[y]) + s / C (-(sum over c of w[c] logp[c])), and 'mean' divides by the
 *   sum of the kept targets' weights;
 * - or f32 probabilities of the logits' shape (soft labels): -(sum over c of w[c] t[c] logp[c])
 *   with t smoothed to (1 - s) t + s / C, and 'mean' divides by the number of positions (weights
 *   or not). `ignoreIndex` >= 0 is an error here, as in PyTorch.
 * Class indices must lie in [0, C): the GPU cannot throw, so one outside is scored as a clamped
 * class and the next read of any tensor throws an error naming it (see `Runtime.checkIndices`).
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const { labelSmoothing = 0, weight = null } = options;
  const { axis, classes, inputs } = resolveClasses(op, logits, target, options);
  checkProbability(op, 'labelSmoothing', labelSmoothing);
  reductionOf(op, options.reduction);
  if (target.dtype === 'i32') {
    return composite([logits, weight], () => classTargetLoss(op, "logits'", logSoftmax(logits, axis), target, axis, options, inputs));
  }
  if (target.dtype !== 'f32' || !sameShape(target.shape, logits.shape)) {
    const indexShape = formatShape(logits.shape.filter((_, i) => i !== axis));
    throw opError(op, `target must be i32 class indices of shape ${indexShape} or f32 probabilities of the logits' shape ${formatShape(logits.shape)}`, inputs);
  }
  if ((options.ignoreIndex ?? -100) >= 0) throw opError(op, `ignoreIndex ${options.ignoreIndex} is not supported for probability targets`, inputs);
  return composite([logits, target, weight], () => {
    const logProbs = logSoftmax(logits, axis);
    const smoothed = labelSmoothing > 0 ? target.mul(1 - labelSmoothing).add(labelSmoothing / classes) : target;
    const products = logProbs.mul(smoothed);
    return reduce(op, sum(weight ? products.mul(alongAxis(weight, axis, logits.rank)) : products, axis).neg(), options.reduction);
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
