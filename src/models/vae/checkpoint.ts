// VAE checkpoints: safetensors files with the model's weights under 'model.*' and its architecture in
// __metadata__['vae.config']; with a trainer, the trainer checkpoint of src/train/checkpoint.ts (the
// weight average under 'model.ema.*', Adam's state, the step and epoch counts and the noise stream),
// so a run resumes exactly. Files written before trainer checkpoints kept the trainer's state in
// __metadata__['vae.trainer']; they still load.

import { loadCheckpoint, saveCheckpoint, type Stateful } from '../../io/checkpoint.js';
import { readHeader } from '../../io/format.js';
import { loadTrainerCheckpoint, readTrainerRecord, saveTrainerCheckpoint } from '../../train/checkpoint.js';
import type { TrainerRecord } from '../../train/trainer.js';
import { createVae, type Vae, type VaeConfig } from './model.js';
import type { VaeTrainer } from './trainer.js';
import { splitAverage, withAverage } from '../../train/weight-average.js';

const CONFIG_KEY = 'vae.config';
/** Where files from before trainer checkpoints kept the trainer's state. */
const LEGACY_TRAINER_KEY = 'vae.trainer';

/** The trainer record of a file with __metadata__['vae.trainer'] instead of 'trainer.state'. */
function legacyRecord(metadata: Record<string, string>): TrainerRecord | null {
  const stored = metadata[LEGACY_TRAINER_KEY];
  if (stored === undefined) return null;
  const old = JSON.parse(stored) as { stepCount: number; epochCount: number; beta: number; klWarmupSteps: number; emaDecay: number; seed: string; offset: number };
  return {
    step: old.stepCount,
    counters: { epoch: old.epochCount },
    random: { noise: { seed: old.seed, offset: old.offset } },
    settings: { beta: old.beta, klWarmupSteps: old.klWarmupSteps, emaDecay: old.emaDecay },
  };
}

/**
 * A safetensors checkpoint of a VAE: its weights under 'model.*' and its architecture in the metadata; with a
 * trainer, the trainer's whole state too (Adam's, the weight average under 'model.ema.*', the counters and the noise
 * stream).
 */
export async function saveVaeCheckpoint(model: Vae, trainer?: VaeTrainer, metadata: Record<string, string> = {}): Promise<Uint8Array<ArrayBuffer>> {
  if (trainer && trainer.model !== model) throw new Error('saveVaeCheckpoint: the trainer trains another model');
  const all: Record<string, string> = { ...metadata, [CONFIG_KEY]: JSON.stringify(model.config) };
  return trainer ? saveTrainerCheckpoint(trainer, all) : saveCheckpoint({ model, metadata: all });
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

/**
 * One model as the Stateful of a file with a weight average: it answers for both sets of names and loads the set
 * selected.
 */
function oneOfTwo(model: Vae, averaged: boolean): Stateful {
  return {
    stateDict: () => withAverage(model.stateDict(), model.stateDict()),
    loadStateDict(state, options) {
      const { raw, average } = splitAverage(state);
      model.loadStateDict(averaged ? average : raw, options);
    },
  };
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
  if (trainer) {
    await loadTrainerCheckpoint(bytes, trainer, { owner: 'loadVaeCheckpoint', writer: 'saveVaeCheckpoint with a trainer', legacyRecord });
    return model;
  }
  const metadata = readHeader(bytes).metadata;
  const record = readTrainerRecord(metadata) ?? legacyRecord(metadata);
  const hasAverage = Number(record?.settings.emaDecay ?? 0) > 0;
  if (options.averaged && !hasAverage) throw new Error('loadVaeCheckpoint: averaged weights were asked for but the file has no weight average');
  try {
    await loadCheckpoint(bytes, { model: hasAverage ? oneOfTwo(model, options.averaged ?? false) : model });
  } catch (error) {
    if (!options.model) model.dispose();
    throw error;
  }
  return model;
}
