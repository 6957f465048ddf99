// Adam (with AMSGrad and L2 weight decay) and AdamW (decoupled weight decay), PyTorch's rules: one
// fused kernel per parameter (shaders/optim_adam.wgsl) updates the parameter and its moments in
// place. Bias corrections depend only on the step count, so the host computes them in float64 and
// passes them with the other settings in the uniform block.

import { runtime } from '../context.js';
import {
  Optimizer, checkBoolean, checkNonNegative, checkUnitInterval, withDefaults, type ParamGroup, type ParamsInput, type GroupOptions, type UpdateTarget,
} from './optimizer.js';
import * as wgsl from '../gpu/shaders.generated.js';

/**
 * Settings of {@link Adam} and {@link AdamW}, per group; every one is optional in the constructor (defaults lr 1e-3,
 * betas [0.9, 0.999], eps 1e-8, weightDecay 0 for Adam and 0.01 for AdamW).
 */
export interface AdamOptions extends GroupOptions {
  /** Learning rate. */
  lr: number;
  /** Decay rates of the first and second moment estimates, each in [0, 1). */
  betas: readonly [number, number];
  /** Added to the denominator for numerical stability. */
  eps: number;
  /** Adam: an L2 term added to the gradient. AdamW: decoupled decay, w <- w (1 - lr * weightDecay). */
  weightDecay: number;
  /** Use the running maximum of the second moment (AMSGrad). */
  amsgrad: boolean;
  /** Ascend the objective instead of descending it. */
  maximize: boolean;
}

const adamDefaults: AdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, foreach: true };

/** Adam and AdamW: the same kernel, with the weight decay coupled to the gradient or decoupled. */
abstract class AdamFamily extends Optimizer<AdamOptions> {
  private readonly decoupledWeightDecay: boolean;

  protected constructor(name: string, decoupledWeightDecay: boolean, params: ParamsInput<AdamOptions>, defaults: AdamOptions) {
    super(name, params, defaults);
    this.decoupledWeightDecay = decoupledWeightDecay;
  }

  protected override get stateBufferNames(): readonly string[] {
    return ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'];
  }

  protected override validate(o: AdamOptions): void {
    const name = this.optimizerName;
    checkNonNegative(name, 'lr', o.lr);
    checkNonNegative(name, 'eps', o.eps);
    checkNonNegative(name, 'weightDecay', o.weightDecay);
    if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new Error(`${name}: betas must be a pair [beta1, beta2], got ${String(o.betas)}`);
    checkUnitInterval(name, 'beta1', o.betas[0]);
    checkUnitInterval(name, 'beta2', o.betas[1]);
    checkBoolean(name, 'amsgrad', o.amsgrad);
    checkBoolean(name, 'maximize', o.maximize);
  }

  protected override update(target: UpdateTarget, group: ParamGroup<AdamOptions>): void {
    const [beta1, beta2] = group.betas;
    const decoupled = this.decoupledWeightDecay;
    runtime().dispatch({
      shader: wgsl.optim_adam,
      entryPoint: group.amsgrad ? 'adam_amsgrad' : 'adam',
      params: {
        n: target.n,
        one_minus_beta1: 1 - beta1,
        beta2,
        one_minus_beta2: 1 - beta2,
        eps: group.eps,
        weight_decay: decoupled ? 0 : group.weightDecay,
        param_scale: decoupled ? 1 - group.lr * group.weightDecay : 1,
        step_size: group.lr / (1 - beta1 ** target.step),
        bias_correction2_sqrt: Math.sqrt(1 - beta2 ** target.step),
        grad_sign: group.maximize ? -1 : 1,
        ...target.shared.params,
      },
      buffers: {
        ...target.shared.buffers,
        exp_avg: target.state('exp_avg'),
        exp_avg_sq: target.state('exp_avg_sq'),
        max_exp_avg_sq: group.amsgrad ? target.state('max_exp_avg_sq') : undefined,
      },
      workgroups: target.workgroups,
    });
  }
}

/** Adam (Kingma & Ba); weightDecay adds an L2 term weightDecay * w to the gradient. */
export class Adam extends AdamFamily {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('Adam', false, params, withDefaults('Adam', adamDefaults, options));
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter), default weightDecay 0.01 as PyTorch. */
export class AdamW extends AdamFamily {
  constructor(params: ParamsInput<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('AdamW', true, params, withDefaults('AdamW', { ...adamDefaults, weightDecay: 0.01 }, options));
  }
}
