// Variational autoencoders on MNIST, the public entry: import everything VAE from here.
//   model.ts       MlpVae (784-400-z) and ConvVae, the ELBO, the importance-weighted NLL, sampling,
//                  reconstructions, interpolations and the 2-D latent grid;
//   trainer.ts     VaeTrainer, a Trainer (seeded Adam, beta, KL warm-up, progress through gg.trainLoop);
//   checkpoint.ts  safetensors checkpoints of a model, or of a trainer that resume exactly;
//   eval.ts        test-set evaluation, anomaly detection by -ELBO with ROC-AUC, and the data
//                  augmentation experiment.
// Image grids, PNG files and canvas drawing are in src/metrics/.

export {
  Vae,
  MlpVae,
  ConvVae,
  createVae,
  normalQuantile,
  type VaeConfig,
  type VaeActivation,
  type MlpVaeConfig,
  type ConvVaeConfig,
  type VaeInitOptions,
  type Posterior,
  type Elbo,
  type ElboOptions,
  type ImportanceOptions,
  type NegativeElboOptions,
  type VaeSampleOptions,
} from './model.js';
export { VaeTrainer, type VaeTrainerOptions, type FitOptions, type EpochRecord } from './trainer.js';
export { saveVaeCheckpoint, loadVaeCheckpoint, readVaeConfig, type LoadVaeOptions } from './checkpoint.js';
export {
  evaluateVae,
  estimateNll,
  negativeElboScores,
  filterByLabel,
  anomalyDetection,
  synthesizeLabelled,
  synthesizeClassConditional,
  withExtraImages,
  augmentationExperiment,
  type EvaluationOptions,
  type VaeEvaluation,
  type NllOptions,
  type NllEstimate,
  type ScoreOptions,
  type AnomalyResult,
  type SynthesisOptions,
  type ClassConditionalOptions,
  type ClassConditionalSamples,
  type AugmentationOptions,
  type AugmentationResult,
} from './eval.js';
