// The Gaussian mixture's parameters on the host, in float64: the M-step that turns the GPU's
// sufficient statistics (one small readback per EM iteration) into weights, means and covariances;
// the Cholesky factors of the covariances; and the packed f32 arrays the kernels read. None of this
// touches the N samples: it is K factorisations of D x D matrices (D <= 128), too small to be worth a
// GPU launch each, so it runs in plain JS in float64. Every pass over the samples runs in
// shaders/gmm_*.wgsl.

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

/** The kernels' two code paths: a full matrix per component (full, tied) or a diagonal (diag, spherical). */
export function kernelFamily(type: CovarianceType): 'full' | 'diag' {
  return type === 'full' || type === 'tied' ? 'full' : 'diag';
}

/** D rounded up to a multiple of 4: the kernels read features as vec4s, zero-padded. */
export function paddedFeatures(d: number): number {
  return Math.ceil(d / 4) * 4;
}

/**
 * Floats per component in the GPU's statistics (shaders/gmm_moments.wgsl): full, the upper
 * P = B(B+1)/2 blocks of 4 x 4 of the augmented matrix, B = Dp/4 + 1; diag, n, s and diag S as
 * 1 + 2 Dp/4 vec4s.
 */
export function statsPerComponent(family: 'full' | 'diag', d: number): number {
  const blocks = paddedFeatures(d) / 4;
  return family === 'full' ? 8 * (blocks + 1) * (blocks + 2) : 4 * (1 + 2 * blocks);
}

/** Reads one component's sums out of the GPU's statistics layout. */
export interface ComponentSums {
  mass: number;
  first(i: number): number;
  /** Σ r d_i d_j (only i === j for the diag family). */
  second(i: number, j: number): number;
}

export function componentSums(stats: Float32Array, family: 'full' | 'diag', d: number, k: number): ComponentSums {
  const blocks = paddedFeatures(d) / 4;
  const base = k * statsPerComponent(family, d);
  if (family === 'diag') {
    return {
      mass: stats[base],
      first: (i) => stats[base + 4 + i],
      second: (i) => stats[base + 4 + 4 * blocks + i],
    };
  }
  // Entry (i, j), i <= j, of the augmented matrix: block pair (i/4, j/4) in row-major upper order,
  // column-major inside the block.
  const b = blocks + 1;
  const entry = (i: number, j: number): number => {
    const [row, col] = i <= j ? [i, j] : [j, i];
    const rowBlock = row >> 2;
    const pair = rowBlock * b - (rowBlock * (rowBlock - 1)) / 2 + ((col >> 2) - rowBlock);
    return stats[base + 16 * pair + 4 * (col & 3) + (row & 3)];
  };
  const one = 4 * blocks;
  return { mass: entry(one, one), first: (i) => entry(i, one), second: entry };
}

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
  /** The GPU's summed statistics, [K, statsPerComponent] (see shaders/gmm_moments.wgsl). */
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

// ---- factors -------------------------------------------------------------------------------------

/**
 * The lower Cholesky factor L of a symmetric D x D matrix (L Lᵀ = A, reading A's lower triangle),
 * or null when A is not positive definite.
 */
export function cholesky(a: Float64Array, d: number): Float64Array | null {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let diagonal = a[j * d + j];
    for (let m = 0; m < j; m++) diagonal -= l[j * d + m] * l[j * d + m];
    if (!(diagonal > 0)) return null;
    const pivot = Math.sqrt(diagonal);
    l[j * d + j] = pivot;
    for (let i = j + 1; i < d; i++) {
      let value = a[i * d + j];
      for (let m = 0; m < j; m++) value -= l[i * d + m] * l[j * d + m];
      l[i * d + j] = value / pivot;
    }
  }
  return l;
}

/** U = L⁻ᵀ (upper triangular, U Uᵀ = A⁻¹) from the lower Cholesky factor L of A, by forward substitution. */
function precisionFactor(l: Float64Array, d: number): Float64Array {
  const u = new Float64Array(d * d);
  // Column j of L⁻¹ solves L y = e_j; it is row j of U = (L⁻¹)ᵀ.
  for (let j = 0; j < d; j++) {
    for (let i = j; i < d; i++) {
      let value = i === j ? 1 : 0;
      for (let m = j; m < i; m++) value -= l[i * d + m] * u[j * d + m];
      u[j * d + i] = value / l[i * d + i];
    }
  }
  return u;
}

/** The lower Cholesky factors of every covariance, [K, D, D] (one [D, D] when tied); diagonal ones for diag and spherical. */
export function covarianceFactors(state: MixtureState, shape: MixtureShape): Float64Array {
  const { nComponents: K, nFeatures: D, covarianceType: type } = shape;
  if (kernelFamily(type) === 'full') {
    const matrices = type === 'tied' ? 1 : K;
    const factors = new Float64Array(matrices * D * D);
    for (let k = 0; k < matrices; k++) {
      const l = cholesky(state.covariances.subarray(k * D * D, (k + 1) * D * D), D);
      if (!l) throw new Error(`GaussianMixture: covariance ${type === 'tied' ? '' : `of component ${k} `}is not positive definite`);
      factors.set(l, k * D * D);
    }
    return factors;
  }
  const factors = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < D; i++) {
      const variance = type === 'diag' ? state.covariances[k * D + i] : state.covariances[k];
      factors[k * D * D + i * D + i] = Math.sqrt(variance);
    }
  }
  return factors;
}

/** What the E-step kernel reads (shaders/gmm_estep.wgsl), packed as f32 with features padded to Dp. */
export interface KernelParameters {
  /** [K, Dp] */
  means: Float32Array;
  /**
   * full/tied: precision factors U [K or 1, Dp/4, Dp/4] blocks of 4 x 4, each column-major;
   * diag/spherical: precisions 1/σ² [K, Dp] (0 in the padding).
   */
  precisions: Float32Array;
  /** vec4s between components' precision factors (0 when tied). */
  precisionStride: number;
  /** log weight_k - D/2 log 2π + log det U_k, per component. */
  logNorm: Float32Array;
  /** logNorm in float64, before its rounding to f32 (which EM's convergence test corrects for). */
  logNormExact: Float64Array;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** [rows, D] values as [rows, Dp] f32, zero-padded. */
export function padRows(values: Float64Array, d: number): Float32Array {
  const dp = paddedFeatures(d);
  const rows = values.length / d;
  const out = new Float32Array(rows * dp);
  for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) out[r * dp + i] = values[r * d + i];
  return out;
}

/** A D x D upper-triangular factor as Dp/4 x Dp/4 blocks of 4 x 4, each column-major (WGSL's mat4x4). */
function blockLayout(u: Float64Array, d: number): Float32Array {
  const blocks = paddedFeatures(d) / 4;
  const out = new Float32Array(blocks * blocks * 16);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) out[16 * ((i >> 2) * blocks + (j >> 2)) + 4 * (j & 3) + (i & 3)] = u[i * d + j];
  }
  return out;
}

export function kernelParameters(state: MixtureState, shape: MixtureShape): KernelParameters {
  const { nComponents: K, nFeatures: D, covarianceType: type } = shape;
  const dp = paddedFeatures(D);
  const logNorm = new Float32Array(K);
  const logDet = new Float64Array(K);
  let precisions: Float32Array;
  let precisionStride = 0;
  if (kernelFamily(type) === 'full') {
    const factors = covarianceFactors(state, shape);
    const matrices = type === 'tied' ? 1 : K;
    const blockFloats = dp * dp;
    precisions = new Float32Array(matrices * blockFloats);
    for (let m = 0; m < matrices; m++) {
      const l = factors.subarray(m * D * D, (m + 1) * D * D);
      precisions.set(blockLayout(precisionFactor(l, D), D), m * blockFloats);
      let logDetU = 0;
      for (let i = 0; i < D; i++) logDetU -= Math.log(l[i * D + i]);
      if (type === 'tied') logDet.fill(logDetU);
      else logDet[m] = logDetU;
    }
    if (type === 'full') precisionStride = blockFloats / 4;
  } else {
    precisions = new Float32Array(K * dp);
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < D; i++) {
        const variance = type === 'diag' ? state.covariances[k * D + i] : state.covariances[k];
        precisions[k * dp + i] = 1 / variance;
        logDet[k] -= 0.5 * Math.log(variance);
      }
    }
  }
  const logNormExact = logDet.map((v, k) => Math.log(state.weights[k]) - 0.5 * D * LOG_2PI + v);
  logNorm.set(logNormExact);
  return { means: padRows(state.means, D), precisions, precisionStride, logNorm, logNormExact };
}
