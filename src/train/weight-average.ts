// An exponential moving average of a model's weights (Polyak averaging), as the VAE and diffusion
// trainers keep for evaluation and sampling: average <- average + (1 - d) (weights - average), with the
// decay ramped up as min(decay, (1 + step) / (10 + step)) so that early averages forget the initial
// weights quickly (TensorFlow's ExponentialMovingAverage with num_updates). The weight reaches the
// kernels as a GPU scalar remade at each step, so captured steps replay it too.

import { noGrad } from '../autograd.js';
import { stepScalar } from '../ops/creation.js';
import { scope, type Tensor } from '../tensor.js';
import { prefixed, unprefixed } from './trainer.js';

/** The decay at a step (counting from 1): min(decay, (1 + step) / (10 + step)). */
export function rampedDecay(decay: number, step: number): number {
  return Math.min(decay, (1 + step) / (10 + step));
}

/** Checks a decay setting: a number in [0, 1) (0: no average kept). */
export function checkDecay(op: string, decay: number): void {
  if (!(decay >= 0 && decay < 1)) throw new Error(`${op}: emaDecay must be in [0, 1), got ${decay}`);
}

/**
 * Moves each tensor of `averaged` towards the same-position tensor of `current` by 1 - decay(), in place;
 * `decay` is called at every step, replayed ones included (read the step count there).
 */
export function updateWeightAverage(averaged: readonly Tensor[], current: readonly Tensor[], decay: () => number): void {
  if (averaged.length !== current.length) throw new Error(`updateWeightAverage: ${averaged.length} averaged tensors for ${current.length} weights`);
  noGrad(() =>
    scope(() => {
      const weight = stepScalar(() => 1 - decay());
      averaged.forEach((average, i) => average.assign(average.add(current[i].sub(average).mul(weight))));
    }),
  );
}

/** The weight average's tensors are stored beside the model's under this prefix ('ema.fc1.weight'). */
const AVERAGE_PREFIX = 'ema';

/** A model state with a weight average split into the raw weights and the average's (its prefix removed). */
export function splitAverage(state: Record<string, Tensor>): { raw: Record<string, Tensor>; average: Record<string, Tensor> } {
  const average = unprefixed(AVERAGE_PREFIX, state);
  const raw = Object.fromEntries(Object.entries(state).filter(([name]) => !name.startsWith(`${AVERAGE_PREFIX}.`)));
  return { raw, average };
}

/** A model state and a weight average's as one, the average's names prefixed. */
export function withAverage(raw: Record<string, Tensor>, average: Record<string, Tensor>): Record<string, Tensor> {
  return { ...raw, ...prefixed(AVERAGE_PREFIX, average) };
}
