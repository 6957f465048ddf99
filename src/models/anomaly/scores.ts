// The models' anomaly scores (higher = more anomalous), as functions an AnomalyDetector takes: a VAE's
// negative ELBO, importance-weighted NLL bound or reconstruction error; a PCA's reconstruction error or
// negative PPCA log-likelihood; a Gaussian mixture's negative log-likelihood, of the rows or of
// features of them (e.g. their PCA projections or a VAE's posterior means).

import { Tensor, scope } from '../../tensor.js';
import { neg } from '../../ops/elementwise.js';
import { Generator } from '../../ops/random.js';
import type { GaussianMixture } from '../gmm/model.js';
import type { Vae } from '../vae/model.js';
import type { AnomalyScore } from './detector.js';
import type { Pca } from './pca.js';

/** Which of a VAE's scores: 'elbo' (-ELBO), 'iwae' (the importance-weighted bound on -log p(x)) or 'reconstruction'. */
export type VaeScoreKind = 'elbo' | 'iwae' | 'reconstruction';

/** Options of {@link vaeScore}. */
export interface VaeScoreOptions {
  /** The score (default 'elbo'). */
  kind?: VaeScoreKind;
  /** Samples per image: averaged -ELBO estimates ('elbo', default 1) or importance samples k ('iwae', default 64). */
  samples?: number;
  /** The noise (default: a generator seeded with 0, so scores repeat exactly). */
  generator?: Generator;
}

/** A VAE's score of images [N, pixels] or [N, 1, H, W], in nats. */
export function vaeScore(model: Vae, options: VaeScoreOptions = {}): AnomalyScore {
  const { kind = 'elbo', generator = new Generator(0) } = options;
  if (kind === 'elbo') return (x) => model.negativeElbo(x, { samples: options.samples ?? 1, generator });
  if (kind === 'iwae') return (x) => model.importanceWeightedNll(x, { samples: options.samples ?? 64, generator });
  if (kind === 'reconstruction') return (x) => model.reconstructionError(x);
  throw new Error(`vaeScore: kind must be 'elbo', 'iwae' or 'reconstruction', got '${String(kind)}'`);
}

/** A PCA's score: 'reconstruction' (squared distance from the k-component reconstruction, default) or 'likelihood' (-log density under PPCA). */
export function pcaScore(pca: Pca, options: { kind?: 'reconstruction' | 'likelihood' } = {}): AnomalyScore {
  const { kind = 'reconstruction' } = options;
  if (kind === 'reconstruction') return (x) => pca.reconstructionError(x);
  if (kind === 'likelihood') return (x) => scope(() => neg(pca.scoreSamples(x)));
  throw new Error(`pcaScore: kind must be 'reconstruction' or 'likelihood', got '${String(kind)}'`);
}

/** A Gaussian mixture's -log density of the rows, or of `features(rows)` when given (e.g. (x) => pca.transform(x)). */
export function gmmScore(gmm: GaussianMixture, features?: (x: Tensor) => Tensor): AnomalyScore {
  return (x) => scope(() => neg(gmm.scoreSamples(features ? features(x) : x)));
}
