// Plain-JS float64 references of PyTorch's optimizer update rules (torch/optim/sgd.py, adam.py,
// adamw.py, rmsprop.py, adagrad.py, single-tensor paths) and of clip_grad_norm_, written from the formulas, for the
// step-for-step comparisons in this folder.

export interface SGDRefOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
}

export interface AdamRefOptions {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
  /** AdamW: decay the parameter by lr * weightDecay instead of adding weightDecay * w to the gradient. */
  decoupled: boolean;
}

export interface RMSpropRefOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

export interface AdagradRefOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/** One parameter's state in the reference, named as in PyTorch. */
export interface RefState {
  step: number;
  momentum_buffer?: Float64Array;
  exp_avg?: Float64Array;
  exp_avg_sq?: Float64Array;
  max_exp_avg_sq?: Float64Array;
  square_avg?: Float64Array;
  grad_avg?: Float64Array;
  sum?: Float64Array;
}

export function sgdRef(w: Float64Array, grad: ArrayLike<number>, state: RefState, o: SGDRefOptions): void {
  state.step++;
  const first = o.momentum !== 0 && !state.momentum_buffer;
  if (first) state.momentum_buffer = new Float64Array(w.length);
  for (let i = 0; i < w.length; i++) {
    let d = (o.maximize ? -grad[i] : grad[i]) + o.weightDecay * w[i];
    if (o.momentum !== 0) {
      const buf = state.momentum_buffer!;
      buf[i] = first ? d : o.momentum * buf[i] + (1 - o.dampening) * d;
      d = o.nesterov ? d + o.momentum * buf[i] : buf[i];
    }
    w[i] -= o.lr * d;
  }
}

export function adamRef(w: Float64Array, grad: ArrayLike<number>, state: RefState, o: AdamRefOptions): void {
  const n = w.length;
  state.step++;
  state.exp_avg ??= new Float64Array(n);
  state.exp_avg_sq ??= new Float64Array(n);
  if (o.amsgrad) state.max_exp_avg_sq ??= new Float64Array(n);
  const [beta1, beta2] = o.betas;
  const biasCorrection1 = 1 - beta1 ** state.step;
  const biasCorrection2 = 1 - beta2 ** state.step;
  for (let i = 0; i < n; i++) {
    let g = o.maximize ? -grad[i] : grad[i];
    if (o.decoupled) w[i] *= 1 - o.lr * o.weightDecay;
    else g += o.weightDecay * w[i];
    const m = (state.exp_avg[i] = beta1 * state.exp_avg[i] + (1 - beta1) * g);
    let v = (state.exp_avg_sq[i] = beta2 * state.exp_avg_sq[i] + (1 - beta2) * g * g);
    if (o.amsgrad) v = state.max_exp_avg_sq![i] = Math.max(state.max_exp_avg_sq![i], v);
    const denom = Math.sqrt(v) / Math.sqrt(biasCorrection2) + o.eps;
    w[i] -= (o.lr / biasCorrection1) * (m / denom);
  }
}

export function rmspropRef(w: Float64Array, grad: ArrayLike<number>, state: RefState, o: RMSpropRefOptions): void {
  const n = w.length;
  state.step++;
  const squareAvg = (state.square_avg ??= new Float64Array(n));
  if (o.centered) state.grad_avg ??= new Float64Array(n);
  if (o.momentum > 0) state.momentum_buffer ??= new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = (o.maximize ? -grad[i] : grad[i]) + o.weightDecay * w[i];
    squareAvg[i] = o.alpha * squareAvg[i] + (1 - o.alpha) * g * g;
    let avg = squareAvg[i];
    if (o.centered) {
      const gradAvg = state.grad_avg!;
      gradAvg[i] += (1 - o.alpha) * (g - gradAvg[i]);
      avg -= gradAvg[i] * gradAvg[i];
    }
    avg = Math.sqrt(avg) + o.eps;
    if (o.momentum > 0) {
      const buf = state.momentum_buffer!;
      buf[i] = o.momentum * buf[i] + g / avg;
      w[i] -= o.lr * buf[i];
    } else {
      w[i] -= (o.lr * g) / avg;
    }
  }
}

export function adagradRef(w: Float64Array, grad: ArrayLike<number>, state: RefState, o: AdagradRefOptions): void {
  state.step++;
  const sum = (state.sum ??= new Float64Array(w.length).fill(o.initialAccumulatorValue));
  const clr = o.lr / (1 + (state.step - 1) * o.lrDecay);
  for (let i = 0; i < w.length; i++) {
    const g = (o.maximize ? -grad[i] : grad[i]) + o.weightDecay * w[i];
    sum[i] += g * g;
    w[i] -= (clr * g) / (Math.sqrt(sum[i]) + o.eps);
  }
}

/** The global norm of the gradients and the coefficient clip_grad_norm_ scales them by. */
export function clipRef(grads: Float64Array[], maxNorm: number, normType: number): { norm: number; coefficient: number } {
  let norm = 0;
  if (normType === Infinity) {
    for (const g of grads) for (const v of g) norm = Math.max(norm, Math.abs(v));
  } else {
    for (const g of grads) for (const v of g) norm += v * v;
    norm = Math.sqrt(norm);
  }
  return { norm, coefficient: Math.min(1, maxNorm / (norm + 1e-6)) };
}
