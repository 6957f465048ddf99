// A float64 plain-JS Gaussian mixture EM, written the textbook way (two passes: means first, then
// covariances about them; Cholesky log-densities; logsumexp), to check the GPU model against. It
// shares no code with src/models: only the documented rules (scikit-learn's 10 eps mass floor, and an
// empty component keeping its previous mean and covariance).

import { cholesky, logGaussian } from '../helpers/gaussian-reference.js';

export type CovarianceType = 'full' | 'diag' | 'tied' | 'spherical';

export interface RefParameters {
  weights: number[];
  means: number[][];
  /** scikit-learn's shapes: full [K][D][D], tied [D][D], diag [K][D], spherical [K]. */
  covariances: number[][][] | number[][] | number[];
}

const MASS_FLOOR = 10 * Number.EPSILON;
const EMPTY_COMPONENT_MASS = 1e-3;

/** Each component's full D x D covariance, whatever the type. */
export function componentCovariances(type: CovarianceType, params: RefParameters): number[][][] {
  const K = params.weights.length;
  const D = params.means[0].length;
  const diagonal = (values: number[]) => values.map((v, i) => values.map((_, j) => (i === j ? v : 0)));
  return Array.from({ length: K }, (_, k) => {
    switch (type) {
      case 'full':
        return (params.covariances as number[][][])[k];
      case 'tied':
        return params.covariances as number[][];
      case 'diag':
        return diagonal((params.covariances as number[][])[k]);
      case 'spherical':
        return diagonal(new Array<number>(D).fill((params.covariances as number[])[k]));
    }
  });
}

export interface RefPosterior {
  /** [N] log p(x_n). */
  logLikelihood: number[];
  /** [N][K] responsibilities. */
  resp: number[][];
  /** Mean of logLikelihood. */
  lowerBound: number;
}

export function posterior(x: number[][], type: CovarianceType, params: RefParameters): RefPosterior {
  const factors = componentCovariances(type, params).map(cholesky);
  const logLikelihood: number[] = [];
  const resp = x.map((row) => {
    const joint = params.weights.map((w, k) => Math.log(w) + logGaussian(row, params.means[k], factors[k]));
    const m = Math.max(...joint);
    const lse = m + Math.log(joint.reduce((s, v) => s + Math.exp(v - m), 0));
    logLikelihood.push(lse);
    return joint.map((v) => Math.exp(v - lse));
  });
  return { logLikelihood, resp, lowerBound: logLikelihood.reduce((s, v) => s + v, 0) / x.length };
}

/** The M-step from responsibilities (previous parameters are what an empty component keeps). */
export function mStep(x: number[][], resp: number[][], type: CovarianceType, regCovar: number, previous: RefParameters): RefParameters {
  const K = resp[0].length;
  const D = x[0].length;
  const previousCovariances = componentCovariances(type, previous);
  const rawMass = Array.from({ length: K }, (_, k) => resp.reduce((s, r) => s + r[k], 0));
  const mass = rawMass.map((m) => m + MASS_FLOOR);
  const empty = rawMass.map((m) => m < EMPTY_COMPONENT_MASS);
  const means = Array.from({ length: K }, (_, k) => {
    if (empty[k]) return [...previous.means[k]];
    const mu = new Array<number>(D).fill(0);
    x.forEach((row, n) => row.forEach((v, i) => (mu[i] += resp[n][k] * v)));
    return mu.map((v) => v / mass[k]);
  });
  const scatter = Array.from({ length: K }, (_, k) => {
    const c = Array.from({ length: D }, () => new Array<number>(D).fill(0));
    x.forEach((row, n) => {
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) c[i][j] += resp[n][k] * (row[i] - means[k][i]) * (row[j] - means[k][j]);
    });
    return c.map((r) => r.map((v) => v / mass[k]));
  });
  const totalMass = mass.reduce((s, m) => s + m, 0);
  const weights = mass.map((m) => m / totalMass);
  const withReg = (c: number[][]) => c.map((r, i) => r.map((v, j) => v + (i === j ? regCovar : 0)));
  let covariances: RefParameters['covariances'];
  switch (type) {
    case 'full':
      covariances = scatter.map((c, k) => (empty[k] ? previousCovariances[k] : withReg(c)));
      break;
    case 'tied': {
      const pooled = Array.from({ length: D }, (_, i) => Array.from({ length: D }, (_, j) => scatter.reduce((s, c, k) => s + mass[k] * c[i][j], 0) / totalMass));
      covariances = withReg(pooled);
      break;
    }
    case 'diag':
      covariances = scatter.map((c, k) => (empty[k] ? previousCovariances[k].map((r, i) => r[i]) : c.map((r, i) => r[i] + regCovar)));
      break;
    case 'spherical':
      covariances = scatter.map((c, k) => {
        const source = empty[k] ? previousCovariances[k] : c;
        return source.reduce((s, r, i) => s + r[i], 0) / D + (empty[k] ? 0 : regCovar);
      });
      break;
  }
  return { weights, means, covariances };
}

/** One EM iteration from `params`: the lower bound at params and the parameters after the M-step. */
export function emStep(x: number[][], type: CovarianceType, params: RefParameters, regCovar: number): { lowerBound: number; next: RefParameters } {
  const { resp, lowerBound } = posterior(x, type, params);
  return { lowerBound, next: mStep(x, resp, type, regCovar, params) };
}
