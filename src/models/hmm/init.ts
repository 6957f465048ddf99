// Starting parameters for the Gaussian hidden Markov model's Baum-Welch fit, as hmmlearn chooses
// them: means by k-means over all frames (the k-means shared with the mixture,
// src/models/shared/kmeans.ts, seeded by plain k-means++: one local trial; see there how that
// compares with hmmlearn), and every state's covariance from the data's covariance plus minCovar:
// the matrix itself (full, and once for tied), its diagonal (diag) or the mean of that diagonal
// (spherical; hmmlearn takes the mean of every entry of the matrix, off-diagonal ones included,
// which is not a variance and can be 0 or negative for negatively correlated features).

import { Tensor } from '../../tensor.js';
import type { Generator } from '../../ops/random.js';
import { kmeansPlusPlus, lloyd } from '../shared/kmeans.js';
import { dataMoments } from '../shared/linalg.js';
import { covarsLength, type GaussianCovarianceType } from './params.js';

export interface InitialEmissionOptions {
  nComponents: number;
  covarianceType: GaussianCovarianceType;
  minCovar: number;
  generator: Generator;
  /** Whether to choose means (k-means) and covariances (the data's). */
  initMeans: boolean;
  initCovars: boolean;
}

/**
 * The first means [K, D] and covariances (spherical [K], diag [K, D], full [K, D, D], tied [D, D])
 * for the frames x [N, D], those that the options ask for (null otherwise). `padded` is x with its
 * features padded for the kernels.
 */
export async function initialGaussianEmission(x: Tensor, padded: Tensor, options: InitialEmissionOptions): Promise<{ means: Float64Array | null; covars: Float64Array | null }> {
  const { nComponents: K, covarianceType: type, minCovar } = options;
  const d = x.shape[1];
  const moments = await dataMoments(x, true);
  const covariance = moments.covariance!;
  const means = options.initMeans ? await lloyd(padded, await kmeansPlusPlus(padded, d, K, options.generator, 1), moments.variances) : null;
  if (!options.initCovars) return { means, covars: null };
  const covars = new Float64Array(covarsLength(type, K, d));
  const withMinCovar = (i: number, j: number) => covariance[i * d + j] + (i === j ? minCovar : 0);
  for (let state = 0; state < (type === 'tied' ? 1 : K); state++) {
    for (let i = 0; i < d; i++) {
      if (type === 'spherical') covars[state] += withMinCovar(i, i) / d;
      else if (type === 'diag') covars[state * d + i] = withMinCovar(i, i);
      else for (let j = 0; j < d; j++) covars[(state * d + i) * d + j] = withMinCovar(i, j);
    }
  }
  return { means, covars };
}
