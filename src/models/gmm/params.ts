// The Gaussian mixture's parameters on the host, in float64: the M-step that turns the GPU's
// sufficient statistics (one small readback per EM iteration) into weights, means and covariances;
// the Cholesky factors of the covariances; and the Gaussians the shared kernels read. None of this
// touches the N samples: it is K factorisations of D x D matrices (D <= 128), too small to be worth a
// GPU launch each, so it runs in plain JS in float64. Every pass over the samples runs in the shared
// Gaussian kernels (src/models/shared/gaussian.ts).

import { componentSums, kernelFamily, packGaussians, type PackedGaussians } from '../shared/gaussian.js';
import { cholesky, choleskyFactors, diagonalFactors, inverseLower } from '../shared/linalg.js';

export { kernelFamily };

/**
 * How a mixture's covariances are shaped (scikit-learn's covariance_type): a full matrix per component, one shared
 * ('tied') matrix, a diagonal per component, or one variance per component ('spherical').
 */
export type CovarianceType = 'full' | 'diag' | 'tied' | 'spherical';
export const covarianceTypes: readonly CovarianceType[] = ['full', 'diag', 'tied', 'spherical'];

/** How a mixture's numbers are laid out: components, features and the covariance type. */
export interface MixtureShape {
  nComponents: number;
  nFeatures: number;
  covarianceType: CovarianceType;
}

/**
 * A mixture's parameters, flat and float64. covariances holds, as in scikit-learn: full [K, D, D],
 * tied [D, D], diag [K, D] (variances), spherical [K] (one variance per component).
 */
export interface MixtureState {
  weights: Float64Array;
  means: Float64Array;
  covariances: Float64Array;
}

/** Added to every component's responsibility mass, as scikit-learn does, so no weight is ever 0. */
export const MASS_FLOOR = 10 * Number.EPSILON;
/**
 * A component holding less than this much responsibility (in samples) is empty: its mean and
 * covariance would be estimated from nothing, so it keeps its previous ones, with a near-zero weight.
 */
export const EMPTY_COMPONENT_MASS = 1e-3;
/** The smallest variance a diag or spherical component may have (reached only with regCovar 0 and a collapsed component). */
const MIN_VARIANCE = 1e-12;
/** Cholesky retries on a covariance that rounding left not quite positive definite, each adding 10x more jitter. */
const JITTER_ATTEMPTS = 12;

/** Length of MixtureState.covariances for a shape. */
export function covarianceLength({ nComponents: k, nFeatures: d, covarianceType }: MixtureShape): number {
  return { full: k * d * d, tied: d * d, diag: k * d, spherical: k }[covarianceType];
}

/** Free parameters of a mixture (for BIC and AIC): covariances, means and K - 1 weights. */
export function freeParameterCount({ nComponents: k, nFeatures: d, covarianceType }: MixtureShape): number {
  const covariance = { full: (k * d * (d + 1)) / 2, tied: (d * (d + 1)) / 2, diag: k * d, spherical: k }[covarianceType];
  return covariance + k * d + k - 1;
}

// ---- the M-step ----------------------------------------------------------------------------------

export interface MStepInput {
  shape: MixtureShape;
  /** The GPU's summed statistics, [K, momentsPerComponent] (see shaders/models/gaussian_moments.wgsl). */
  stats: Float32Array;
  /** The per-component shift c_k the statistics were taken about, [K, D]. */
  shift: Float64Array;
  regCovar: number;
  /**
   * Means and covariances an empty component keeps: the current parameters during EM, or the
   * shift with the data's covariance at initialisation.
   */
  fallback: { means: Float64Array; covariances: Float64Array };
  /** Keep the shift as the means (initialisation from given means) instead of re-estimating them. */
  keepMeans?: boolean;
}

/**
 * New parameters from the statistics of one E-step: n_k = Σ r + MASS_FLOOR, μ_k = c_k + s_k / n_k,
 * Σ_k = S_k / n_k - δ δᵀ + reg I with δ = μ_k - c_k (δ = 0 when keepMeans), weights n_k / Σ n.
 * Tied: Σ = Σ_k n_k Σ_k / Σ n + reg I. Diag: the diagonal of Σ_k; spherical: its mean.
 */
export function mStep(input: MStepInput): MixtureState {
  const { shape, stats, shift, regCovar, fallback } = input;
  const { nComponents: K, nFeatures: D, covarianceType: type } = shape;
  const weights = new Float64Array(K);
  const means = new Float64Array(K * D);
  const covariances = new Float64Array(covarianceLength(shape));
  const tiedScatter = new Float64Array(type === 'tied' ? D * D : 0);
  let totalMass = 0;

  for (let k = 0; k < K; k++) {
    const sums = componentSums(stats, kernelFamily(type), D, k);
    const mass = sums.mass + MASS_FLOOR;
    const empty = sums.mass < EMPTY_COMPONENT_MASS;
    weights[k] = mass;
    totalMass += mass;
    const delta = new Float64Array(D);
    for (let i = 0; i < D; i++) {
      delta[i] = empty || input.keepMeans ? 0 : sums.first(i) / mass;
      means[k * D + i] = empty ? fallback.means[k * D + i] : shift[k * D + i] + delta[i];
    }
    // The scatter about the new mean: S / n - δδᵀ.
    const scatter = (i: number, j: number): number => sums.second(i, j) / mass - delta[i] * delta[j];
    if (type === 'full') {
      for (let i = 0; i < D; i++) {
        for (let j = 0; j < D; j++) {
          const at = k * D * D + i * D + j;
          covariances[at] = empty ? fallback.covariances[at] : scatter(i, j) + (i === j ? regCovar : 0);
        }
      }
    } else if (type === 'tied') {
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) tiedScatter[i * D + j] += mass * scatter(i, j);
    } else if (type === 'diag') {
      for (let i = 0; i < D; i++) {
        covariances[k * D + i] = empty ? fallback.covariances[k * D + i] : Math.max(Math.max(scatter(i, i), 0) + regCovar, MIN_VARIANCE);
      }
    } else {
      let sum = 0;
      for (let i = 0; i < D; i++) sum += Math.max(scatter(i, i), 0);
      covariances[k] = empty ? fallback.covariances[k] : Math.max(sum / D + regCovar, MIN_VARIANCE);
    }
  }
  if (type === 'tied') {
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) covariances[i * D + j] = tiedScatter[i * D + j] / totalMass + (i === j ? regCovar : 0);
    }
  }
  for (let k = 0; k < K; k++) weights[k] /= totalMass;
  const state = { weights, means, covariances };
  ensurePositiveDefinite(state, shape, regCovar);
  return state;
}

/**
 * Adds jitter to the diagonal of any full or tied covariance that rounding left not positive
 * definite (a component collapsed onto a lower-dimensional set), so its Cholesky factor exists.
 */
function ensurePositiveDefinite(state: MixtureState, shape: MixtureShape, regCovar: number): void {
  if (kernelFamily(shape.covarianceType) !== 'full') return;
  const D = shape.nFeatures;
  const matrices = shape.covarianceType === 'tied' ? 1 : shape.nComponents;
  for (let k = 0; k < matrices; k++) {
    const matrix = state.covariances.subarray(k * D * D, (k + 1) * D * D);
    let jitter = Math.max(regCovar, 1e-12) * traceScale(matrix, D);
    for (let attempt = 0; cholesky(matrix, D) === null; attempt++) {
      if (attempt === JITTER_ATTEMPTS) throw new Error(`GaussianMixture: covariance of component ${k} is not positive definite even with jitter ${jitter}`);
      for (let i = 0; i < D; i++) matrix[i * D + i] += jitter;
      jitter *= 10;
    }
  }
}

/** Mean diagonal entry (at least 1), so jitter scales with the data. */
function traceScale(matrix: Float64Array, d: number): number {
  let trace = 0;
  for (let i = 0; i < d; i++) trace += matrix[i * d + i];
  return Math.max(1, trace / d);
}

// ---- point-mass initialisation --------------------------------------------------------------------

/**
 * The mixture that scikit-learn's 'k-means++' and 'random_from_data' initialisations start EM from:
 * responsibility 1 for each centre's own sample and 0 elsewhere, so each mean is its sample, each
 * covariance regCovar I (one point has no scatter) and the weights are equal. (scikit-learn divides
 * those masses by N rather than by their sum, so its weights sum to K / N for the first E-step: the
 * responsibilities are the same, only its first lower bound is lower by log(N / K).)
 */
export function pointMasses(centers: Float64Array, shape: MixtureShape, regCovar: number): MixtureState {
  const { nComponents: K, nFeatures: D, covarianceType: type } = shape;
  const covariances = new Float64Array(covarianceLength(shape));
  if (kernelFamily(type) === 'diag') {
    covariances.fill(Math.max(regCovar, MIN_VARIANCE));
  } else {
    const matrices = type === 'tied' ? 1 : K;
    for (let m = 0; m < matrices; m++) for (let i = 0; i < D; i++) covariances[m * D * D + i * D + i] = regCovar;
  }
  const state = { weights: new Float64Array(K).fill(1 / K), means: Float64Array.from(centers), covariances };
  ensurePositiveDefinite(state, shape, regCovar);
  return state;
}

// ---- factors -------------------------------------------------------------------------------------

/** The variances of diag or spherical covariances as [K, D]: a spherical variance repeated D times. */
function diagonalVariances(state: MixtureState, shape: MixtureShape): Float64Array {
  const { nComponents: K, nFeatures: D, covarianceType: type } = shape;
  return type === 'diag' ? state.covariances : Float64Array.from({ length: K * D }, (_, i) => state.covariances[Math.floor(i / D)]);
}

/** The lower Cholesky factors of every covariance, [K, D, D] (one [D, D] when tied); diagonal ones for diag and spherical. */
export function covarianceFactors(state: MixtureState, shape: MixtureShape): Float64Array {
  const { nComponents: K, nFeatures: D, covarianceType: type } = shape;
  if (kernelFamily(type) === 'diag') return diagonalFactors(diagonalVariances(state, shape), D);
  return choleskyFactors(state.covariances, D, type === 'tied' ? 1 : K, (k) => `GaussianMixture: covariance ${type === 'tied' ? '' : `of component ${k} `}is not positive definite`);
}

/** The mixture as the log-density kernel reads it, with the log weights folded into the normalisers. */
export function kernelParameters(state: MixtureState, shape: MixtureShape): PackedGaussians {
  const { nComponents, nFeatures, covarianceType: type } = shape;
  const common = { nComponents, nFeatures, means: state.means, weights: state.weights };
  return kernelFamily(type) === 'full'
    ? packGaussians({ ...common, family: 'full', factors: covarianceFactors(state, shape), shared: type === 'tied' })
    : packGaussians({ ...common, family: 'diag', variances: diagonalVariances(state, shape) });
}

// ---- precisions ----------------------------------------------------------------------------------

/**
 * scikit-learn's precisions_cholesky_, flat in the covariances' layout: for full and tied, the upper
 * triangular U = L⁻ᵀ of each covariance's lower Cholesky factor L (row-major [K, D, D] or [D, D]),
 * so that the precision is U Uᵀ; for diag and spherical, 1 / sqrt(variance).
 */
export function precisionCholesky(state: MixtureState, shape: MixtureShape): Float64Array {
  const D = shape.nFeatures;
  if (kernelFamily(shape.covarianceType) === 'diag') return state.covariances.map((v) => 1 / Math.sqrt(v));
  const factors = covarianceFactors(state, shape);
  const out = new Float64Array(factors.length);
  for (let m = 0; m < factors.length; m += D * D) {
    const inverse = inverseLower(factors, D, m);
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) out[m + i * D + j] = inverse[j * D + i];
  }
  return out;
}

/**
 * scikit-learn's precisions_, the inverse covariances, flat in the covariances' layout: U Uᵀ from
 * precisionCholesky for full and tied (as scikit-learn forms them), 1 / variance for diag and spherical.
 */
export function precisionMatrices(state: MixtureState, shape: MixtureShape): Float64Array {
  const D = shape.nFeatures;
  if (kernelFamily(shape.covarianceType) === 'diag') return state.covariances.map((v) => 1 / v);
  const u = precisionCholesky(state, shape);
  const out = new Float64Array(u.length);
  for (let m = 0; m < u.length; m += D * D) {
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        let total = 0;
        for (let c = 0; c < D; c++) total += u[m + i * D + c] * u[m + j * D + c];
        out[m + i * D + j] = total;
      }
    }
  }
  return out;
}
