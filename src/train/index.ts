// Training, the public entry (src/index.ts re-exports all of it): the Trainer contract, the loop that
// drives it, the progress line, trainer checkpoints and step capture (replay). The helpers trainer implementations share to
// build and check their states live in trainer.ts and checkpoint.ts, imported from there.

export { trainLoop, NonFiniteError, type TrainLoopOptions, type LoopSettings, type TrainHistory, type BatchSource } from './loop.js';
export { formatProgress, formatDuration, type Progress } from './progress.js';
export {
  type Trainer,
  type Losses,
  type TrainerState,
  type TrainerRecord,
  type TrainerSetting,
  type RandomState,
} from './trainer.js';
export { saveTrainerCheckpoint, loadTrainerCheckpoint, type LoadTrainerCheckpointOptions } from './checkpoint.js';
export { runEpochs, type EpochSummary, type EpochsOptions } from './epochs.js';
export type { LoadModelOptions } from './checkpoint.js';
export { capture, type CaptureOptions, type CaptureResult, type CapturedFunction } from './capture.js';
