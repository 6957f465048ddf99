// Training a diffusion model: DiffusionTrainer implements the Trainer contract (src/train/trainer.ts):
// seeded Adam steps on the DDPM loss (objective.ts), optional gradient clipping, label dropout for
// classifier-free guidance, and an exponential moving average of the weights, which is what the
// samplers should use (DDPM's results come from the average). The state dict holds the weights and
// their average, Adam's state, the random stream and the counters, so a run resumes bit for bit.

import { noGrad } from '../../autograd.js';
import type { Tensor } from '../../tensor.js';
import { Generator } from '../../ops/random.js';
import { Adam } from '../../optim/adam.js';
import { clipGradNorm } from '../../optim/clip.js';
import type { Dataset, Field } from '../../data/loader.js';
import type { Progress } from '../../train/progress.js';
import { runEpochs, type EpochSummary } from '../../train/epochs.js';
import type { Losses, Trainer, TrainerState } from '../../train/trainer.js';
import { averagedTrainerState, checkDecay, loadAveragedTrainerState, rampedDecay, updateWeightAverage, type AveragedTrainerParts } from '../../train/weight-average.js';
import { runtime } from '../../context.js';
import { createDenoiser, type Denoiser } from './create.js';
import { diffusionLoss, type Prediction } from './objective.js';
import { NoiseSchedule, type NoiseScheduleOptions } from './schedule.js';

/** Options of {@link DiffusionTrainer}. */
export interface DiffusionTrainerOptions {
  /** The noise schedule, or the options to make one (default: linear, T = 1000). */
  schedule?: NoiseSchedule | NoiseScheduleOptions;
  /** What the network predicts (default 'epsilon'). */
  prediction?: Prediction;
  /** Adam's learning rate (default 2e-4, as DDPM). */
  lr?: number;
  /** Clip the gradients' global norm to this (default 1, as DDPM; 0: no clipping). */
  gradClip?: number;
  /** A conditional model's fraction of labels replaced by "no class" in training (default 0.1). */
  labelDropout?: number;
  /** Decay of the weight average (default 0.999; 0: none). */
  emaDecay?: number;
  /** Seed of the generator of steps, noise and label dropout (default 0). */
  seed?: number;
}

/** A step's batch: the data [B, ...dataShape] alone, or with the labels of a conditional model. */
export type DiffusionBatch = Tensor | LabelledBatch;

/** Data with class labels. */
export interface LabelledBatch {
  /** The data [B, ...dataShape]. */
  data: Tensor;
  /** Class labels [B] i32 (a conditional model's). */
  labels?: Tensor;
}

/** Options of `DiffusionTrainer.fit`. */
export interface DiffusionFitOptions {
  /** Passes over the dataset. */
  epochs: number;
  /** Default 128. */
  batchSize?: number;
  /** The dataset's field holding the data (default 'images'). */
  dataField?: string;
  /** The field of the labels, for a conditional model (default 'labels'). */
  labelField?: string;
  /** Maps each batch's data to what the model trains on (e.g. pixels [0, 1] to [-1, 1]); must be the same every step. */
  transform?: (data: Tensor) => Tensor;
  /** Seed of the shuffle (default 0). */
  shuffleSeed?: number;
  /** Steps between progress lines (default: about 20 per epoch). */
  logEvery?: number;
  /** Receives each progress line (default: printed with the epoch). */
  onProgress?: (progress: Progress, epoch: number) => void;
  /** Called after each epoch with its mean training loss. */
  onEpoch?: (summary: EpochSummary) => void | Promise<void>;
}

/** The settings a state must have been trained with to load. */
type Settings = { prediction: Prediction; labelDropout: number; emaDecay: number; gradClip: number; schedule: string; steps: number };

/**
 * Trains a {@link Denoiser} on the DDPM loss with Adam: seeded steps, noise and label dropout, gradient clipping, a
 * weight average (`averaged`, for sampling), NaN/Inf checks and progress (through trainLoop), and a state dict that
 * resumes exactly. A step returns { loss }: the mean squared error of the prediction.
 */
export class DiffusionTrainer implements Trainer<DiffusionBatch> {
  /** The trained network. */
  readonly model: Denoiser;
  /** The noise schedule. */
  readonly schedule: NoiseSchedule;
  /** What the network predicts. */
  readonly prediction: Prediction;
  /** Draws the steps, the noise and the label dropout. */
  readonly generator: Generator;
  /** The network's weight average (null without emaDecay): sample from this one. */
  readonly averaged: Denoiser | null;
  /** Adam steps taken so far. */
  stepCount = 0;
  /** Epochs completed by fit() so far. */
  epochCount = 0;
  private readonly optimizer: Adam;
  private readonly settings: Settings;
  private readonly ownsSchedule: boolean;

  constructor(model: Denoiser, options: DiffusionTrainerOptions = {}) {
    const { prediction = 'epsilon', lr = 2e-4, gradClip = 1, labelDropout = model.numClasses > 0 ? 0.1 : 0, emaDecay = 0.999, seed = 0 } = options;
    if (prediction !== 'epsilon' && prediction !== 'v') throw new Error(`DiffusionTrainer: prediction must be 'epsilon' or 'v', got ${String(prediction)}`);
    if (!(gradClip >= 0)) throw new Error(`DiffusionTrainer: gradClip must be a number >= 0, got ${gradClip}`);
    if (!(labelDropout >= 0 && labelDropout <= 1)) throw new Error(`DiffusionTrainer: labelDropout must be in [0, 1], got ${labelDropout}`);
    checkDecay('DiffusionTrainer', emaDecay);
    this.model = model;
    this.ownsSchedule = !(options.schedule instanceof NoiseSchedule);
    this.schedule = options.schedule instanceof NoiseSchedule ? options.schedule : new NoiseSchedule(options.schedule);
    this.prediction = prediction;
    this.generator = new Generator(seed);
    this.optimizer = new Adam(model.namedParameters(), { lr });
    this.settings = { prediction, labelDropout, emaDecay, gradClip, schedule: this.schedule.kind, steps: this.schedule.steps };
    this.averaged = emaDecay > 0 ? createDenoiser(model.config, { generator: new Generator(0) }) : null;
    this.averaged?.loadStateDict(model.stateDict());
  }

  /** One Adam step on a batch; the caller's scope frees the loss. */
  step(batch: DiffusionBatch): Losses {
    const { data, labels } = 'shape' in batch ? { data: batch, labels: undefined } : batch;
    runtime().replayable(() => ++this.stepCount); // counted by replayed steps (gg.capture) too
    this.optimizer.zeroGrad();
    const loss = diffusionLoss(this.model, this.schedule, data, {
      prediction: this.prediction, generator: this.generator, labels, labelDropout: this.settings.labelDropout,
    });
    loss.backward();
    if (this.settings.gradClip > 0) clipGradNorm(this.model.parameters(), this.settings.gradClip);
    this.optimizer.step();
    if (this.averaged) updateWeightAverage(this.averaged.parameters(), this.model.parameters(), () => rampedDecay(this.settings.emaDecay, this.stepCount));
    return noGrad(() => ({ loss: loss.detach() }));
  }

  namedParameters(): [string, Tensor][] {
    return this.model.namedParameters();
  }

  /** What the state dict is made of. */
  private get parts(): AveragedTrainerParts {
    return { model: this.model, averaged: this.averaged, optimizer: this.optimizer, generator: this.generator };
  }

  /** The model's tensors (the average's under 'ema.'), Adam's state, the random stream and the counters. */
  stateDict(): TrainerState {
    return averagedTrainerState(this.parts, this.stepCount, this.epochCount, { ...this.settings });
  }

  async loadStateDict(state: TrainerState): Promise<void> {
    await loadAveragedTrainerState('DiffusionTrainer.loadStateDict', this.parts, state, { ...this.settings });
    this.stepCount = state.step;
    this.epochCount = state.counters.epoch ?? 0;
  }

  /** Trains for `epochs` passes over the dataset (shuffled, seeded), with progress lines. Returns each epoch's mean loss. */
  async fit(dataset: Dataset, options: DiffusionFitOptions): Promise<EpochSummary[]> {
    const { epochs, batchSize = 128, dataField = 'images', labelField = 'labels', shuffleSeed = 0, transform } = options;
    const conditional = this.model.numClasses > 0;
    for (const field of conditional ? [dataField, labelField] : [dataField]) {
      if (!dataset.fields[field]) throw new Error(`DiffusionTrainer.fit: the dataset has no '${field}' field (fields: ${Object.keys(dataset.fields).join(', ')})`);
    }
    const fields: Record<string, Field> = { data: dataset.fields[dataField] };
    if (conditional) fields.labels = dataset.fields[labelField];
    return runEpochs({
      owner: 'DiffusionTrainer.fit', dataset: { length: dataset.length, fields }, epochs, batchSize, shuffleSeed, completed: this.epochCount,
      step: (batch) => this.step({ data: transform ? transform(batch.data) : batch.data, labels: conditional ? batch.labels : undefined }),
      lossOf: (losses) => losses.loss,
      unit: 'ex',
      logEvery: options.logEvery,
      onProgress: options.onProgress,
      watch: () => this.namedParameters(),
      onEpoch: async (summary) => {
        this.epochCount++;
        await options.onEpoch?.(summary);
      },
    });
  }

  /** Frees Adam's state, the weight average and a schedule the trainer made (the model is the caller's). */
  dispose(): void {
    this.optimizer.dispose();
    this.averaged?.dispose();
    if (this.ownsSchedule) this.schedule.dispose();
  }
}
