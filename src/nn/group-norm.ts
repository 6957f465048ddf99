// The GroupNorm module, as torch.nn.GroupNorm: numGroups groups over numChannels channels, with a
// learned per-channel weight and bias around the fused groupNorm op (src/ops/groupnorm.ts).

import type { Tensor } from '../tensor.js';
import { full, zeros } from '../ops/creation.js';
import { groupNorm } from '../ops/groupnorm.js';
import { checkNonNegative, checkPositiveInteger } from './common.js';
import { Module } from './module.js';

/** Options of {@link GroupNorm}. */
export interface GroupNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learn a per-channel weight (init 1) and bias (init 0) of shape [numChannels] (default true). */
  affine?: boolean;
}

/** Normalises x [N, C, ...] over each group of C / numGroups channels and the spatial positions (see functional.groupNorm). */
export class GroupNorm extends Module {
  /** How many groups the channels are split into. */
  readonly numGroups: number;
  /** The input's channel count C (dimension 1), a multiple of numGroups. */
  readonly numChannels: number;
  /** Scale [numChannels], init 1; null without `affine`. Key 'weight'. */
  readonly weight: Tensor | null;
  /** Shift [numChannels], init 0; null without `affine`. Key 'bias'. */
  readonly bias: Tensor | null;
  /** Added to the variance before the square root. */
  readonly eps: number;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    super();
    const { eps = 1e-5, affine = true } = options;
    checkPositiveInteger('GroupNorm', 'numGroups', numGroups);
    checkPositiveInteger('GroupNorm', 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) throw new Error(`GroupNorm: numChannels ${numChannels} must be divisible by numGroups ${numGroups}`);
    checkNonNegative('GroupNorm', 'eps', eps);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = eps;
    this.weight = affine ? this.registerParameter('weight', full([numChannels], 1)) : null;
    this.bias = affine ? this.registerParameter('bias', zeros([numChannels])) : null;
  }

  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }

  protected override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight !== null}`;
  }
}
