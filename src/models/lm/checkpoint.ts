// Language-model checkpoints: LanguageModelTrainer's state (the model, AdamW's state, the dropout
// stream and the step count, which places the learning-rate schedule) as a trainer checkpoint of
// src/train/checkpoint.ts. Files written before trainer checkpoints (trainLanguageModel's, with the
// step and the dropout stream's offset in __metadata__['step'] and ['generatorOffset']) still load.

import { loadTrainerCheckpoint, saveTrainerCheckpoint } from '../../train/index.js';
import { randomState, type TrainerRecord } from '../../train/trainer.js';
import type { LanguageModelTrainer } from './trainer.js';

/** The trainer record of a file from before trainer checkpoints, for `trainer` (whose seed the file did not keep). */
function legacyRecord(metadata: Record<string, string>, trainer: LanguageModelTrainer): TrainerRecord {
  const { generator } = trainer;
  const offset = metadata.generatorOffset;
  const dropout = generator && (offset === undefined ? randomState(generator) : { seed: generator.initialSeed().toString(), offset: Number(offset) });
  return { step: Number(metadata.step ?? 0), counters: {}, random: dropout ? { dropout } : {}, settings: {} };
}

/** A checkpoint of a language-model trainer: the model, AdamW's state, the dropout stream and the step count, and `metadata`. */
export function saveLanguageModelCheckpoint(trainer: LanguageModelTrainer, metadata: Record<string, string> = {}): Promise<Uint8Array<ArrayBuffer>> {
  return saveTrainerCheckpoint(trainer, metadata);
}

/** Restores a checkpoint from saveLanguageModelCheckpoint into a trainer of the same architecture; returns the file's metadata. */
export function loadLanguageModelCheckpoint(bytes: Uint8Array, trainer: LanguageModelTrainer): Promise<Record<string, string>> {
  return loadTrainerCheckpoint(bytes, trainer, {
    owner: 'loadLanguageModelCheckpoint',
    writer: 'saveLanguageModelCheckpoint',
    legacyRecord: (metadata) => legacyRecord(metadata, trainer),
  });
}
