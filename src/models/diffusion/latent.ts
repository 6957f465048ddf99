// Latent diffusion (Rombach et al. 2022, the design of Stable Diffusion) at MNIST scale: a trained VAE's
// encoder maps images to latents, a diffusion model learns the distribution of those latents, and the
// VAE's decoder turns sampled latents back into images. Latents are the posterior means, standardised
// per dimension (Stable Diffusion scales its latents to unit variance for the same reason: the
// schedule assumes data of about unit scale), and the standardisation travels with the model.

import { noGrad } from '../../autograd.js';
import { tensor } from '../../ops/creation.js';
import { scope, type Tensor } from '../../tensor.js';
import type { Vae } from '../vae/model.js';

/** The per-dimension standardisation of a VAE's latents: z_standard = (mu - mean) / std. */
export interface LatentNormalization {
  /** Mean of each latent dimension over the encoded images. */
  mean: number[];
  /** Standard deviation of each latent dimension over the encoded images. */
  std: number[];
}

/** Options of {@link encodeLatents}. */
export interface EncodeLatentsOptions {
  /** Images per GPU batch (default 1000). */
  batchSize?: number;
  /** Standardise with this (e.g. the training set's for a test set); default: the encoded images' own. */
  normalization?: LatentNormalization;
}

/** What encodeLatents returns. */
export interface EncodedLatents {
  /** The standardised latents, [N * latentDim] row-major. */
  latents: Float32Array;
  /** The standardisation used. */
  normalization: LatentNormalization;
}

/**
 * The standardised posterior means of images [N, pixels] (values in [0, 1]) under `vae`, on the host ([N * latentDim],
 * ready for gg.data.arrayDataset), with the standardisation used.
 */
export async function encodeLatents(vae: Vae, images: Float32Array, options: EncodeLatentsOptions = {}): Promise<EncodedLatents> {
  const { batchSize = 1000 } = options;
  const pixels = vae.pixels;
  if (images.length % pixels !== 0) throw new Error(`encodeLatents: ${images.length} values are not whole images of ${pixels} pixels`);
  const count = images.length / pixels;
  const d = vae.latentDim;
  const latents = new Float32Array(count * d);
  const wasTraining = vae.training;
  vae.eval();
  try {
    for (let start = 0; start < count; start += batchSize) {
      const end = Math.min(count, start + batchSize);
      const mu = noGrad(() => scope(() => vae.encode(tensor(images.subarray(start * pixels, end * pixels), [end - start, pixels])).mu));
      latents.set(await mu.data(), start * d);
      mu.dispose();
    }
  } finally {
    vae.train(wasTraining);
  }
  const normalization = options.normalization ?? latentStatistics(latents, d);
  checkNormalization('encodeLatents', normalization, d);
  for (let i = 0; i < latents.length; i++) latents[i] = (latents[i] - normalization.mean[i % d]) / normalization.std[i % d];
  return { latents, normalization };
}

/** Each dimension's mean and standard deviation (float64 sums). */
function latentStatistics(latents: Float32Array, d: number): LatentNormalization {
  const n = latents.length / d;
  const mean = new Array<number>(d).fill(0);
  const square = new Array<number>(d).fill(0);
  for (let i = 0; i < latents.length; i++) mean[i % d] += latents[i] / n;
  for (let i = 0; i < latents.length; i++) square[i % d] += (latents[i] - mean[i % d]) ** 2 / n;
  return { mean, std: square.map((v) => Math.sqrt(v)) };
}

function checkNormalization(op: string, normalization: LatentNormalization, d: number): void {
  const { mean, std } = normalization;
  if (mean.length !== d || std.length !== d || !std.every((s) => s > 0 && Number.isFinite(s)) || !mean.every(Number.isFinite)) {
    throw new Error(`${op}: the normalization needs ${d} finite means and ${d} standard deviations > 0, got ${mean.length} and ${std.length}`);
  }
}

/** Images [N, pixels] in [0, 1] from standardised latents [N, latentDim]: the VAE decoder's means (the caller disposes them). */
export function decodeLatents(vae: Vae, latents: Tensor, normalization: LatentNormalization): Tensor {
  checkNormalization('decodeLatents', normalization, vae.latentDim);
  const wasTraining = vae.training;
  vae.eval();
  try {
    return noGrad(() => scope(() => vae.decode(latents.mul(tensor([normalization.std])).add(tensor([normalization.mean]))).sigmoid()));
  } finally {
    vae.train(wasTraining);
  }
}
