// The LayerNorm module, as torch.nn.LayerNorm: a learned weight and bias of normalizedShape around the
// fused layerNorm op (src/ops/layernorm.ts).

import { type Tensor, formatShape } from '../tensor.js';
import { full, zeros } from '../ops/creation.js';
import { layerNorm } from '../ops/layernorm.js';
import { checkNonNegative, checkPositiveInteger } from './common.js';
import { Module } from './module.js';

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learn a weight (init 1) and a bias (init 0) of normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, learn the bias too (default true). */
  bias?: boolean;
}

/** Normalises over the trailing dimensions `normalizedShape` (one fused kernel each way; see functional.layerNorm). */
export class LayerNorm extends Module {
  /** The trailing dimensions normalised over. */
  readonly normalizedShape: number[];
  /** Scale of shape normalizedShape, init 1; null without `elementwiseAffine`. Key 'weight'. */
  readonly weight: Tensor | null;
  /** Shift of shape normalizedShape, init 0; null without `elementwiseAffine` or with `bias: false`. Key 'bias'. */
  readonly bias: Tensor | null;
  /** Added to the variance before the square root. */
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const { eps = 1e-5, elementwiseAffine = true, bias = true } = options;
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0) throw new Error('LayerNorm: normalizedShape must not be empty');
    for (const d of this.normalizedShape) checkPositiveInteger('LayerNorm', 'each normalizedShape dimension', d);
    checkNonNegative('LayerNorm', 'eps', eps);
    this.eps = eps;
    this.weight = elementwiseAffine ? this.registerParameter('weight', full(this.normalizedShape, 1)) : null;
    this.bias = elementwiseAffine && bias ? this.registerParameter('bias', zeros(this.normalizedShape)) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  protected override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}, bias=${this.bias !== null}`;
  }
}
