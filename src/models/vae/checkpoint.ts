// VAE checkpoints: safetensors files with the model's weights under 'model.*' and its architecture in
// __metadata__['vae.config']; with a trainer, the trainer checkpoint of src/train/checkpoint.ts (the
// weight average under 'model.ema.*', Adam's state, the step and epoch counts and the noise stream),
// so a run resumes exactly. Files written before trainer checkpoints kept the trainer's state in
// __metadata__['vae.trainer']; they still load.

import { loadModelCheckpoint, readModelConfig, saveModelCheckpoint, type LoadModelOptions, type ModelFamily } from '../../train/checkpoint.js';
import type { TrainerRecord } from '../../train/trainer.js';
import { createVae, type Vae, type VaeConfig } from './model.js';
import type { VaeTrainer } from './trainer.js';

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

/** The VAE family's checkpoint settings (see saveModelCheckpoint). */
const vaeFamily: ModelFamily<VaeConfig, Vae> = { loader: 'loadVaeCheckpoint', saver: 'saveVaeCheckpoint', configKey: CONFIG_KEY, create: (config) => createVae(config), legacyRecord };

/**
 * A safetensors checkpoint of a VAE: its weights under 'model.*' and its architecture in the metadata; with a
 * trainer, the trainer's whole state too (Adam's, the weight average under 'model.ema.*', the counters and the noise
 * stream).
 */
export function saveVaeCheckpoint(model: Vae, trainer?: VaeTrainer, metadata: Record<string, string> = {}): Promise<Uint8Array<ArrayBuffer>> {
  return saveModelCheckpoint(vaeFamily, model, trainer, metadata);
}

/** The architecture stored in a VAE checkpoint (reads the header only). */
export function readVaeConfig(bytes: Uint8Array): VaeConfig {
  return readModelConfig(bytes, vaeFamily, 'readVaeConfig');
}

/** Options of `loadVaeCheckpoint`. */
export type LoadVaeOptions = LoadModelOptions<Vae, VaeTrainer>;

/** Restores a checkpoint from saveVaeCheckpoint; returns the model it loaded into. */
export function loadVaeCheckpoint(bytes: Uint8Array, options: LoadVaeOptions = {}): Promise<Vae> {
  return loadModelCheckpoint(bytes, vaeFamily, options);
}
