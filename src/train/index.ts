// Training, the public entry: the Trainer contract, the loop that drives it, the progress line and
// trainer checkpoints.

export { trainLoop, NonFiniteError, type TrainLoopOptions, type LoopSettings, type TrainHistory, type BatchSource } from './loop.js';
export { formatProgress, formatDuration, type Progress } from './progress.js';
export {
  randomState,
  restoreRandom,
  settingsMismatch,
  checkStateTensors,
  prefixed,
  unprefixed,
  type Trainer,
  type Losses,
  type TrainerState,
  type TrainerRecord,
  type TrainerSetting,
  type RandomState,
} from './trainer.js';
export { saveTrainerCheckpoint, loadTrainerCheckpoint, readTrainerRecord, TRAINER_STATE_KEY, type LoadTrainerCheckpointOptions } from './checkpoint.js';
