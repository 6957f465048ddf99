// Rebuilding a denoiser from its config (a checkpoint's, or to make a trainer's weight average of the
// same architecture). Apart from denoiser.ts so that it can name every architecture.

import { MlpDenoiser, type Denoiser, type DenoiserConfig, type DenoiserInitOptions } from './denoiser.js';
import { UNet } from './unet.js';

export type { Denoiser };

/** A new denoiser of the architecture `config` describes, freshly initialised. */
export function createDenoiser(config: DenoiserConfig, options: DenoiserInitOptions = {}): Denoiser {
  if (config.kind === 'mlp') return new MlpDenoiser({ ...config, ...options });
  if (config.kind === 'unet') return new UNet({ ...config, ...options });
  throw new Error(`createDenoiser: unknown denoiser kind '${String((config as { kind: unknown }).kind)}'`);
}
