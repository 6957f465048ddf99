// Generative adversarial networks, the public entry: import everything GAN from here.
//   model.ts       MLP and DCGAN generators and discriminators, SpectralNorm (power iteration: src/ops/spectral-norm.ts);
//   losses.ts      the five losses and WGAN-GP's gradient penalty;
//   trainer.ts     the divergence watch and GanTrainer, a Trainer;
//   checkpoint.ts  both networks, both optimizers and the trainer's noise stream in one safetensors file;
//   lab.ts         the mode-collapse laboratory on the ring of 8 and the grid of 25 Gaussians;
//   eval.ts        the Fréchet classifier distance, digit coverage and confidence of generated digits, with
//                  the MNIST classifier of src/models/shared/mnist-classifier.ts (exported here too).
// The Fréchet distance itself is in src/metrics/frechet.ts.

export { powerIteration } from '../../ops/spectral-norm.js';
export {
  SpectralNorm,
  MlpGenerator,
  MlpDiscriminator,
  DcganGenerator,
  DcganDiscriminator,
  type GanGenerator,
  type GanDiscriminator,
  type SpectralNormOptions,
  type MlpGeneratorOptions,
  type MlpDiscriminatorOptions,
  type DcganGeneratorOptions,
  type DcganDiscriminatorOptions,
} from './model.js';
export {
  GAN_LOSSES,
  SMOOTHABLE_LOSSES,
  discriminatorLoss,
  generatorLoss,
  gradientPenalty,
  type GanLoss,
  type DiscriminatorLossOptions,
  type GradientPenaltyOptions,
} from './losses.js';
export {
  DivergenceWatch,
  GanTrainer,
  type RealBatches,
  type DivergenceKind,
  type DivergenceEvent,
  type DivergenceWatchOptions,
  type GanTrainerOptions,
  type GanStepLosses,
  type GanLogRecord,
  type GanFitOptions,
  type GanHistory,
} from './trainer.js';
export { saveGanCheckpoint, loadGanCheckpoint } from './checkpoint.js';
export { modeCollapseLab, labMixture, formatLabResult, type LabDataset, type LabSetting, type LabOptions, type LabRecord, type LabResult } from './lab.js';
export {
  MnistClassifier,
  trainMnistClassifier,
  saveMnistClassifier,
  loadMnistClassifier,
  classifierReport,
  evaluateImages,
  type ImageEvaluation,
  type ClassifierTrainingOptions,
  type ClassifierReport,
  type ReportOptions,
} from '../shared/mnist-classifier.js';
export { evaluateGenerator, generateImages, type GeneratorEvaluation, type GeneratorEvaluationOptions } from './eval.js';
