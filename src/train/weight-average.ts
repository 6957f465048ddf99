// An exponential moving average of a model's weights (Polyak averaging), as the VAE and diffusion
// trainers keep for evaluation and sampling: average <- average + (1 - d) (weights - average), with the
// decay ramped up as min(decay, (1 + step) / (10 + step)) so that early averages forget the initial
// weights quickly (TensorFlow's ExponentialMovingAverage with num_updates). The weight reaches the
// kernels as a GPU scalar remade at each step, so captured steps replay it too. Also the state dict of
// a trainer that keeps one model, its average, one optimizer and one noise stream, and the average's
// names in it ('ema.<key>').

import { noGrad } from '../autograd.js';
import { stepScalar } from '../ops/creation.js';
import type { Generator } from '../ops/random.js';
import type { Module } from '../nn/module.js';
import type { OptimizerHyperparameters } from '../optim/optimizer.js';
import { scope, type Tensor } from '../tensor.js';
import {
  checkStateTensors, prefixed, randomState, restoreRandom, settingsMismatch, unprefixed, type TrainerSetting, type TrainerState,
} from './trainer.js';

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

/** The parts of a trainer with one model, its optional weight average, one optimizer and one noise stream (the VAE's, the diffusion model's). */
export interface AveragedTrainerParts {
  model: Module;
  averaged: Module | null;
  optimizer: {
    stateDict(): Record<string, Tensor>;
    hyperparameters(): OptimizerHyperparameters;
    loadStateDict(state: Record<string, Tensor>, hyperparameters?: OptimizerHyperparameters): Promise<void>;
  };
  /** The noise stream, saved as 'noise'. */
  generator: Generator;
}

/** Such a trainer's state: the model's tensors (the average's under 'ema.'), the optimizer's, the noise stream, the step and epoch counts. */
export function averagedTrainerState(parts: AveragedTrainerParts, step: number, epoch: number, settings: Record<string, TrainerSetting>): TrainerState {
  return {
    model: averagedModelState(parts),
    optimizer: parts.optimizer.stateDict(),
    hyperparameters: parts.optimizer.hyperparameters(),
    step,
    counters: { epoch },
    random: { noise: randomState(parts.generator) },
    settings,
  };
}

function averagedModelState({ model, averaged }: AveragedTrainerParts): Record<string, Tensor> {
  return averaged ? withAverage(model.stateDict(), averaged.stateDict()) : model.stateDict();
}

/**
 * Restores a state from averagedTrainerState into such a trainer's parts (the counters are the caller's to take from
 * `state`). Checks the settings, every tensor's name, shape and dtype and the noise stream first, changing nothing on
 * a mismatch.
 */
export async function loadAveragedTrainerState(owner: string, parts: AveragedTrainerParts, state: TrainerState, settings: Record<string, TrainerSetting>): Promise<void> {
  const mismatch = settingsMismatch(state.settings, settings);
  if (mismatch) throw new Error(`${owner}: the state was trained with ${mismatch}`);
  checkStateTensors(owner, scope(() => averagedModelState(parts)), state.model);
  if (!state.random.noise) throw new Error(`${owner}: the state has no random stream 'noise'`);
  await parts.optimizer.loadStateDict(state.optimizer, state.hyperparameters as OptimizerHyperparameters);
  const { raw, average } = splitAverage(state.model);
  parts.model.loadStateDict(raw);
  parts.averaged?.loadStateDict(average);
  restoreRandom(owner, { noise: parts.generator }, state.random);
}
