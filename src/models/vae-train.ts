// Training a VAE: VaeTrainer runs seeded Adam steps on the negative ELBO (with an optional beta and a
// linear KL warm-up, and optionally an exponential moving average of the weights), and fit() runs
// epochs over a dataset through gg.trainLoop, so progress lines and the NaN/Inf watch come from the
// toolkit. Checkpoints are safetensors files holding the model, the weight average, the Adam state,
// and in their metadata the architecture, the step count and the noise generator's state, so a run
// resumes exactly where it stopped.

import { noGrad } from '../autograd.js';
import { scope, type Tensor } from '../tensor.js';
import { Generator } from '../ops/random.js';
import { Adam } from '../optim/adam.js';
import { loadCheckpoint, saveCheckpoint, type Stateful } from '../io/checkpoint.js';
import { readHeader } from '../io/format.js';
import { batches, type Dataset } from '../data/loader.js';
import { trainLoop, type Progress } from '../train.js';
import { createVae, type Vae, type VaeConfig } from './vae-model.js';

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
 * average of the weights, NaN/Inf checks and progress lines (through trainLoop), and checkpoints of the whole training
 * state (`saveVaeCheckpoint`, `loadVaeCheckpoint`).
 */
export class VaeTrainer {
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
    if (!(emaDecay >= 0 && emaDecay < 1)) throw new Error(`VaeTrainer: emaDecay must be in [0, 1), got ${emaDecay}`);
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

  /**
   * One Adam step on a batch of images [N, pixels] (or [N, 1, H, W]) for the beta-weighted objective.
   * Returns the batch's negative ELBO (beta 1, a scalar without a graph) for logging; the caller's
   * scope frees it with the step's intermediates.
   */
  trainStep(images: Tensor): Tensor {
    const step = ++this.stepCount;
    this.optimizer.zeroGrad();
    const { loss, reconstruction, kl } = this.model.elbo(images, { beta: this.klWeight(step), generator: this.generator });
    loss.backward();
    this.optimizer.step();
    if (this.averaged) this.updateAverage(step);
    return noGrad(() => reconstruction.add(kl).mean());
  }

  /** averaged <- averaged + (1 - decay) (weights - averaged), for every parameter. */
  private updateAverage(step: number): void {
    const weight = 1 - Math.min(this.emaDecay, (1 + step) / (10 + step));
    const current = this.model.parameters();
    noGrad(() =>
      scope(() => {
        this.averaged!.parameters().forEach((average, i) => average.assign(average.add(current[i].sub(average).mul(weight))));
      }),
    );
  }

  /** Trains for `epochs` passes over the dataset (shuffled, seeded), with progress lines. */
  async fit(dataset: Dataset<'images'>, options: FitOptions): Promise<EpochRecord[]> {
    const { epochs, batchSize = 128, shuffleSeed = 0, watchParameters = true } = options;
    if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`VaeTrainer.fit: epochs must be a positive integer, got ${epochs}`);
    if (dataset.length === 0) throw new Error('VaeTrainer.fit: the dataset is empty');
    const data = imagesOnly(dataset);
    const records: EpochRecord[] = [];
    for (let e = 0; e < epochs; e++) {
      const epoch = this.epochCount + 1;
      const iterator = batches(data, { batchSize, seed: shuffleSeed, epoch: this.epochCount })[Symbol.iterator]();
      const steps = Math.ceil(data.length / batchSize);
      const onProgress = options.onProgress ?? ((p: Progress) => console.log(`epoch ${epoch}  ${formatVaeProgress(p)}`));
      try {
        const history = await trainLoop({
          steps,
          examplesPerStep: batchSize,
          logEvery: options.logEvery,
          onProgress: (p) => onProgress(p, epoch),
          watch: watchParameters ? () => this.model.namedParameters() : undefined,
          step: () => this.trainStep(iterator.next().value!.images),
        });
        let previous = 0;
        let total = 0;
        for (const point of history.points) {
          total += point.loss * (point.step - previous);
          previous = point.step;
        }
        const record = { epoch, steps, trainNegativeElbo: total / steps, seconds: history.seconds };
        this.epochCount++;
        records.push(record);
        await options.onEpoch?.(record);
      } finally {
        iterator.return(undefined);
      }
    }
    return records;
  }

  /** Frees Adam's state and the weight average (the model is the caller's). */
  dispose(): void {
    this.optimizer.dispose();
    this.averaged?.dispose();
  }
}

/** A progress line whose loss reads as the negative ELBO in nats per image. */
export function formatVaeProgress(p: Progress): string {
  const width = String(p.totalSteps).length;
  return `step ${String(p.step).padStart(width)}/${p.totalSteps}  -ELBO ${p.loss.toFixed(2)} nats  ${Math.round(p.examplesPerSecond).toLocaleString('en-US')} img/s`;
}

// ---- checkpoints ---------------------------------------------------------------------------------

const CONFIG_KEY = 'vae.config';
const TRAINER_KEY = 'vae.trainer';
/** The weight average's tensors are stored beside the model's under this prefix ('model.ema.fc1.weight'). */
const AVERAGE_PREFIX = 'ema.';

interface TrainerState {
  stepCount: number;
  epochCount: number;
  beta: number;
  klWarmupSteps: number;
  emaDecay: number;
  seed: string;
  offset: number;
}

/** Which weights of a checkpoint with a weight average go where: both (resuming), or one set into the model. */
type WeightSelection = 'both' | 'raw' | 'averaged';

/**
 * The model's keys plus, when the file has a weight average, the same keys under 'ema.': one Stateful
 * for gg.io's checkpoints, which loads the sets selected.
 */
function withAverage(model: Vae, averaged: Vae | null, selection: WeightSelection): Stateful {
  const prefixed = (state: Record<string, Tensor>) => Object.fromEntries(Object.entries(state).map(([k, t]) => [AVERAGE_PREFIX + k, t]));
  return {
    stateDict: () => ({ ...model.stateDict(), ...prefixed((averaged ?? model).stateDict()) }),
    loadStateDict(state, options) {
      const raw: Record<string, Tensor> = {};
      const average: Record<string, Tensor> = {};
      for (const [key, t] of Object.entries(state)) {
        if (key.startsWith(AVERAGE_PREFIX)) average[key.slice(AVERAGE_PREFIX.length)] = t;
        else raw[key] = t;
      }
      if (selection === 'averaged') {
        model.loadStateDict(average, options);
        return;
      }
      model.loadStateDict(raw, options);
      if (selection === 'both') averaged!.loadStateDict(average, options);
    },
  };
}

/**
 * A safetensors checkpoint of a VAE: its weights under 'model.*' and its architecture in the metadata;
 * with a trainer, also Adam's state, the weight average (under 'model.ema.*') and the trainer's step,
 * epoch and noise-generator state.
 */
export async function saveVaeCheckpoint(model: Vae, trainer?: VaeTrainer, metadata: Record<string, string> = {}): Promise<Uint8Array<ArrayBuffer>> {
  if (trainer && trainer.model !== model) throw new Error('saveVaeCheckpoint: the trainer trains another model');
  const all: Record<string, string> = { ...metadata, [CONFIG_KEY]: JSON.stringify(model.config) };
  if (trainer) {
    const { seed, offset } = trainer.generator.getState();
    const state: TrainerState = {
      stepCount: trainer.stepCount,
      epochCount: trainer.epochCount,
      beta: trainer.beta,
      klWarmupSteps: trainer.klWarmupSteps,
      emaDecay: trainer.emaDecay,
      seed: seed.toString(),
      offset,
    };
    all[TRAINER_KEY] = JSON.stringify(state);
  }
  const averaged = trainer?.averaged ?? null;
  return saveCheckpoint({ model: averaged ? withAverage(model, averaged, 'both') : model, optimizer: trainer?.optimizer, metadata: all });
}

/** The architecture stored in a VAE checkpoint (reads the header only). */
export function readVaeConfig(bytes: Uint8Array): VaeConfig {
  const stored = readHeader(bytes).metadata[CONFIG_KEY];
  if (stored === undefined) throw new Error(`readVaeConfig: the file has no __metadata__['${CONFIG_KEY}']; it was not written by saveVaeCheckpoint`);
  return JSON.parse(stored) as VaeConfig;
}

/** Options of `loadVaeCheckpoint`. */
export interface LoadVaeOptions {
  /** Load into this model (its architecture must match the file's); default: a new model built from the file. */
  model?: Vae;
  /** Restore Adam's state, the weight average and the step, epoch and noise generator into this trainer (of `model`). */
  trainer?: VaeTrainer;
  /** Without a trainer, from a file with a weight average: load the averaged weights into the model (default false: the raw ones). */
  averaged?: boolean;
}

/** Whether a checkpoint holds a weight average (its trainer state says so). */
function storedState(bytes: Uint8Array): TrainerState | null {
  const stored = readHeader(bytes).metadata[TRAINER_KEY];
  return stored === undefined ? null : (JSON.parse(stored) as TrainerState);
}

/** Restores a checkpoint from saveVaeCheckpoint; returns the model it loaded into. */
export async function loadVaeCheckpoint(bytes: Uint8Array, options: LoadVaeOptions = {}): Promise<Vae> {
  const config = readVaeConfig(bytes);
  const { trainer } = options;
  const model = options.model ?? trainer?.model ?? createVae(config);
  if (JSON.stringify(model.config) !== JSON.stringify(config)) {
    throw new Error(`loadVaeCheckpoint: the file holds a ${JSON.stringify(config)} VAE, the model is ${JSON.stringify(model.config)}`);
  }
  if (trainer && trainer.model !== model) throw new Error('loadVaeCheckpoint: the trainer trains another model');
  const state = storedState(bytes);
  const hasAverage = (state?.emaDecay ?? 0) > 0;
  if (trainer) {
    if (!state) throw new Error(`loadVaeCheckpoint: a trainer was given but the file has no __metadata__['${TRAINER_KEY}']`);
    if (state.beta !== trainer.beta || state.klWarmupSteps !== trainer.klWarmupSteps || state.emaDecay !== trainer.emaDecay) {
      throw new Error(
        `loadVaeCheckpoint: the file was trained with beta ${state.beta}, klWarmupSteps ${state.klWarmupSteps}, emaDecay ${state.emaDecay}; ` +
          `the trainer has beta ${trainer.beta}, klWarmupSteps ${trainer.klWarmupSteps}, emaDecay ${trainer.emaDecay}`,
      );
    }
  }
  if (options.averaged && !hasAverage) throw new Error('loadVaeCheckpoint: averaged weights were asked for but the file has no weight average');
  const selection: WeightSelection = trainer ? 'both' : options.averaged ? 'averaged' : 'raw';
  try {
    await loadCheckpoint(bytes, { model: hasAverage ? withAverage(model, trainer?.averaged ?? null, selection) : model, optimizer: trainer?.optimizer });
  } catch (error) {
    if (!options.model && !trainer) model.dispose();
    throw error;
  }
  if (trainer && state) {
    trainer.stepCount = state.stepCount;
    trainer.epochCount = state.epochCount;
    trainer.generator.setState({ seed: BigInt(state.seed), offset: state.offset });
  }
  return model;
}
