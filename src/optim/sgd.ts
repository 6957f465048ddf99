// Stochastic gradient descent with PyTorch's options (momentum, dampening, Nesterov, L2 weight decay,
// maximize): one fused kernel per parameter (shaders/optim_sgd.wgsl) updates the parameter and its
// momentum buffer in place.

import { runtime } from '../context.js';
import {
  Optimizer, checkBoolean, checkNonNegative, withDefaults, type ParamGroup, type ParamsInput, type GroupOptions, type UpdateTarget,
} from './optimizer.js';
import * as wgsl from '../gpu/shaders.generated.js';

/** Settings of {@link SGD}, per group; every one is optional in the constructor. */
export interface SGDOptions extends GroupOptions {
  /** Learning rate (default 1e-3). */
  lr: number;
  /** Momentum factor (default 0: plain SGD, no buffer kept). */
  momentum: number;
  /** Scales down the gradient's share of the momentum: buf = momentum * buf + (1 - dampening) * g (default 0). */
  dampening: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** L2 penalty: weightDecay * w is added to the gradient (default 0). */
  weightDecay: number;
  /** Ascend the objective instead of descending it. */
  maximize: boolean;
}

const defaults: SGDOptions = { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false, foreach: true };

/**
 * Stochastic gradient descent with PyTorch's options (momentum, dampening, Nesterov, L2 weight decay, maximize); one
 * fused kernel per parameter. State buffer 'momentum_buffer'.
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: ParamsInput<SGDOptions>, options: Partial<SGDOptions> = {}) {
    super('SGD', params, withDefaults('SGD', defaults, options));
  }

  protected override get stateBufferNames(): readonly string[] {
    return ['momentum_buffer'];
  }

  protected override validate(o: SGDOptions): void {
    checkNonNegative('SGD', 'lr', o.lr);
    checkNonNegative('SGD', 'momentum', o.momentum);
    checkNonNegative('SGD', 'dampening', o.dampening);
    checkNonNegative('SGD', 'weightDecay', o.weightDecay);
    checkBoolean('SGD', 'nesterov', o.nesterov);
    checkBoolean('SGD', 'maximize', o.maximize);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new Error(`SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum ${o.momentum}, dampening ${o.dampening}`);
    }
  }

  protected override update(target: UpdateTarget, group: ParamGroup<SGDOptions>): void {
    const withMomentum = group.momentum !== 0;
    // As PyTorch, the first update copies the gradient into the new momentum buffer.
    const firstMomentumStep = withMomentum && !target.hasState('momentum_buffer');
    runtime().dispatch({
      shader: wgsl.optim_sgd,
      entryPoint: withMomentum ? 'sgd_momentum' : 'sgd',
      params: {
        n: target.n,
        lr: group.lr,
        weight_decay: group.weightDecay,
        momentum: group.momentum,
        one_minus_dampening: 1 - group.dampening,
        grad_sign: group.maximize ? -1 : 1,
        first_step: firstMomentumStep ? 1 : 0,
        nesterov: group.nesterov ? 1 : 0,
        ...target.shared.params,
      },
      buffers: {
        ...target.shared.buffers,
        momentum_buffer: withMomentum ? target.state('momentum_buffer') : undefined,
      },
      workgroups: target.workgroups,
    });
  }
}
