// Adagrad with PyTorch's options (learning-rate decay, L2 weight decay, initial accumulator value,
// maximize): one fused kernel per parameter (shaders/optim_adagrad.wgsl) updates the parameter and its
// sum of squared gradients in place. The decayed learning rate depends only on the step count, so the
// host computes it in float64 and passes it with the other settings in the uniform block.

import { runtime } from '../context.js';
import {
  Optimizer, checkBoolean, checkNonNegative, withDefaults, type ParamGroup, type ParamsInput, type GroupOptions, type UpdateTarget,
} from './optimizer.js';
import * as wgsl from '../gpu/shaders.generated.js';

/** Settings of {@link Adagrad}, per group; every one is optional in the constructor. */
export interface AdagradOptions extends GroupOptions {
  /** Learning rate (default 1e-2). */
  lr: number;
  /** Learning-rate decay: step t uses lr / (1 + (t - 1) * lrDecay) (default 0). */
  lrDecay: number;
  /** L2 penalty: weightDecay * w is added to the gradient (default 0). */
  weightDecay: number;
  /** The value the sum of squared gradients starts from, on a parameter's first update (default 0). */
  initialAccumulatorValue: number;
  /** Added to the denominator for numerical stability (default 1e-10). */
  eps: number;
  /** Ascend the objective instead of descending it. */
  maximize: boolean;
}

const defaults: AdagradOptions = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false, foreach: true };

/**
 * Adagrad (Duchi et al.), with PyTorch's options (lrDecay, L2 weight decay, initialAccumulatorValue,
 * maximize) and defaults; one fused kernel per parameter. State buffer 'sum'.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: ParamsInput<AdagradOptions>, options: Partial<AdagradOptions> = {}) {
    super('Adagrad', params, withDefaults('Adagrad', defaults, options));
  }

  protected override get stateBufferNames(): readonly string[] {
    return ['sum'];
  }

  protected override validate(o: AdagradOptions): void {
    checkNonNegative('Adagrad', 'lr', o.lr);
    checkNonNegative('Adagrad', 'lrDecay', o.lrDecay);
    checkNonNegative('Adagrad', 'weightDecay', o.weightDecay);
    checkNonNegative('Adagrad', 'initialAccumulatorValue', o.initialAccumulatorValue);
    checkNonNegative('Adagrad', 'eps', o.eps);
    checkBoolean('Adagrad', 'maximize', o.maximize);
  }

  protected override update(target: UpdateTarget, group: ParamGroup<AdagradOptions>): void {
    runtime().dispatch({
      shader: wgsl.optim_adagrad,
      entryPoint: 'adagrad',
      params: {
        n: target.n,
        clr: group.lr / (1 + (target.step - 1) * group.lrDecay),
        eps: group.eps,
        weight_decay: group.weightDecay,
        grad_sign: group.maximize ? -1 : 1,
        ...target.shared.params,
      },
      buffers: {
        ...target.shared.buffers,
        // PyTorch fills the sum when it builds the optimizer; a parameter's first update is the
        // first moment it can be read, so the result is the same.
        sum: target.state('sum', group.initialAccumulatorValue),
      },
      workgroups: target.workgroups,
    });
  }
}
