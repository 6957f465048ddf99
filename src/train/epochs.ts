// Training by epochs, as the trainers' fit() methods do it: each epoch one trainLoop run over a seeded
// shuffle of the dataset (epoch e uses the e-th permutation, so a resumed run continues the same
// order), with progress lines and the NaN/Inf watch, and a summary per epoch: the step-weighted mean
// of a loss over the epoch's progress points.

import type { Tensor } from '../tensor.js';
import { batches, type Batch, type Dataset } from '../data/loader.js';
import { formatProgress, type Progress } from './progress.js';
import { trainLoop } from './loop.js';
import type { Losses } from './trainer.js';

/** One finished epoch. */
export interface EpochSummary {
  /** The epoch's number, from 1. */
  epoch: number;
  /** Steps it took. */
  steps: number;
  /** The mean of `lossOf` over its steps. */
  loss: number;
  /** Its training time (progress reads included, evaluations not). */
  seconds: number;
}

/** What `runEpochs` needs. */
export interface EpochsOptions<K extends string> {
  /** Who runs them, for errors ('VaeTrainer.fit'). */
  owner: string;
  /** The examples. */
  dataset: Dataset<K>;
  /** Passes over the dataset to run. */
  epochs: number;
  /** Examples per step. */
  batchSize: number;
  /** Seed of the shuffle. */
  shuffleSeed: number;
  /** Epochs the trainer has completed before: the first one run here is number `completed + 1`. */
  completed: number;
  /** One step on a batch. */
  step: (batch: Batch<K>) => Losses;
  /** The number each progress point's losses are summarised by (its mean over the epoch is EpochSummary.loss). */
  lossOf: (losses: Record<string, number>) => number;
  /** The examples' unit for the progress line ('img'). */
  unit: string;
  /** Steps between progress lines (default: about 20 per epoch). */
  logEvery?: number;
  /** Receives each progress line (default: printed, prefixed with the epoch). */
  onProgress?: (progress: Progress, epoch: number) => void;
  /** The tensors the NaN/Inf watch checks after every step (none when omitted). */
  watch?: () => Iterable<[string, Tensor]>;
  /** Called after each epoch (awaited) before the next one starts. */
  onEpoch: (summary: EpochSummary) => void | Promise<void>;
}

/** Runs the epochs; returns their summaries. */
export async function runEpochs<K extends string>(options: EpochsOptions<K>): Promise<EpochSummary[]> {
  const { owner, dataset, epochs, batchSize, shuffleSeed, completed } = options;
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`${owner}: epochs must be a positive integer, got ${epochs}`);
  if (dataset.length === 0) throw new Error(`${owner}: the dataset is empty`);
  const summaries: EpochSummary[] = [];
  for (let e = 0; e < epochs; e++) {
    const epoch = completed + e + 1;
    const steps = Math.ceil(dataset.length / batchSize);
    const onProgress = options.onProgress ?? ((p: Progress) => console.log(`epoch ${epoch}  ${formatProgress(p)}`));
    const history = await trainLoop({
      trainer: { step: options.step },
      batches: batches(dataset, { batchSize, seed: shuffleSeed, epoch: epoch - 1 }),
      steps,
      examplesPerStep: batchSize,
      unit: options.unit,
      logEvery: options.logEvery,
      onProgress: (p) => onProgress(p, epoch),
      watch: options.watch,
    });
    let [previous, total] = [0, 0];
    for (const { step, losses } of history.points) {
      total += options.lossOf(losses) * (step - previous);
      previous = step;
    }
    const summary = { epoch, steps, loss: total / steps, seconds: history.seconds };
    summaries.push(summary);
    await options.onEpoch(summary);
  }
  return summaries;
}
