// Denoising diffusion models, the public entry: import everything diffusion from here.
//   schedule.ts   NoiseSchedule: linear (Ho et al.) and cosine (Nichol & Dhariwal) betas, ā_t, posteriors;
//   denoiser.ts   the Denoiser contract, the time/class conditioning and MlpDenoiser (latent diffusion);
//   unet.ts       UNet, the image denoiser (residual blocks, GroupNorm, attention in the middle);
//   objective.ts  the DDPM loss (epsilon or v prediction, label dropout for guidance);
//   samplers.ts   ancestral DDPM and DDIM sampling with classifier-free guidance and progress;
//   trainer.ts    DiffusionTrainer, a Trainer (seeded Adam, clipping, weight average, fit());
//   bound.ts      the variational bound in bits per dimension (prior, diffusion and decoder terms);
//   latent.ts     latent diffusion: a VAE's standardised latents in, decoded images out;
//   checkpoint.ts safetensors checkpoints of a denoiser, with its trainer's state or a latent model's standardisation;
//   create.ts     createDenoiser from a config.

export { NoiseSchedule, type NoiseScheduleOptions, type ScheduleKind, type ForwardCoefficients, type PosteriorCoefficients } from './schedule.js';
export { Denoiser, MlpDenoiser, Conditioning, type MlpDenoiserConfig, type DenoiserConfig, type DenoiserInitOptions } from './denoiser.js';
export { diffusionLoss, diffusionLossAt, predictedNoiseAndData, perExample, type NoiseAndData, type Prediction, type DiffusionLossOptions } from './objective.js';
export { ddpmSample, ddimSample, type SamplerOptions, type DdimOptions, type SamplingProgress } from './samplers.js';
export { DiffusionTrainer, type DiffusionTrainerOptions, type DiffusionBatch, type LabelledBatch, type DiffusionFitOptions } from './trainer.js';
export { createDenoiser } from './create.js';
export { encodeLatents, decodeLatents, type LatentNormalization, type EncodeLatentsOptions, type EncodedLatents } from './latent.js';
export { UNet, defaultUNetConfig, type UNetConfig } from './unet.js';
export {
  saveDiffusionCheckpoint,
  loadDiffusionCheckpoint,
  readDenoiserConfig,
  readLatentNormalization,
  type SaveDiffusionOptions,
  type LoadDiffusionOptions,
} from './checkpoint.js';
export { variationalBound, type BoundOptions, type VariationalBound } from './bound.js';
