// Variational autoencoders on MNIST, the public entry: import everything VAE from here.
//   vae-model.ts  MlpVae (784-400-z) and ConvVae, the ELBO, the importance-weighted NLL, sampling,
//                 reconstructions, interpolations and the 2-D latent grid;
//   vae-train.ts  VaeTrainer (seeded Adam, beta, KL warm-up, progress through gg.trainLoop) and
//                 safetensors checkpoints that resume exactly;
//   vae-eval.ts   test-set evaluation, anomaly detection by -ELBO with ROC-AUC, and the data
//                 augmentation experiment.
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
} from './vae-model.js';
export {
  VaeTrainer,
  formatVaeProgress,
  saveVaeCheckpoint,
  loadVaeCheckpoint,
  readVaeConfig,
  type VaeTrainerOptions,
  type FitOptions,
  type EpochRecord,
  type LoadVaeOptions,
} from './vae-train.js';
export {
  evaluateVae,
  estimateNll,
  negativeElboScores,
  filterByLabel,
  anomalyDetection,
  synthesizeLabelled,
  augmentationExperiment,
  type EvaluationOptions,
  type VaeEvaluation,
  type NllOptions,
  type NllEstimate,
  type ScoreOptions,
  type AnomalyResult,
  type SynthesisOptions,
  type AugmentationOptions,
  type AugmentationResult,
} from './vae-eval.js';
