// Host-side float64 math of the hidden Markov models: checking user-given parameters, turning
// parameters into what the kernels read (log probabilities, cumulative tables for sampling), and the
// Baum-Welch M-step from the statistics the GPU reduced. Everything here is K x K or K x D sized: a
// GPU launch per tiny matrix would cost more than it saves. The Gaussian factors and moments' layout
// are the mixture's too (src/models/shared/).

import { componentSums, kernelFamily } from '../shared/gaussian.js';
import { cholesky } from '../shared/linalg.js';

/**
 * log 0 as the kernels see it. The WGSL spec lets compilers assume no infinities, so probabilities of
 * exactly 0 are uploaded as this large finite negative value; sums of a few of them stay finite in f32.
 */
export const LOG_ZERO = -1e30;
/** A log-likelihood below this came from LOG_ZERO terms: it is reported as -Infinity. */
export const LOG_ZERO_THRESHOLD = LOG_ZERO / 2;
/** A state with less expected occupancy than this (frames) keeps its previous emission parameters. */
const EMPTY_STATE_MASS = 1e-3;
/** How far from 1 a user-given probability row may sum before it is rejected (it is then renormalised). */
const SUM_TOLERANCE = 1e-5;

/**
 * How a Gaussian HMM's covariances are shaped (hmmlearn's covariance_type): one variance per state
 * ('spherical'), a diagonal per state ('diag'), a full matrix per state ('full'), or one full matrix
 * shared by every state ('tied').
 */
export type GaussianCovarianceType = 'spherical' | 'diag' | 'full' | 'tied';
export const gaussianCovarianceTypes: readonly GaussianCovarianceType[] = ['spherical', 'diag', 'full', 'tied'];

/** Elements of the covariance parameters: spherical [K], diag [K, D], full [K, D, D], tied [D, D]. */
export function covarsLength(type: GaussianCovarianceType, k: number, d: number): number {
  return { spherical: k, diag: k * d, full: k * d * d, tied: d * d }[type];
}

/** The covariance parameters' shape, as error messages give it. */
export function covarsShape(type: GaussianCovarianceType, k: number, d: number | string): string {
  return { spherical: `[${k}]`, diag: `[${k}][${d}]`, full: `[${k}][${d}][${d}]`, tied: `[${d}][${d}]` }[type];
}

// ---- checking user-given parameters ------------------------------------------------------------------

/** A probability vector (non-negative, finite, summing to 1 within 1e-5), renormalised exactly. */
export function checkProbabilities(where: string, name: string, values: unknown, length: number): Float64Array {
  if (!Array.isArray(values) || values.length !== length || !values.every((v) => typeof v === 'number' && v >= 0 && Number.isFinite(v))) {
    throw new Error(`${where}: ${name} must be ${length} non-negative finite numbers, got ${describeValue(values)}`);
  }
  const total = values.reduce((s: number, v: number) => s + v, 0);
  if (Math.abs(total - 1) > SUM_TOLERANCE) throw new Error(`${where}: ${name} must sum to 1, got a sum of ${total}`);
  return Float64Array.from(values as number[], (v) => v / total);
}

/** A row-stochastic matrix [rows][cols], each row checked as by checkProbabilities; returned flat. */
export function checkStochasticMatrix(where: string, name: string, values: unknown, rows: number, cols: number): Float64Array {
  if (!Array.isArray(values) || values.length !== rows) {
    throw new Error(`${where}: ${name} must be ${rows} rows of ${cols} probabilities, got ${describeValue(values)}`);
  }
  const out = new Float64Array(rows * cols);
  values.forEach((row, r) => out.set(checkProbabilities(where, `${name} row ${r}`, row, cols), r * cols));
  return out;
}

/** Finite numbers shaped [rows][cols], returned flat. */
export function checkMatrix(where: string, name: string, values: unknown, rows: number, cols: number): Float64Array {
  const ok = Array.isArray(values) && values.length === rows &&
    values.every((row) => Array.isArray(row) && row.length === cols && row.every((v) => typeof v === 'number' && Number.isFinite(v)));
  if (!ok) throw new Error(`${where}: ${name} must be ${rows} rows of ${cols} finite numbers, got ${describeValue(values)}`);
  return Float64Array.from((values as number[][]).flat());
}

/**
 * Covariances for the type, flat: spherical [K] and diag [K][D] positive variances; full [K][D][D]
 * and tied [D][D] symmetric positive definite matrices.
 */
export function checkCovars(where: string, values: unknown, type: GaussianCovarianceType, k: number, d: number): Float64Array {
  if (type === 'spherical') {
    if (!Array.isArray(values) || values.length !== k || !values.every((v) => typeof v === 'number' && v > 0 && Number.isFinite(v))) {
      throw new Error(`${where}: spherical covars must be ${k} positive finite variances, got ${describeValue(values)}`);
    }
    return Float64Array.from(values as number[]);
  }
  if (type === 'diag') {
    const flat = checkMatrix(where, 'diag covars', values, k, d);
    if (!flat.every((v) => v > 0)) throw new Error(`${where}: diag covars must be positive variances`);
    return flat;
  }
  if (type === 'tied') return checkCovarianceMatrix(where, 'tied covars', values, d);
  if (!Array.isArray(values) || values.length !== k) {
    throw new Error(`${where}: full covars must be ${k} matrices of ${d} x ${d}, got ${describeValue(values)}`);
  }
  const flat = new Float64Array(k * d * d);
  values.forEach((matrix, state) => flat.set(checkCovarianceMatrix(where, `full covars[${state}]`, matrix, d), state * d * d));
  return flat;
}

/** One symmetric positive definite [D][D] matrix, flat. */
function checkCovarianceMatrix(where: string, name: string, values: unknown, d: number): Float64Array {
  const m = checkMatrix(where, name, values, d, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const a = m[i * d + j];
      const b = m[j * d + i];
      if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))) throw new Error(`${where}: ${name} must be symmetric`);
    }
  }
  if (!cholesky(m, d)) throw new Error(`${where}: ${name} must be positive definite`);
  return m;
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

// ---- what the kernels read -------------------------------------------------------------------------

/** Natural logs as f32, with LOG_ZERO for probabilities of 0. */
export function logProbabilities(values: Float64Array): Float32Array {
  return Float32Array.from(values, (v) => (v > 0 ? Math.log(v) : LOG_ZERO));
}

/**
 * Cumulative sums of each row of probabilities [rows, cols], as f32, for inverse-CDF sampling: the
 * entries from the last positive probability on are exactly 1, so a uniform draw in [0, 1) always
 * lands on a state with positive probability.
 */
export function cumulativeRows(probabilities: Float64Array, cols: number): Float32Array {
  const out = new Float32Array(probabilities.length);
  for (let start = 0; start < probabilities.length; start += cols) {
    let lastPositive = cols - 1;
    while (lastPositive > 0 && !(probabilities[start + lastPositive] > 0)) lastPositive--;
    let running = 0;
    for (let c = 0; c < cols; c++) {
      running += probabilities[start + c];
      out[start + c] = c >= lastPositive ? 1 : running;
    }
  }
  return out;
}

// ---- the M-step --------------------------------------------------------------------------------------

/**
 * Each row of counts [rows, cols] divided by its sum: the new start distribution, transition
 * matrix or emission matrix. A row with no expected counts (a state never left, or never visited)
 * keeps its row of `previous`.
 */
export function normalizedRows(counts: ArrayLike<number>, cols: number, previous: Float64Array): Float64Array {
  const out = new Float64Array(previous.length);
  for (let start = 0; start < out.length; start += cols) {
    let total = 0;
    for (let c = 0; c < cols; c++) total += counts[start + c];
    for (let c = 0; c < cols; c++) out[start + c] = total > 0 ? counts[start + c] / total : previous[start + c];
  }
  return out;
}

export interface GaussianMStepInput {
  type: GaussianCovarianceType;
  k: number;
  d: number;
  /** The weighted moments about the shift, laid out as shaders/models/gaussian_moments.wgsl writes them. */
  stats: ArrayLike<number>;
  /** [K, D]: the shift the statistics were taken about (the means as f32). */
  shift: Float64Array;
  previousMeans: Float64Array;
  previousCovars: Float64Array;
  /** Added to every variance (the diagonal of every covariance). */
  minCovar: number;
  updateMeans: boolean;
  updateCovars: boolean;
}

/**
 * New means and covariances from the posterior-weighted sums about the shift c, hmmlearn's M-step
 * with its priors at zero (means_weight 0, covars_prior 0, covars_weight 1) and minCovar added to
 * every variance instead: with n the expected frames of a state and o = mu - c (the new mean's
 * offset, or the kept mean's when means are not updated), the scatter about the mean is
 * C = S - o sᵀ - s oᵀ + n o oᵀ, and
 *   full: C / n + minCovar I;   diag: diag(C) / n + minCovar;   spherical: the mean of diag's variances;
 *   tied: Σ_k C_k / Σ_k n_k + minCovar I (every state's scatter, pooled).
 * A state with less than EMPTY_STATE_MASS expected frames keeps its previous mean and (except tied)
 * covariance; a full or tied covariance that rounding left not positive definite keeps its previous value.
 */
export function gaussianMStep(input: GaussianMStepInput): { means: Float64Array; covars: Float64Array } {
  const { type, k, d, stats, shift, minCovar } = input;
  const family = kernelFamily(type);
  const means = Float64Array.from(input.previousMeans);
  const covars = Float64Array.from(input.previousCovars);
  const pooled = new Float64Array(type === 'tied' ? d * d : 0);
  let pooledMass = 0;
  for (let state = 0; state < k; state++) {
    const sums = componentSums(stats, family, d, state);
    const n = sums.mass;
    const empty = !(n >= EMPTY_STATE_MASS);
    // o = mean - shift: the new means' offset, or the kept means' when they are not updated.
    const offset = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      const at = state * d + i;
      offset[i] = input.updateMeans && !empty ? sums.first(i) / n : input.previousMeans[at] - shift[at];
      if (input.updateMeans && !empty) means[at] = shift[at] + offset[i];
    }
    if (!input.updateCovars) continue;
    // C = Σ w (x - mu)(x - mu)ᵀ = S - o sᵀ - s oᵀ + n o oᵀ with d = x - shift (= S - s sᵀ / n when o = s / n).
    const scatter = (i: number, j: number) => sums.second(i, j) - offset[i] * sums.first(j) - sums.first(i) * offset[j] + n * offset[i] * offset[j];
    if (type === 'tied') {
      for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) pooled[i * d + j] += scatter(i, j);
      pooledMass += n;
      continue;
    }
    if (empty) continue;
    if (type === 'diag' || type === 'spherical') {
      let total = 0;
      for (let i = 0; i < d; i++) {
        const variance = Math.max(scatter(i, i) / n, 0);
        if (type === 'diag') covars[state * d + i] = variance + minCovar;
        total += variance;
      }
      if (type === 'spherical') covars[state] = total / d + minCovar;
      continue;
    }
    const matrix = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) matrix[i * d + j] = matrix[j * d + i] = scatter(i, j) / n + (i === j ? minCovar : 0);
    }
    if (cholesky(matrix, d)) covars.set(matrix, state * d * d);
  }
  if (type === 'tied' && input.updateCovars) {
    const matrix = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) matrix[i * d + j] = matrix[j * d + i] = pooled[i * d + j] / pooledMass + (i === j ? minCovar : 0);
    }
    if (cholesky(matrix, d)) covars.set(matrix);
  }
  return { means, covars };
}
