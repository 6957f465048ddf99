// A float64 plain-JS hidden Markov model, written the textbook way (unnormalised log alpha and log
// beta with logsumexp, Viterbi by max-product with back-pointers, Gaussian densities by Cholesky), to
// check the GPU models against. Its Gaussian M-step restates hmmlearn's (GaussianHMM._do_mstep, from
// its sufficient statistics post, obs and obs*obs.T) with the priors at zero. It shares no code with
// src/models: only the documented M-step rules (minCovar added to every variance; a state with less
// than 1e-3 expected frames keeps its mean and, except tied, its covariance; a row with no expected
// counts keeps its previous probabilities).

import { cholesky, logGaussian } from '../helpers/gaussian-reference.js';

export type RefCovarianceType = 'spherical' | 'diag' | 'full' | 'tied';

export interface RefChain {
  startprob: number[];
  transmat: number[][];
}

export interface RefGaussian extends RefChain {
  means: number[][];
  /** spherical [K], diag [K][D], full [K][D][D] or tied [D][D]. */
  covars: number[] | number[][] | number[][][];
}

export interface RefCategorical extends RefChain {
  emissionprob: number[][];
}

const EMPTY_STATE_MASS = 1e-3;

function logsumexp(values: number[]): number {
  const m = Math.max(...values);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(values.reduce((s, v) => s + Math.exp(v - m), 0));
}

/** Each of the K states' full covariance matrix, in D features. */
export function fullCovariances(type: RefCovarianceType, covars: RefGaussian['covars'], k: number, d: number): number[][][] {
  const diagonal = (v: number[]) => v.map((vi, i) => v.map((_, j) => (i === j ? vi : 0)));
  switch (type) {
    case 'full':
      return covars as number[][][];
    case 'tied':
      return Array.from({ length: k }, () => covars as number[][]);
    case 'diag':
      return (covars as number[][]).map(diagonal);
    case 'spherical':
      return (covars as number[]).map((v) => diagonal(new Array<number>(d).fill(v)));
  }
}

/** log N(x | mean, Sigma) for every frame and state: [N][K]. */
export function gaussianLogB(x: number[][], model: RefGaussian, type: RefCovarianceType): number[][] {
  const factors = fullCovariances(type, model.covars, model.means.length, model.means[0].length).map(cholesky);
  return x.map((row) =>
    model.means.map((mean, k) => logGaussian(row, mean, factors[k])),
  );
}

/** log P(symbol | state) for every frame and state: [N][K]. */
export function categoricalLogB(symbols: number[], model: RefCategorical): number[][] {
  return symbols.map((v) => model.emissionprob.map((row) => Math.log(row[v])));
}

export interface RefPosterior {
  /** log p(x) of each sequence. */
  logProbs: number[];
  /** [N][K] posterior state probabilities. */
  posteriors: number[][];
  /** [K][K] expected transition counts summed over all sequences. */
  transitions: number[][];
  /** [K] posteriors at the sequences' first frames, summed. */
  starts: number[];
}

/** Forward-backward in unnormalised log space over each sequence of the batch. */
export function forwardBackward(logB: number[][], chain: RefChain, lengths: number[]): RefPosterior {
  const K = chain.startprob.length;
  const logStart = chain.startprob.map(Math.log);
  const logTrans = chain.transmat.map((row) => row.map(Math.log));
  const result: RefPosterior = {
    logProbs: [],
    posteriors: [],
    transitions: logTrans.map((row) => row.map(() => 0)),
    starts: new Array<number>(K).fill(0),
  };
  let first = 0;
  for (const length of lengths) {
    const b = logB.slice(first, first + length);
    const alpha: number[][] = [logStart.map((s, j) => s + b[0][j])];
    for (let t = 1; t < length; t++) {
      alpha.push(b[t].map((bj, j) => bj + logsumexp(alpha[t - 1].map((a, i) => a + logTrans[i][j]))));
    }
    const beta: number[][] = new Array(length);
    beta[length - 1] = new Array<number>(K).fill(0);
    for (let t = length - 2; t >= 0; t--) {
      beta[t] = logTrans.map((row) => logsumexp(row.map((lt, j) => lt + b[t + 1][j] + beta[t + 1][j])));
    }
    const logP = logsumexp(alpha[length - 1]);
    result.logProbs.push(logP);
    for (let t = 0; t < length; t++) {
      const gamma = alpha[t].map((a, i) => Math.exp(a + beta[t][i] - logP));
      result.posteriors.push(gamma);
      if (t === 0) gamma.forEach((g, i) => (result.starts[i] += g));
      if (t + 1 < length) {
        for (let i = 0; i < K; i++) {
          for (let j = 0; j < K; j++) result.transitions[i][j] += Math.exp(alpha[t][i] + logTrans[i][j] + b[t + 1][j] + beta[t + 1][j] - logP);
        }
      }
    }
    first += length;
  }
  return result;
}

/** Viterbi by max-product over each sequence: states and the total best-path log-probability. */
export function viterbi(logB: number[][], chain: RefChain, lengths: number[]): { states: number[]; logProb: number } {
  const logStart = chain.startprob.map(Math.log);
  const logTrans = chain.transmat.map((row) => row.map(Math.log));
  const states: number[] = [];
  let logProb = 0;
  let first = 0;
  for (const length of lengths) {
    let delta = logStart.map((s, j) => s + logB[first][j]);
    const back: number[][] = [];
    for (let t = 1; t < length; t++) {
      const pointers: number[] = [];
      delta = logB[first + t].map((bj, j) => {
        let best = 0;
        for (let i = 1; i < delta.length; i++) if (delta[i] + logTrans[i][j] > delta[best] + logTrans[best][j]) best = i;
        pointers.push(best);
        return bj + delta[best] + logTrans[best][j];
      });
      back.push(pointers);
    }
    let state = delta.indexOf(Math.max(...delta));
    logProb += delta[state];
    const path = [state];
    for (let t = length - 1; t > 0; t--) {
      state = back[t - 1][state];
      path.unshift(state);
    }
    states.push(...path);
    first += length;
  }
  return { states, logProb };
}

/** The best path of one short sequence by trying all K^T paths: its states and log-probability. */
export function bruteForcePath(logB: number[][], chain: RefChain): { states: number[]; logProb: number } {
  const K = chain.startprob.length;
  const T = logB.length;
  let best = { states: [] as number[], logProb: -Infinity };
  const path = new Array<number>(T).fill(0);
  for (let code = 0; code < K ** T; code++) {
    let rest = code;
    for (let t = T - 1; t >= 0; t--) {
      path[t] = rest % K;
      rest = Math.floor(rest / K);
    }
    let logProb = Math.log(chain.startprob[path[0]]) + logB[0][path[0]];
    for (let t = 1; t < T; t++) logProb += Math.log(chain.transmat[path[t - 1]][path[t]]) + logB[t][path[t]];
    if (logProb > best.logProb) best = { states: [...path], logProb };
  }
  return best;
}

function normalizeRows(counts: number[][], previous: number[][]): number[][] {
  return counts.map((row, r) => {
    const total = row.reduce((s, v) => s + v, 0);
    return total > 0 ? row.map((v) => v / total) : [...previous[r]];
  });
}

/** The chain's M-step: new start and transition probabilities from the posterior counts. */
function chainStep(posterior: RefPosterior, chain: RefChain): RefChain {
  return {
    startprob: normalizeRows([posterior.starts], [chain.startprob])[0],
    transmat: normalizeRows(posterior.transitions, chain.transmat),
  };
}

/**
 * One Baum-Welch step of a Gaussian HMM: the log-likelihood before it and the parameters after it.
 * The emission M-step is hmmlearn's GaussianHMM._do_mstep in float64 with means_weight 0,
 * covars_prior 0 and covars_weight 1, plus minCovar on every variance: with the statistics
 * post_k = Σ γ, obs_k = Σ γ x and obsobs_k = Σ γ x xᵀ, means = obs / post and the scatter
 * c_n = obsobs - obs meanᵀ - mean obsᵀ + post mean meanᵀ; diag takes diag(c_n) / post, spherical the
 * mean of those, full c_n / post, tied Σ_k c_n / Σ_k post.
 */
export function gaussianEmStep(x: number[][], lengths: number[], model: RefGaussian, type: RefCovarianceType, minCovar: number): { logProb: number; next: RefGaussian } {
  const posterior = forwardBackward(gaussianLogB(x, model, type), model, lengths);
  const D = x[0].length;
  const post = model.means.map((_, k) => posterior.posteriors.reduce((s, g) => s + g[k], 0));
  const obs = model.means.map((_, k) => Array.from({ length: D }, (__, i) => x.reduce((s, row, n) => s + posterior.posteriors[n][k] * row[i], 0)));
  const obsobs = model.means.map((_, k) =>
    Array.from({ length: D }, (__, i) => Array.from({ length: D }, (___, j) => x.reduce((s, row, n) => s + posterior.posteriors[n][k] * row[i] * row[j], 0))),
  );
  const empty = post.map((p) => p < EMPTY_STATE_MASS);
  const means = model.means.map((old, k) => (empty[k] ? [...old] : obs[k].map((v) => v / post[k])));
  const scatter = means.map((mean, k) => obsobs[k].map((row, i) => row.map((v, j) => v - obs[k][i] * mean[j] - mean[i] * obs[k][j] + post[k] * mean[i] * mean[j])));
  const withMinCovar = (matrix: number[][]) => matrix.map((row, i) => row.map((v, j) => v + (i === j ? minCovar : 0)));
  let covars: RefGaussian['covars'];
  switch (type) {
    case 'diag':
      covars = scatter.map((c, k) => (empty[k] ? [...(model.covars as number[][])[k]] : c.map((row, i) => row[i] / post[k] + minCovar)));
      break;
    case 'spherical':
      covars = scatter.map((c, k) => (empty[k] ? (model.covars as number[])[k] : c.reduce((s, row, i) => s + row[i] / post[k], 0) / D + minCovar));
      break;
    case 'full':
      covars = scatter.map((c, k) => (empty[k] ? (model.covars as number[][][])[k] : withMinCovar(c.map((row) => row.map((v) => v / post[k])))));
      break;
    case 'tied': {
      const total = post.reduce((s, p) => s + p, 0);
      covars = withMinCovar(Array.from({ length: D }, (_, i) => Array.from({ length: D }, (__, j) => scatter.reduce((s, c) => s + c[i][j], 0) / total)));
      break;
    }
  }
  const logProb = posterior.logProbs.reduce((s, v) => s + v, 0);
  return { logProb, next: { ...chainStep(posterior, model), means, covars } };
}

/** One Baum-Welch step of a categorical HMM. */
export function categoricalEmStep(symbols: number[], lengths: number[], model: RefCategorical): { logProb: number; next: RefCategorical } {
  const posterior = forwardBackward(categoricalLogB(symbols, model), model, lengths);
  const counts = model.emissionprob.map((row, k) => row.map((_, v) => symbols.reduce((s, sym, n) => s + (sym === v ? posterior.posteriors[n][k] : 0), 0)));
  const logProb = posterior.logProbs.reduce((s, v) => s + v, 0);
  return { logProb, next: { ...chainStep(posterior, model), emissionprob: normalizeRows(counts, model.emissionprob) } };
}
