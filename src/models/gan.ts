// Generative adversarial networks, the public entry: import everything GAN from here.
//   gan-model.ts  MLP and DCGAN generators and discriminators, SpectralNorm (power-iteration kernel);
//   gan-train.ts  the five losses, WGAN-GP's gradient penalty, the divergence watch, GanTrainer;
//   gan-checkpoint.ts  both networks, both optimizers and the trainer's noise stream in one safetensors file;
//   gan-lab.ts    the mode-collapse laboratory on the ring of 8 and the grid of 25 Gaussians;
//   gan-eval.ts   the MNIST classifier behind the Fréchet classifier distance, digit coverage and confidence.
// The Fréchet distance itself is in src/metrics/frechet.ts.

export {
  SpectralNorm,
  powerIteration,
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
} from './gan-model.js';
export {
  GAN_LOSSES,
  SMOOTHABLE_LOSSES,
  discriminatorLoss,
  generatorLoss,
  gradientPenalty,
  DivergenceWatch,
  GanTrainer,
  formatGanProgress,
  type GanLoss,
  type DiscriminatorLossOptions,
  type GradientPenaltyOptions,
  type DivergenceKind,
  type DivergenceEvent,
  type DivergenceWatchOptions,
  type GanTrainerOptions,
  type GanStepLosses,
  type GanLogRecord,
  type GanFitOptions,
  type GanHistory,
} from './gan-train.js';
export { saveGanCheckpoint, loadGanCheckpoint } from './gan-checkpoint.js';
export { modeCollapseLab, labMixture, formatLabResult, type LabDataset, type LabSetting, type LabOptions, type LabRecord, type LabResult } from './gan-lab.js';
export {
  MnistClassifier,
  trainMnistClassifier,
  saveMnistClassifier,
  loadMnistClassifier,
  classifierReport,
  evaluateGenerator,
  generateImages,
  type ClassifierTrainingOptions,
  type ClassifierReport,
  type ReportOptions,
  type GeneratorEvaluation,
  type GeneratorEvaluationOptions,
} from './gan-eval.js';
