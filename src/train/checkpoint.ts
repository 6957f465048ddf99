// Trainer checkpoints: a Trainer's stateDict() as one safetensors file, in gg.io's checkpoint layout
// ('model.<name>' and 'optimizer.<name>' tensors, the optimizers' hyperparameters as JSON in
// __metadata__['optimizer.hyperparameters']) plus the trainer's counters, random streams and settings
// as JSON in __metadata__['trainer.state']. The VAE, GAN and language-model checkpoints are this file
// with family metadata of their own; saveModelCheckpoint / loadModelCheckpoint are the part a family
// with an architecture config shares (a model alone, or with its trainer; the weight average either way).

import { scope, type Tensor } from '../tensor.js';
import { HYPERPARAMETERS_KEY, loadCheckpoint, saveCheckpoint, type Stateful } from '../io/checkpoint.js';
import type { Module } from '../nn/module.js';
import { splitAverage, withAverage } from './weight-average.js';
import { readHeader } from '../io/format.js';
import { loadTensors, serialize } from '../io/tensors.js';
import { settingsMismatch, unprefixed, type Trainer, type TrainerRecord, type TrainerState } from './trainer.js';

/** The __metadata__ key that holds a trainer checkpoint's {@link TrainerRecord} as JSON. */
export const TRAINER_STATE_KEY = 'trainer.state';

/** Options of `loadTrainerCheckpoint`. */
export interface LoadTrainerCheckpointOptions {
  /** Who is loading, for errors (default 'loadTrainerCheckpoint'). */
  owner?: string;
  /** Who writes such files, for the error about a file without a trainer state (default 'saveTrainerCheckpoint'). */
  writer?: string;
  /** The record of a file written before __metadata__['trainer.state'] existed, read from its metadata (null: none). */
  legacyRecord?: (metadata: Record<string, string>) => TrainerRecord | null;
}

/** A trainer's whole state as safetensors bytes, with `metadata` (whose keys may not be the two the file reserves). */
export async function saveTrainerCheckpoint(trainer: Pick<Trainer<unknown>, 'stateDict'>, metadata: Record<string, string> = {}): Promise<Uint8Array<ArrayBuffer>> {
  for (const key of [TRAINER_STATE_KEY, HYPERPARAMETERS_KEY]) {
    if (key in metadata) throw new Error(`saveTrainerCheckpoint: the metadata key '${key}' is reserved for the trainer's state`);
  }
  // serialize() records its GPU copies before returning, so the scope may free the copies stateDict()
  // made as soon as it ends; the object wrapper is because scopes refuse a bare promise.
  const pending = scope(() => {
    const { model, optimizer, hyperparameters, step, counters, random, settings } = trainer.stateDict();
    const tensors: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(model)) tensors[`model.${name}`] = t;
    for (const [name, t] of Object.entries(optimizer)) tensors[`optimizer.${name}`] = t;
    const record: TrainerRecord = { step, counters, random, settings };
    const all = { ...metadata, [HYPERPARAMETERS_KEY]: JSON.stringify(hyperparameters), [TRAINER_STATE_KEY]: JSON.stringify(record) };
    return { bytes: serialize(tensors, all) };
  });
  return pending.bytes;
}

/** The trainer record a file holds, or null (the file was not written by saveTrainerCheckpoint). */
export function readTrainerRecord(metadata: Record<string, string>): TrainerRecord | null {
  const stored = metadata[TRAINER_STATE_KEY];
  return stored === undefined ? null : (JSON.parse(stored) as TrainerRecord);
}

/**
 * Restores a checkpoint from saveTrainerCheckpoint into a trainer built with the same models and settings; returns the
 * file's metadata. The settings are compared before any tensor is read, and the trainer's loadStateDict checks every
 * name, shape and dtype before it changes anything.
 */
export async function loadTrainerCheckpoint(bytes: Uint8Array, trainer: Trainer<unknown>, options: LoadTrainerCheckpointOptions = {}): Promise<Record<string, string>> {
  const { owner = 'loadTrainerCheckpoint', writer = 'saveTrainerCheckpoint' } = options;
  const { metadata } = readHeader(bytes);
  const record = readTrainerRecord(metadata) ?? options.legacyRecord?.(metadata) ?? null;
  if (!record) throw new Error(`${owner}: the file has no __metadata__['${TRAINER_STATE_KEY}']; it was not written by ${writer}`);
  const own = scope(() => ({ settings: trainer.stateDict().settings })).settings;
  const mismatch = settingsMismatch(record.settings, own);
  if (mismatch) throw new Error(`${owner}: the file was trained with ${mismatch}`);
  const stored = metadata[HYPERPARAMETERS_KEY];
  if (stored === undefined) throw new Error(`${owner}: the file has no optimizer (no __metadata__['${HYPERPARAMETERS_KEY}'])`);
  const tensors = loadTensors(bytes);
  try {
    const stray = Object.keys(tensors).filter((name) => !name.startsWith('model.') && !name.startsWith('optimizer.'));
    if (stray.length > 0) throw new Error(`${owner}: tensors outside 'model.' and 'optimizer.': ${stray.join(', ')}`);
    const state: TrainerState = { ...record, model: unprefixed('model', tensors), optimizer: unprefixed('optimizer', tensors), hyperparameters: JSON.parse(stored) };
    await trainer.loadStateDict(state);
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
  return metadata;
}

/** How a model family stores its architecture and rebuilds a model from it (see saveModelCheckpoint). */
export interface ModelFamily<Config, M extends Module & { readonly config: Config }> {
  /** The family's loader and saver, for errors ('loadVaeCheckpoint', 'saveVaeCheckpoint'). */
  loader: string;
  saver: string;
  /** The __metadata__ key of the architecture ('vae.config'). */
  configKey: string;
  /** A new model of that architecture. */
  create: (config: Config) => M;
  /** The record of a file from before trainer checkpoints, if the family wrote such files. */
  legacyRecord?: (metadata: Record<string, string>) => TrainerRecord | null;
}

/** Options of `loadModelCheckpoint`. */
export interface LoadModelOptions<M, T> {
  /** Load into this model (its architecture must match the file's); default: a new model built from the file. */
  model?: M;
  /** Restore the whole training state into this trainer (of `model`). */
  trainer?: T;
  /** Without a trainer, from a file with a weight average: load the averaged weights (default false: the raw ones). */
  averaged?: boolean;
}

/**
 * A model checkpoint of a family: the weights under 'model.*' and the architecture in the metadata; with a trainer,
 * the trainer's whole state (a trainer checkpoint), so a run resumes exactly.
 */
export function saveModelCheckpoint<Config, M extends Module & { readonly config: Config }>(
  family: ModelFamily<Config, M>, model: M, trainer?: Trainer<unknown> & { readonly model: M }, metadata: Record<string, string> = {},
): Promise<Uint8Array<ArrayBuffer>> {
  if (trainer && trainer.model !== model) throw new Error(`${family.saver}: the trainer trains another model`);
  const all: Record<string, string> = { ...metadata, [family.configKey]: JSON.stringify(model.config) };
  return trainer ? saveTrainerCheckpoint(trainer, all) : saveCheckpoint({ model, metadata: all });
}

/** The architecture a family's checkpoint holds (reads the header only). */
export function readModelConfig<Config>(bytes: Uint8Array, family: Pick<ModelFamily<Config, never>, 'configKey' | 'saver'>, reader: string): Config {
  const stored = readHeader(bytes).metadata[family.configKey];
  if (stored === undefined) throw new Error(`${reader}: the file has no __metadata__['${family.configKey}']; it was not written by ${family.saver}`);
  return JSON.parse(stored) as Config;
}

/** Restores a checkpoint from saveModelCheckpoint; returns the model it loaded into. */
export async function loadModelCheckpoint<Config, M extends Module & { readonly config: Config }>(
  bytes: Uint8Array, family: ModelFamily<Config, M>, options: LoadModelOptions<M, Trainer<unknown> & { readonly model: M }> = {},
): Promise<M> {
  const { loader, saver, legacyRecord } = family;
  const config = readModelConfig<Config>(bytes, family, loader);
  const { trainer } = options;
  const model = options.model ?? trainer?.model ?? family.create(config);
  if (JSON.stringify(model.config) !== JSON.stringify(config)) {
    throw new Error(`${loader}: the file holds ${JSON.stringify(config)}, the model is ${JSON.stringify(model.config)}`);
  }
  if (trainer && trainer.model !== model) throw new Error(`${loader}: the trainer trains another model`);
  if (trainer) {
    await loadTrainerCheckpoint(bytes, trainer, { owner: loader, writer: `${saver} with a trainer`, legacyRecord });
    return model;
  }
  const metadata = readHeader(bytes).metadata;
  const record = readTrainerRecord(metadata) ?? legacyRecord?.(metadata) ?? null;
  const hasAverage = Number(record?.settings.emaDecay ?? 0) > 0;
  if (options.averaged && !hasAverage) throw new Error(`${loader}: averaged weights were asked for but the file has no weight average`);
  try {
    await loadCheckpoint(bytes, { model: hasAverage ? oneOfTwo(model, options.averaged ?? false) : model });
  } catch (error) {
    if (!options.model) model.dispose();
    throw error;
  }
  return model;
}

/** One model as the Stateful of a file with a weight average: it answers for both sets of names and loads the set selected. */
function oneOfTwo(model: Module, averaged: boolean): Stateful {
  return {
    stateDict: () => withAverage(model.stateDict(), model.stateDict()),
    loadStateDict(state, options) {
      const { raw, average } = splitAverage(state);
      model.loadStateDict(averaged ? average : raw, options);
    },
  };
}
