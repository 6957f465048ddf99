// A float64 plain-JS hidden Markov model, written the textbook way (unnormalised log alpha and log
// beta with logsumexp, Viterbi by max-product with back-pointers, Gaussian densities by Cholesky), to
// check the GPU models against. It shares no code with src/models: only the documented M-step rules
// (minCovar added to every variance; a state with less than 1e-3 expected frames keeps its emission
// parameters; a row with no expected counts keeps its previous probabilities).

import { cholesky, logGaussian } from '../helpers/gaussian-reference.js';

export type RefCovarianceType = 'diag' | 'full';

export interface RefChain {
  startprob: number[];
  transmat: number[][];
}

export interface RefGaussian extends RefChain {
  means: number[][];
  /** diag [K][D] or full [K][D][D]. */
  covars: number[][] | number[][][];
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

/** Each state's full covariance matrix. */
export function fullCovariances(type: RefCovarianceType, covars: number[][] | number[][][]): number[][][] {
  if (type === 'full') return covars as number[][][];
  return (covars as number[][]).map((v) => v.map((vi, i) => v.map((_, j) => (i === j ? vi : 0))));
}

/** log N(x | mean, Sigma) for every frame and state: [N][K]. */
export function gaussianLogB(x: number[][], model: RefGaussian, type: RefCovarianceType): number[][] {
  const factors = fullCovariances(type, model.covars).map(cholesky);
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

/** One Baum-Welch step of a Gaussian HMM: the log-likelihood before it and the parameters after it. */
export function gaussianEmStep(x: number[][], lengths: number[], model: RefGaussian, type: RefCovarianceType, minCovar: number): { logProb: number; next: RefGaussian } {
  const posterior = forwardBackward(gaussianLogB(x, model, type), model, lengths);
  const means: number[][] = [];
  const covars: (number[] | number[][])[] = [];
  model.means.forEach((oldMean, k) => {
    const weights = posterior.posteriors.map((g) => g[k]);
    const mass = weights.reduce((s, w) => s + w, 0);
    if (mass < EMPTY_STATE_MASS) {
      means.push([...oldMean]);
      covars.push((model.covars as (number[] | number[][])[])[k]);
      return;
    }
    const mean = oldMean.map((_, i) => x.reduce((s, row, n) => s + weights[n] * row[i], 0) / mass);
    const cov = mean.map((_, i) =>
      mean.map((__, j) => x.reduce((s, row, n) => s + weights[n] * (row[i] - mean[i]) * (row[j] - mean[j]), 0) / mass + (i === j ? minCovar : 0)),
    );
    means.push(mean);
    covars.push(type === 'full' ? cov : cov.map((row, i) => row[i]));
  });
  const logProb = posterior.logProbs.reduce((s, v) => s + v, 0);
  return { logProb, next: { ...chainStep(posterior, model), means, covars: covars as number[][] | number[][][] } };
}

/** One Baum-Welch step of a categorical HMM. */
export function categoricalEmStep(symbols: number[], lengths: number[], model: RefCategorical): { logProb: number; next: RefCategorical } {
  const posterior = forwardBackward(categoricalLogB(symbols, model), model, lengths);
  const counts = model.emissionprob.map((row, k) => row.map((_, v) => symbols.reduce((s, sym, n) => s + (sym === v ? posterior.posteriors[n][k] : 0), 0)));
  const logProb = posterior.logProbs.reduce((s, v) => s + v, 0);
  return { logProb, next: { ...chainStep(posterior, model), emissionprob: normalizeRows(counts, model.emissionprob) } };
}
