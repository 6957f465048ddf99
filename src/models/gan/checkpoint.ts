// GAN checkpoints: GanTrainer's state (both networks, both Adam optimizers, the noise stream, the step
// count and the settings) as a trainer checkpoint of src/train/checkpoint.ts, so training resumes
// exactly where it stopped. Names are prefixed by player: 'model.generator.<key>',
// 'model.discriminator.<key>', 'optimizer.generator.state.<i>.<name>', ... Files written before trainer
// checkpoints kept the settings and noise stream in __metadata__['gan.trainer']; they still load.

import { loadTrainerCheckpoint, saveTrainerCheckpoint, type TrainerRecord } from '../../train/index.js';
import type { GanTrainer } from './trainer.js';

/** Where files from before trainer checkpoints kept the trainer's settings and noise stream. */
const LEGACY_TRAINER_KEY = 'gan.trainer';

/** The trainer record of a file with __metadata__['gan.trainer'] (which kept no step count) instead of 'trainer.state'. */
function legacyRecord(metadata: Record<string, string>): TrainerRecord | null {
  const stored = metadata[LEGACY_TRAINER_KEY];
  if (stored === undefined) return null;
  const { loss, labelSmoothing, penaltyWeight, discriminatorSteps, seed, offset } = JSON.parse(stored) as Record<string, string | number>;
  return { step: 0, counters: {}, random: { noise: { seed: String(seed), offset: Number(offset) } }, settings: { loss, labelSmoothing, penaltyWeight, discriminatorSteps } };
}

/** A checkpoint of a GAN trainer: both networks, both optimizers, its settings, step count and noise stream, and `metadata`. */
export function saveGanCheckpoint(trainer: GanTrainer, metadata: Record<string, string> = {}): Promise<Uint8Array<ArrayBuffer>> {
  return saveTrainerCheckpoint(trainer, metadata);
}

/**
 * Restores a checkpoint from saveGanCheckpoint into a trainer built with the same networks and
 * settings (loss, label smoothing, penalty weight, discriminator steps); returns the file's metadata.
 */
export function loadGanCheckpoint(bytes: Uint8Array, trainer: GanTrainer): Promise<Record<string, string>> {
  return loadTrainerCheckpoint(bytes, trainer, { owner: 'loadGanCheckpoint', writer: 'saveGanCheckpoint', legacyRecord });
}
