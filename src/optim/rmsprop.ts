// RMSprop with PyTorch's options (smoothing constant alpha, centered, momentum, L2 weight decay,
// maximize): one fused kernel per parameter (shaders/optim_rmsprop.wgsl) updates the parameter and
// its running averages in place.

import { runtime } from '../context.js';
import {
  Optimizer, checkBoolean, checkNonNegative, withDefaults, type ParamGroup, type ParamsInput, type GroupOptions, type UpdateTarget,
} from './optimizer.js';
import * as wgsl from '../gpu/shaders.generated.js';

/** Settings of {@link RMSprop}, per group; every one is optional in the constructor. */
export interface RMSpropOptions extends GroupOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Smoothing constant of the running averages, in [0, 1]: s = alpha * s + (1 - alpha) * g^2 (default 0.99). */
  alpha: number;
  /** Added to the denominator's square root for numerical stability (default 1e-8). */
  eps: number;
  /** L2 penalty: weightDecay * w is added to the gradient (default 0). */
  weightDecay: number;
  /** Momentum factor (default 0: no buffer kept). */
  momentum: number;
  /** Normalize by an estimate of the gradient's variance (square average minus squared mean) instead of the square average (default false). */
  centered: boolean;
  /** Ascend the objective instead of descending it. */
  maximize: boolean;
}

const defaults: RMSpropOptions = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false, foreach: true };

/**
 * RMSprop (Hinton), with PyTorch's options (alpha, centered, momentum, L2 weight decay, maximize) and
 * defaults; one fused kernel per parameter. State buffers 'square_avg', 'grad_avg' (centered) and
 * 'momentum_buffer' (momentum > 0).
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: ParamsInput<RMSpropOptions>, options: Partial<RMSpropOptions> = {}) {
    super('RMSprop', params, withDefaults('RMSprop', defaults, options));
  }

  protected override get stateBufferNames(): readonly string[] {
    return ['square_avg', 'grad_avg', 'momentum_buffer'];
  }

  protected override validate(o: RMSpropOptions): void {
    checkNonNegative('RMSprop', 'lr', o.lr);
    // PyTorch asks only alpha >= 0; above 1 the square average turns negative and every update NaN.
    if (typeof o.alpha !== 'number' || !(o.alpha >= 0 && o.alpha <= 1)) throw new Error(`RMSprop: alpha must be in [0, 1], got ${o.alpha}`);
    checkNonNegative('RMSprop', 'eps', o.eps);
    checkNonNegative('RMSprop', 'weightDecay', o.weightDecay);
    checkNonNegative('RMSprop', 'momentum', o.momentum);
    checkBoolean('RMSprop', 'centered', o.centered);
    checkBoolean('RMSprop', 'maximize', o.maximize);
  }

  protected override update(target: UpdateTarget, group: ParamGroup<RMSpropOptions>): void {
    const withMomentum = group.momentum > 0;
    runtime().dispatch({
      shader: wgsl.optim_rmsprop,
      entryPoint: `rmsprop${group.centered ? '_centered' : ''}${withMomentum ? '_momentum' : ''}`,
      params: {
        n: target.n,
        lr: group.lr,
        alpha: group.alpha,
        one_minus_alpha: 1 - group.alpha,
        eps: group.eps,
        weight_decay: group.weightDecay,
        momentum: group.momentum,
        grad_sign: group.maximize ? -1 : 1,
        ...target.shared.params,
      },
      buffers: {
        ...target.shared.buffers,
        square_avg: target.state('square_avg'),
        grad_avg: group.centered ? target.state('grad_avg') : undefined,
        momentum_buffer: withMomentum ? target.state('momentum_buffer') : undefined,
      },
      workgroups: target.workgroups,
    });
  }
}
