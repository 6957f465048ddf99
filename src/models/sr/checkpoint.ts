// Super-resolution checkpoints: safetensors files with a network's weights under 'model.*' and its
// architecture in __metadata__['sr.config'] (the files the benchmark writes and the demo loads). A
// training run's whole state (both networks of an SRGAN, Adam's) goes through gg.saveTrainerCheckpoint.

import { loadModelCheckpoint, readModelConfig, saveModelCheckpoint, type ModelFamily } from '../../train/checkpoint.js';
import { createSuperResolver, type SrConfig, type SuperResolver } from './networks.js';

const srFamily: ModelFamily<SrConfig, SuperResolver> = {
  loader: 'loadSrCheckpoint',
  saver: 'saveSrCheckpoint',
  configKey: 'sr.config',
  create: (config) => createSuperResolver(config),
};

/** A safetensors checkpoint of a super-resolution network, with `metadata` (e.g. how it was trained and scored). */
export function saveSrCheckpoint(model: SuperResolver, metadata: Record<string, string> = {}): Promise<Uint8Array<ArrayBuffer>> {
  return saveModelCheckpoint(srFamily, model, undefined, metadata);
}

/** The architecture stored in a super-resolution checkpoint (reads the header only). */
export function readSrConfig(bytes: Uint8Array): SrConfig {
  return readModelConfig(bytes, srFamily, 'readSrConfig');
}

/** Restores a checkpoint from saveSrCheckpoint: into `model` (same architecture), or a new network built from the file. */
export function loadSrCheckpoint(bytes: Uint8Array, options: { model?: SuperResolver } = {}): Promise<SuperResolver> {
  return loadModelCheckpoint(bytes, srFamily, options);
}
