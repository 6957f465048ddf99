// Diffusion checkpoints: safetensors files with the denoiser's weights under 'model.*' and its
// architecture in __metadata__['diffusion.config']; with a trainer, the whole training state (the
// weight average under 'model.ema.*', Adam's state, the counters and the random stream, and the
// settings: schedule, prediction), so a run resumes exactly. Latent models also store their VAE
// latents' standardisation, under __metadata__['diffusion.latents'].

import { readHeader } from '../../io/format.js';
import { loadModelCheckpoint, readModelConfig, saveModelCheckpoint, type LoadModelOptions, type ModelFamily } from '../../train/checkpoint.js';
import { createDenoiser } from './create.js';
import type { Denoiser, DenoiserConfig } from './denoiser.js';
import type { LatentNormalization } from './latent.js';
import type { DiffusionTrainer } from './trainer.js';

const LATENTS_KEY = 'diffusion.latents';

const diffusionFamily: ModelFamily<DenoiserConfig, Denoiser> = {
  loader: 'loadDiffusionCheckpoint',
  saver: 'saveDiffusionCheckpoint',
  configKey: 'diffusion.config',
  create: (config) => createDenoiser(config),
};

/** Options of `saveDiffusionCheckpoint`. */
export interface SaveDiffusionOptions {
  /** Also save the whole training state of this trainer (of the model). */
  trainer?: DiffusionTrainer;
  /** A latent model's standardisation of its VAE's latents, stored with it. */
  latents?: LatentNormalization;
  /** More metadata to store. */
  metadata?: Record<string, string>;
}

/** A safetensors checkpoint of a denoiser (and its trainer's state, and a latent model's standardisation, when given). */
export function saveDiffusionCheckpoint(model: Denoiser, options: SaveDiffusionOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
  const metadata = { ...options.metadata, ...(options.latents ? { [LATENTS_KEY]: JSON.stringify(options.latents) } : {}) };
  return saveModelCheckpoint(diffusionFamily, model, options.trainer, metadata);
}

/** The denoiser architecture stored in a diffusion checkpoint (reads the header only). */
export function readDenoiserConfig(bytes: Uint8Array): DenoiserConfig {
  return readModelConfig(bytes, diffusionFamily, 'readDenoiserConfig');
}

/** A latent model's standardisation stored in a checkpoint, or null for a pixel model's. */
export function readLatentNormalization(bytes: Uint8Array): LatentNormalization | null {
  const stored = readHeader(bytes).metadata[LATENTS_KEY];
  return stored === undefined ? null : (JSON.parse(stored) as LatentNormalization);
}

/** Options of `loadDiffusionCheckpoint`. */
export type LoadDiffusionOptions = LoadModelOptions<Denoiser, DiffusionTrainer>;

/** Restores a checkpoint from saveDiffusionCheckpoint; returns the denoiser it loaded into. */
export function loadDiffusionCheckpoint(bytes: Uint8Array, options: LoadDiffusionOptions = {}): Promise<Denoiser> {
  return loadModelCheckpoint(bytes, diffusionFamily, options);
}
