// Training a VAE: VaeTrainer implements the Trainer contract (src/train/trainer.ts): seeded Adam steps
// on the negative ELBO (with an optional beta and a linear KL warm-up, and optionally an exponential
// moving average of the weights), and a state dict with the weight average, Adam's state, the noise
// stream and the step and epoch counts, so a run resumes exactly (checkpoint.ts stores it). fit() runs
// epochs over a dataset through gg.trainLoop, which gives the progress lines and the NaN/Inf watch.

import { noGrad } from '../../autograd.js';
import type { Tensor } from '../../tensor.js';
import { Generator } from '../../ops/random.js';
import { Adam } from '../../optim/adam.js';
import type { Dataset } from '../../data/loader.js';
import type { Progress } from '../../train/progress.js';
import { runEpochs } from '../../train/epochs.js';
import type { Losses, Trainer, TrainerState } from '../../train/trainer.js';
import { createVae, type Vae } from './model.js';
import { runtime } from '../../context.js';
import { averagedTrainerState, checkDecay, loadAveragedTrainerState, rampedDecay, updateWeightAverage } from '../../train/weight-average.js';

/** Options of {@link VaeTrainer}. */
export interface VaeTrainerOptions {
  /** Adam's learning rate (default 1e-3). */
  lr?: number;
  /** The KL weight of a beta-VAE (default 1: the ELBO). */
  beta?: number;
  /** Steps over which the KL weight rises linearly from beta / klWarmupSteps to beta (default 0: none). */
  klWarmupSteps?: number;
  /** Seed of the generator that draws the reparameterization noise (default 0). */
  seed?: number;
  /**
   * Keep an exponential moving average of the weights in `averaged` with this decay, e.g. 0.999
   * (default 0: none). The decay ramps up as min(emaDecay, (1 + step) / (10 + step)), so early
   * averages do not remember the initial weights for long.
   */
  emaDecay?: number;
}

/** Options of `VaeTrainer.fit`. */
export interface FitOptions {
  /** Passes over the dataset to run. */
  epochs: number;
  /** Default 128. */
  batchSize?: number;
  /** Seed of the shuffle; epoch e uses the e-th permutation of it (default 0). */
  shuffleSeed?: number;
  /** Steps between progress lines (default: about 20 per epoch). */
  logEvery?: number;
  /** Receives each progress line (default: printed, prefixed with the epoch). */
  onProgress?: (progress: Progress, epoch: number) => void;
  /** Called after each epoch, e.g. to evaluate on the test set. */
  onEpoch?: (record: EpochRecord) => void | Promise<void>;
  /** Check every parameter and gradient for NaN/Inf after each step, not only the loss (default true). */
  watchParameters?: boolean;
}

/** The summary of one epoch of `VaeTrainer.fit`. */
export interface EpochRecord {
  /** Counting from 1 over the trainer's lifetime. */
  epoch: number;
  /** Optimizer steps in the epoch. */
  steps: number;
  /** Mean over the epoch's steps of the batch negative ELBO (nats per image, beta 1). */
  trainNegativeElbo: number;
  /** Wall-clock seconds of the epoch. */
  seconds: number;
}

/** An image-only view of a dataset (so batches upload nothing else). */
function imagesOnly(dataset: Dataset<'images'>): Dataset<'images'> {
  const images = dataset.fields.images;
  if (!images) throw new Error(`VaeTrainer.fit: the dataset has no 'images' field (fields: ${Object.keys(dataset.fields).join(', ')})`);
  return { length: dataset.length, fields: { images } };
}

/**
 * Trains a {@link Vae} on the negative ELBO with Adam: optional beta and KL warmup, an optional exponential moving
 * average of the weights, NaN/Inf checks and progress lines (through trainLoop), and a state dict of the whole training
 * state (checkpoints: `saveVaeCheckpoint`, `loadVaeCheckpoint`). A step takes a batch of images [N, pixels] (or
 * [N, 1, H, W]) and returns { loss, reconstruction, kl }: the beta-weighted objective and the two terms of the negative
 * ELBO, means per image in nats.
 */
export class VaeTrainer implements Trainer<Tensor> {
  /** The model being trained (owned by the caller). */
  readonly model: Vae;
  /** Adam over the model's parameters. */
  readonly optimizer: Adam;
  /** Draws the reparameterization noise; saved in checkpoints. */
  readonly generator: Generator;
  /** The KL weight once warmed up. */
  readonly beta: number;
  /** Steps over which the KL weight ramps up to beta (0: none). */
  readonly klWarmupSteps: number;
  /** Decay of the weight average (0: none kept). */
  readonly emaDecay: number;
  /** A model of the same architecture holding the moving average of the weights (null without emaDecay). */
  readonly averaged: Vae | null;
  /** Adam steps taken so far. */
  stepCount = 0;
  /** Epochs completed by fit() so far. */
  epochCount = 0;

  constructor(model: Vae, options: VaeTrainerOptions = {}) {
    this.model = model;
    const { lr = 1e-3, beta = 1, klWarmupSteps = 0, seed = 0, emaDecay = 0 } = options;
    if (!(beta >= 0) || !Number.isFinite(beta)) throw new Error(`VaeTrainer: beta must be a finite number >= 0, got ${beta}`);
    if (!Number.isInteger(klWarmupSteps) || klWarmupSteps < 0) throw new Error(`VaeTrainer: klWarmupSteps must be an integer >= 0, got ${klWarmupSteps}`);
    checkDecay('VaeTrainer', emaDecay);
    this.beta = beta;
    this.klWarmupSteps = klWarmupSteps;
    this.emaDecay = emaDecay;
    this.generator = new Generator(seed);
    this.optimizer = new Adam(model.namedParameters(), { lr });
    // The average starts at the current weights; its own initial draw (from a throwaway generator) is overwritten.
    this.averaged = emaDecay > 0 ? createVae(model.config, { generator: new Generator(0) }) : null;
    this.averaged?.loadStateDict(model.stateDict());
  }

  /** The KL weight at a step (counting from 1): beta, scaled by min(1, step / klWarmupSteps) during warm-up. */
  klWeight(step: number): number {
    return this.klWarmupSteps === 0 ? this.beta : this.beta * Math.min(1, step / this.klWarmupSteps);
  }

  /** One Adam step on a batch of images for the beta-weighted objective; the caller's scope frees the losses. */
  step(images: Tensor): Losses {
    const step = runtime().replayable(() => ++this.stepCount); // counted by replayed steps (gg.capture) too
    this.optimizer.zeroGrad();
    const { loss, reconstruction, kl } = this.model.elbo(images, { beta: this.klWeight(step), generator: this.generator });
    loss.backward();
    this.optimizer.step();
    if (this.averaged) updateWeightAverage(this.averaged.parameters(), this.model.parameters(), () => rampedDecay(this.emaDecay, this.stepCount));
    return noGrad(() => ({ loss: loss.detach(), reconstruction: reconstruction.mean(), kl: kl.mean() }));
  }

  namedParameters(): [string, Tensor][] {
    return this.model.namedParameters();
  }

  /** The model's tensors (with the weight average's under 'ema.'), Adam's state, the noise stream and the counters. */
  stateDict(): TrainerState {
    return averagedTrainerState(this, this.stepCount, this.epochCount, { beta: this.beta, klWarmupSteps: this.klWarmupSteps, emaDecay: this.emaDecay });
  }

  async loadStateDict(state: TrainerState): Promise<void> {
    await loadAveragedTrainerState('VaeTrainer.loadStateDict', this, state, { beta: this.beta, klWarmupSteps: this.klWarmupSteps, emaDecay: this.emaDecay });
    this.stepCount = state.step;
    this.epochCount = state.counters.epoch ?? 0;
  }

  /** Trains for `epochs` passes over the dataset (shuffled, seeded), with progress lines. */
  async fit(dataset: Dataset<'images'>, options: FitOptions): Promise<EpochRecord[]> {
    const { epochs, batchSize = 128, shuffleSeed = 0, watchParameters = true } = options;
    const records: EpochRecord[] = [];
    await runEpochs({
      owner: 'VaeTrainer.fit', dataset: imagesOnly(dataset), epochs, batchSize, shuffleSeed, completed: this.epochCount,
      step: (batch) => this.step(batch.images),
      lossOf: (losses) => losses.reconstruction + losses.kl,
      unit: 'img',
      logEvery: options.logEvery,
      onProgress: options.onProgress,
      watch: watchParameters ? () => this.namedParameters() : undefined,
      onEpoch: async ({ epoch, steps, loss, seconds }) => {
        const record = { epoch, steps, trainNegativeElbo: loss, seconds };
        this.epochCount++;
        records.push(record);
        await options.onEpoch?.(record);
      },
    });
    return records;
  }

  /** Frees Adam's state and the weight average (the model is the caller's). */
  dispose(): void {
    this.optimizer.dispose();
    this.averaged?.dispose();
  }
}
