// GaussianHMM and CategoricalHMM on the GPU: log-likelihoods, posteriors and one Baum-Welch step
// against the float64 reference (tests/models/hmm-reference.ts, whose Gaussian M-step restates
// hmmlearn's) for the four covariance types; Viterbi against brute force over all paths, and 'map'
// decoding against the float64 posteriors; recovery of known parameters; fitPredict; sample moments;
// clear errors for bad input; and GPU memory returning to its baseline.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { CategoricalHMM, GaussianHMM, type GaussianCovarianceType } from '../../src/models/hmm/index.js';
import {
  bruteForcePath, categoricalEmStep, categoricalLogB, forwardBackward, gaussianEmStep, gaussianLogB, viterbi,
  type RefCategorical, type RefGaussian,
} from './hmm-reference.js';

interface Truth {
  startprob: number[];
  transmat: number[][];
}

/** Draws an index from probabilities. */
function draw(random: gg.data.SeededRandom, probabilities: number[]): number {
  let u = random.random();
  for (let k = 0; k < probabilities.length - 1; k++) {
    if (u < probabilities[k]) return k;
    u -= probabilities[k];
  }
  return probabilities.length - 1;
}

/** Hidden state paths for the given sequence lengths, drawn on the host (seeded). */
function statePaths(chain: Truth, lengths: number[], random: gg.data.SeededRandom): number[] {
  const states: number[] = [];
  for (const length of lengths) {
    let state = draw(random, chain.startprob);
    for (let t = 0; t < length; t++) {
      if (t > 0) state = draw(random, chain.transmat[state]);
      states.push(state);
    }
  }
  return states;
}

/** Gaussian frames (f32-rounded) for the given lengths: mean + L z per frame. */
function gaussianData(model: RefGaussian & { factors: number[][][] }, lengths: number[], seed: number): { rows: number[][]; states: number[] } {
  const random = new gg.data.SeededRandom(seed);
  const states = statePaths(model, lengths, random);
  const rows = states.map((k) => {
    const z = model.means[k].map(() => random.normal());
    return model.means[k].map((m, i) => Math.fround(m + model.factors[k][i].reduce((s, f, j) => s + f * z[j], 0)));
  });
  return { rows, states };
}

function categoricalData(model: RefCategorical, lengths: number[], seed: number): { symbols: number[]; states: number[] } {
  const random = new gg.data.SeededRandom(seed);
  const states = statePaths(model, lengths, random);
  return { symbols: states.map((k) => draw(random, model.emissionprob[k])), states };
}

/** Largest entrywise difference of a and b over the largest magnitude of b. */
function relativeError(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  const scale = Math.max(1e-3, ...b.map(Math.abs));
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / scale;
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flat(3) : [v]) as number[];

/** The permutation p (true state t -> fitted state p[t]) that best matches the fitted means to the true ones. */
function matchStates(fitted: number[][], truth: number[][]): number[] {
  const permutations = (items: number[]): number[][] =>
    items.length <= 1 ? [items] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
  const cost = (perm: number[]) => perm.reduce((s, f, t) => s + truth[t].reduce((c, v, i) => c + (v - fitted[f][i]) ** 2, 0), 0);
  return permutations([...truth.keys()]).reduce((best, perm) => (cost(perm) < cost(best) ? perm : best));
}

/** max |fitted transmat (permuted) - true transmat|. */
function transitionError(fitted: number[][], truth: number[][], order: number[]): number {
  return Math.max(...truth.flatMap((row, i) => row.map((v, j) => Math.abs(v - fitted[order[i]][order[j]]))));
}

// A 3-state model away from the origin, so the shifted statistics matter.
const gaussianTruth = {
  startprob: [0.5, 0.3, 0.2],
  transmat: [[0.8, 0.15, 0.05], [0.1, 0.7, 0.2], [0.2, 0.1, 0.7]],
  means: [[10, 20, -5], [12, 21.5, -4], [9, 22.5, -6.5]],
  covars: [[[1, 0.3, 0], [0.3, 0.8, -0.2], [0, -0.2, 0.6]], [[0.5, 0, 0.1], [0, 0.9, 0], [0.1, 0, 0.7]], [[0.7, -0.2, 0], [-0.2, 0.6, 0.1], [0, 0.1, 1.2]]],
  factors: [] as number[][][],
};
gaussianTruth.factors = gaussianTruth.covars.map((c) => {
  // Lower Cholesky factors for drawing the data.
  const d = c.length;
  const l = c.map(() => new Array<number>(d).fill(0));
  for (let j = 0; j < d; j++) {
    l[j][j] = Math.sqrt(c[j][j] - l[j].slice(0, j).reduce((s, v) => s + v * v, 0));
    for (let i = j + 1; i < d; i++) l[i][j] = (c[i][j] - l[i].slice(0, j).reduce((s, v, m) => s + v * l[j][m], 0)) / l[j][j];
  }
  return l;
});

/** Starting parameters near (not at) the truth, for the reference comparisons. */
function gaussianStart(type: GaussianCovarianceType): RefGaussian {
  const full = [[[1.2, 0.2, 0], [0.2, 1, -0.1], [0, -0.1, 0.8]], [[0.6, 0.1, 0], [0.1, 1.1, 0.05], [0, 0.05, 0.9]], [[1, 0, 0.2], [0, 0.8, 0], [0.2, 0, 1.4]]];
  return {
    startprob: [0.4, 0.35, 0.25],
    transmat: [[0.7, 0.2, 0.1], [0.15, 0.6, 0.25], [0.25, 0.15, 0.6]],
    means: [[10.5, 19.5, -5.25], [11.5, 22, -3.5], [8.5, 22, -7]],
    covars: {
      full,
      diag: full.map((m) => m.map((r, i) => r[i])),
      spherical: full.map((m) => m.reduce((s, r, i) => s + r[i], 0) / m.length),
      tied: full[1],
    }[type],
  };
}

const categoricalTruth: RefCategorical = {
  startprob: [0.6, 0.4],
  transmat: [[0.85, 0.15], [0.25, 0.75]],
  emissionprob: [[0.6, 0.3, 0.05, 0.05], [0.05, 0.1, 0.45, 0.4]],
};

const categoricalStart: RefCategorical = {
  startprob: [0.5, 0.5],
  transmat: [[0.7, 0.3], [0.4, 0.6]],
  emissionprob: [[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4]],
};

const referenceLengths = [17, 40, 1, 25, 9];

describe('HMM against the float64 reference', () => {
  for (const type of ['diag', 'full', 'spherical', 'tied'] as const) {
    it(`GaussianHMM ${type}: score, posteriors and one Baum-Welch step match to 1e-4`, async () => {
      const { rows } = gaussianData(gaussianTruth, referenceLengths, 1);
      const x = gg.tensor(rows);
      const start = gaussianStart(type);
      const model = new GaussianHMM({ nComponents: 3, covarianceType: type, nIter: 1, initParams: '', ...start });
      const reference = forwardBackward(gaussianLogB(rows, start, type), start, referenceLengths);
      const totalRef = reference.logProbs.reduce((s, v) => s + v, 0);
      expect(Math.abs((await model.score(x, referenceLengths)) - totalRef) / Math.abs(totalRef)).toBeLessThan(1e-4);
      const { logProb, posteriors } = await model.scoreSamples(x, referenceLengths);
      expect(Math.abs(logProb - totalRef) / Math.abs(totalRef)).toBeLessThan(1e-4);
      const gamma = (await posteriors.toArray()) as number[][];
      posteriors.dispose();
      expect(relativeError(gamma.flat(), reference.posteriors.flat())).toBeLessThan(1e-4);
      for (const row of gamma) expect(Math.abs(row.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-5);

      await model.fit(x, referenceLengths);
      const step = gaussianEmStep(rows, referenceLengths, start, type, 1e-3);
      const errors = [
        Math.abs(model.monitor.history[0] - step.logProb) / Math.abs(step.logProb),
        relativeError(model.startprob, step.next.startprob),
        relativeError(model.transmat.flat(), step.next.transmat.flat()),
        relativeError(model.means.flat(), step.next.means.flat()),
        relativeError(flat(model.covars), flat(step.next.covars)),
      ];
      console.log(`hmm EM step ${type} vs float64 (log-likelihood, startprob, transmat, means, covars): ${errors.map((e) => e.toExponential(1)).join(', ')}`);
      for (const error of errors) expect(error).toBeLessThan(1e-4);
      expect(model.monitor.iter).toBe(1);
      x.dispose();
    });
  }

  it('CategoricalHMM: score, posteriors and one Baum-Welch step match to 1e-4', async () => {
    const { symbols } = categoricalData(categoricalTruth, referenceLengths, 2);
    const x = gg.tensor(Int32Array.from(symbols), [symbols.length, 1]);
    const model = new CategoricalHMM({ nComponents: 2, nIter: 1, initParams: '', ...categoricalStart });
    const reference = forwardBackward(categoricalLogB(symbols, categoricalStart), categoricalStart, referenceLengths);
    const totalRef = reference.logProbs.reduce((s, v) => s + v, 0);
    const proba = model.predictProba(x, referenceLengths);
    expect(relativeError(Array.from(await proba.data()), reference.posteriors.flat())).toBeLessThan(1e-4);
    proba.dispose();
    expect(Math.abs((await model.score(x, referenceLengths)) - totalRef) / Math.abs(totalRef)).toBeLessThan(1e-4);

    await model.fit(x, referenceLengths);
    const step = categoricalEmStep(symbols, referenceLengths, categoricalStart);
    expect(Math.abs(model.monitor.history[0] - step.logProb) / Math.abs(step.logProb)).toBeLessThan(1e-4);
    expect(relativeError(model.startprob, step.next.startprob)).toBeLessThan(1e-4);
    expect(relativeError(model.transmat.flat(), step.next.transmat.flat())).toBeLessThan(1e-4);
    expect(relativeError(model.emissionprob.flat(), step.next.emissionprob.flat())).toBeLessThan(1e-4);
    x.dispose();
  });
});

describe('numerics', () => {
  const chain = { startprob: [0.5, 0.3, 0.2], transmat: [[0.8, 0.15, 0.05], [0.1, 0.7, 0.2], [0.2, 0.1, 0.7]] };
  const emission = { means: [[0, 0], [2, 1], [-1, 2]], covars: [[1, 1], [0.5, 0.8], [0.7, 0.6]] };

  it('a 4000-frame sequence keeps its posteriors to 1e-5 and its log-likelihood to 1e-6 (normalised log space)', async () => {
    const random = new gg.data.SeededRandom(13);
    const rows = Array.from({ length: 4000 }, () => [Math.fround(1.5 * random.normal()), Math.fround(1.5 * random.normal() + 1)]);
    const x = gg.tensor(rows);
    const model = new GaussianHMM({ nComponents: 3, ...chain, ...emission });
    const reference = forwardBackward(gaussianLogB(rows, { ...chain, ...emission }, 'diag'), chain, [4000]);
    const { logProb, posteriors } = await model.scoreSamples(x);
    const gamma = Array.from(await posteriors.data());
    posteriors.dispose();
    const expected = reference.posteriors.flat();
    const posteriorError = gamma.reduce((worst, g, i) => Math.max(worst, Math.abs(g - expected[i])), 0);
    const logProbError = Math.abs(logProb - reference.logProbs[0]) / Math.abs(reference.logProbs[0]);
    console.log(`hmm long sequence: posterior max abs error ${posteriorError.toExponential(2)}, log-likelihood relative error ${logProbError.toExponential(2)}`);
    expect(posteriorError).toBeLessThan(1e-5);
    expect(logProbError).toBeLessThan(1e-6);
    x.dispose();
  });

  it('zero probabilities and frames a thousand deviations out stay finite and match the reference', async () => {
    const leftRight = { startprob: [1, 0, 0], transmat: [[0.9, 0.1, 0], [0, 0.8, 0.2], [0, 0, 1]], ...emission };
    const lengths = [12, 7];
    const rows = [
      [0.1, -0.2], [0.3, 0.1], [1000, -1000], [-0.2, 0.4], [2.1, 0.9], [1.8, 1.2], [2.2, 0.7], [-1, 2.1], [-0.8, 1.9], [-1.1, 2.3], [-900, 50], [-1.2, 1.8],
      [0, 0.1], [0.2, -0.1], [1.9, 1.1], [2.3, 0.8], [-1.2, 2.2], [-0.9, 1.7], [-1, 2],
    ].map((r) => r.map(Math.fround));
    const x = gg.tensor(rows);
    const model = new GaussianHMM({ nComponents: 3, nIter: 1, initParams: '', ...leftRight });
    const reference = forwardBackward(gaussianLogB(rows, leftRight, 'diag'), leftRight, lengths);
    const { logProb, posteriors } = await model.scoreSamples(x, lengths);
    const gamma = Array.from(await posteriors.data());
    posteriors.dispose();
    const totalRef = reference.logProbs.reduce((s, v) => s + v, 0);
    expect(Math.abs(logProb - totalRef) / Math.abs(totalRef)).toBeLessThan(1e-5);
    expect(gamma.every(Number.isFinite)).toBe(true);
    expect(Math.max(...gamma.map((g, i) => Math.abs(g - reference.posteriors.flat()[i])))).toBeLessThan(1e-5);
    const decoded = await model.decode(x, lengths);
    const best = viterbi(gaussianLogB(rows, leftRight, 'diag'), leftRight, lengths);
    expect(Array.from(await decoded.states.data())).toEqual(best.states);
    expect(Math.abs(decoded.logProb - best.logProb) / Math.abs(best.logProb)).toBeLessThan(1e-5);
    decoded.states.dispose();

    await model.fit(x, lengths);
    const step = gaussianEmStep(rows, lengths, leftRight, 'diag', 1e-3);
    expect(model.startprob).toEqual([1, 0, 0]);
    expect(relativeError(model.transmat.flat(), step.next.transmat.flat())).toBeLessThan(1e-4);
    expect(model.transmat[1][0]).toBe(0);
    expect(relativeError(model.means.flat(), step.next.means.flat())).toBeLessThan(1e-4);
    x.dispose();
  });
});

describe('Viterbi decoding', () => {
  it('GaussianHMM: a batch of short sequences matches brute force over all paths', async () => {
    const start = gaussianStart('diag');
    const lengths = [6, 1, 4, 7, 5];
    const { rows } = gaussianData(gaussianTruth, lengths, 3);
    const x = gg.tensor(rows);
    const model = new GaussianHMM({ nComponents: 3, ...start });
    const logB = gaussianLogB(rows, start, 'diag');
    const expectedStates: number[] = [];
    let expectedLogProb = 0;
    let first = 0;
    for (const length of lengths) {
      const best = bruteForcePath(logB.slice(first, first + length), start);
      expectedStates.push(...best.states);
      expectedLogProb += best.logProb;
      first += length;
    }
    const { logProb, states } = await model.decode(x, lengths);
    expect(Array.from(await states.data())).toEqual(expectedStates);
    expect(Math.abs(logProb - expectedLogProb) / Math.abs(expectedLogProb)).toBeLessThan(1e-4);
    const predicted = model.predict(x, lengths);
    expect(Array.from(await predicted.data())).toEqual(expectedStates);
    states.dispose();
    predicted.dispose();
    x.dispose();
  });

  it('CategoricalHMM: brute force on short sequences, the reference Viterbi on long ones', async () => {
    const short = [8, 3, 1, 6];
    const { symbols } = categoricalData(categoricalTruth, short, 4);
    const x = gg.tensor(Int32Array.from(symbols));
    const model = new CategoricalHMM({ nComponents: 2, ...categoricalTruth });
    const logB = categoricalLogB(symbols, categoricalTruth);
    const expected: number[] = [];
    let first = 0;
    for (const length of short) {
      expected.push(...bruteForcePath(logB.slice(first, first + length), categoricalTruth).states);
      first += length;
    }
    const states = model.predict(x, short);
    expect(Array.from(await states.data())).toEqual(expected);
    states.dispose();
    x.dispose();

    const long = [300, 41, 150];
    const data = categoricalData(categoricalTruth, long, 5);
    const y = gg.tensor(Int32Array.from(data.symbols));
    const reference = viterbi(categoricalLogB(data.symbols, categoricalTruth), categoricalTruth, long);
    const decoded = await model.decode(y, long);
    expect(Array.from(await decoded.states.data())).toEqual(reference.states);
    expect(Math.abs(decoded.logProb - reference.logProb) / Math.abs(reference.logProb)).toBeLessThan(1e-4);
    decoded.states.dispose();
    y.dispose();
  });
});

describe('Baum-Welch recovery', () => {
  const lengths = Array.from({ length: 40 }, (_, s) => 80 + ((s * 37) % 41));

  it('GaussianHMM full and diag recover the transition matrix within 0.05', async () => {
    const { rows } = gaussianData(gaussianTruth, lengths, 6);
    const x = gg.tensor(rows);
    for (const type of ['full', 'diag'] as const) {
      const model = await new GaussianHMM({ nComponents: 3, covarianceType: type, nIter: 100, tol: 1e-3, seed: 1 }).fit(x, lengths);
      const order = matchStates(model.means, gaussianTruth.means);
      const transError = transitionError(model.transmat, gaussianTruth.transmat, order);
      const meanError = Math.max(...order.map((f, t) => Math.max(...gaussianTruth.means[t].map((v, i) => Math.abs(v - model.means[f][i])))));
      console.log(`hmm recovery gaussian ${type}: transmat max error ${transError.toFixed(4)}, mean max error ${meanError.toFixed(4)}, ${model.monitor.iter} iterations, converged ${model.monitor.converged}`);
      expect(transError).toBeLessThan(0.05);
      expect(meanError).toBeLessThan(0.15);
      expect(model.monitor.converged).toBe(true);
      const history = model.monitor.history;
      for (let i = 1; i < history.length; i++) expect(history[i]).toBeGreaterThan(history[i - 1] - 1e-5 * Math.abs(history[i - 1]));
    }
    x.dispose();
  });

  it('CategoricalHMM recovers the transition and emission matrices within 0.05', async () => {
    const { symbols } = categoricalData(categoricalTruth, lengths, 7);
    const x = gg.tensor(Int32Array.from(symbols), [symbols.length, 1]);
    const model = await new CategoricalHMM({ nComponents: 2, nIter: 200, tol: 1e-4, seed: 3 }).fit(x, lengths);
    expect(model.nFeatures).toBe(4);
    const order = matchStates(model.emissionprob, categoricalTruth.emissionprob);
    const transError = transitionError(model.transmat, categoricalTruth.transmat, order);
    const emissionError = Math.max(...order.map((f, t) => Math.max(...categoricalTruth.emissionprob[t].map((v, i) => Math.abs(v - model.emissionprob[f][i])))));
    console.log(`hmm recovery categorical: transmat max error ${transError.toFixed(4)}, emission max error ${emissionError.toFixed(4)}, ${model.monitor.iter} iterations`);
    expect(transError).toBeLessThan(0.05);
    expect(emissionError).toBeLessThan(0.05);
    x.dispose();
  });
});

/** The stationary distribution pi = pi A, by power iteration. */
function stationary(transmat: number[][]): number[] {
  let pi = transmat.map(() => 1 / transmat.length);
  for (let i = 0; i < 1000; i++) pi = pi.map((_, j) => pi.reduce((s, p, k) => s + p * transmat[k][j], 0));
  return pi;
}

/** State frequencies and transition frequencies (within sequences) of sampled state paths. */
function chainMoments(states: number[], lengths: number[], k: number): { frequencies: number[]; transitions: number[][] } {
  const counts = new Array<number>(k).fill(0);
  const pairs = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let first = 0;
  for (const length of lengths) {
    for (let t = first; t < first + length; t++) {
      counts[states[t]]++;
      if (t > first) pairs[states[t - 1]][states[t]]++;
    }
    first += length;
  }
  return {
    frequencies: counts.map((c) => c / states.length),
    transitions: pairs.map((row) => row.map((c) => c / row.reduce((s, v) => s + v, 0))),
  };
}

describe('options', () => {
  it('params and initParams choose what fit() initialises and updates; bic and aic count what it fits', async () => {
    const lengths = [60, 45, 80];
    const { rows } = gaussianData(gaussianTruth, lengths, 9);
    const x = gg.tensor(rows);
    const fixedChain = { startprob: [0.2, 0.3, 0.5], transmat: [[0.6, 0.2, 0.2], [0.3, 0.4, 0.3], [0.1, 0.1, 0.8]] };
    const model = await new GaussianHMM({ nComponents: 3, covarianceType: 'full', nIter: 5, seed: 4, params: 'mc', initParams: 'mc', ...fixedChain }).fit(x, lengths);
    expect(model.startprob).toEqual(fixedChain.startprob);
    expect(model.transmat).toEqual(fixedChain.transmat);
    expect(model.nFeatures).toBe(3);
    expect(model.freeParameters()).toBe(3 * 3 + 3 * 6);
    const score = await model.score(x, lengths);
    expect(await model.bic(x, lengths)).toBeCloseTo(-2 * score + 27 * Math.log(185), 6);
    expect(await model.aic(x, lengths)).toBeCloseTo(-2 * score + 54, 6);
    expect(new GaussianHMM({ nComponents: 3, ...gaussianStart('diag') }).freeParameters()).toBe(2 + 6 + 9 + 9);

    // One state and one feature: Baum-Welch is the sample mean and variance (plus minCovar).
    const column = rows.map((r) => [r[0]]);
    const y = gg.tensor(column);
    const single = await new GaussianHMM({ nComponents: 1, nIter: 3 }).fit(y, lengths);
    const mean = column.reduce((s, r) => s + r[0], 0) / column.length;
    const variance = column.reduce((s, r) => s + (r[0] - mean) ** 2, 0) / column.length;
    expect(single.means[0][0]).toBeCloseTo(mean, 4);
    expect((single.covars as number[][])[0][0]).toBeCloseTo(variance + 1e-3, 4);
    expect(single.transmat).toEqual([[1]]);
    x.dispose();
    y.dispose();
  });
});

describe('sampling', () => {
  it('GaussianHMM samples reproduce the stationary distribution, transitions and emission moments', async () => {
    const model = new GaussianHMM({ nComponents: 3, covarianceType: 'full', seed: 11, ...gaussianTruth });
    const { samples, states, lengths } = model.sample(2500, { nSequences: 12 });
    expect(samples.shape).toEqual([30000, 3]);
    expect(lengths).toEqual(new Array(12).fill(2500));
    const path = Array.from(await states.data());
    const rows = (await samples.toArray()) as number[][];
    samples.dispose();
    states.dispose();
    const { frequencies, transitions } = chainMoments(path, lengths, 3);
    const pi = stationary(gaussianTruth.transmat);
    console.log(`hmm sample: state frequencies ${frequencies.map((f) => f.toFixed(3)).join(', ')} vs stationary ${pi.map((p) => p.toFixed(3)).join(', ')}`);
    expect(Math.max(...frequencies.map((f, k) => Math.abs(f - pi[k])))).toBeLessThan(0.02);
    expect(Math.max(...transitions.flatMap((row, i) => row.map((v, j) => Math.abs(v - gaussianTruth.transmat[i][j]))))).toBeLessThan(0.02);
    for (let k = 0; k < 3; k++) {
      const mine = rows.filter((_, n) => path[n] === k);
      const mean = [0, 1, 2].map((i) => mine.reduce((s, r) => s + r[i], 0) / mine.length);
      const cov = [0, 1, 2].map((i) => [0, 1, 2].map((j) => mine.reduce((s, r) => s + (r[i] - mean[i]) * (r[j] - mean[j]), 0) / mine.length));
      expect(Math.max(...mean.map((m, i) => Math.abs(m - gaussianTruth.means[k][i])))).toBeLessThan(0.05);
      expect(Math.max(...cov.flat().map((c, e) => Math.abs(c - gaussianTruth.covars[k].flat()[e])))).toBeLessThan(0.06);
    }

    // The first frames follow startprob; the same seed gives the same draws.
    const starts = model.sample(1, { nSequences: 6000, generator: new gg.Generator(5) });
    const firstStates = Array.from(await starts.states.data());
    const again = model.sample(1, { nSequences: 6000, generator: new gg.Generator(5) });
    expect(Array.from(await again.states.data())).toEqual(firstStates);
    expect(Array.from(await again.samples.data())).toEqual(Array.from(await starts.samples.data()));
    for (const t of [starts.samples, starts.states, again.samples, again.states]) t.dispose();
    gaussianTruth.startprob.forEach((p, k) => expect(Math.abs(firstStates.filter((s) => s === k).length / 6000 - p)).toBeLessThan(0.02));
  });

  it('CategoricalHMM samples reproduce the emission probabilities', async () => {
    const model = new CategoricalHMM({ nComponents: 2, seed: 12, ...categoricalTruth });
    const { samples, states, lengths } = model.sample(4000, { nSequences: 5 });
    expect(samples.shape).toEqual([20000, 1]);
    expect(samples.dtype).toBe('i32');
    const path = Array.from(await states.data());
    const symbols = Array.from(await samples.data());
    samples.dispose();
    states.dispose();
    const { frequencies } = chainMoments(path, lengths, 2);
    const pi = stationary(categoricalTruth.transmat);
    expect(Math.max(...frequencies.map((f, k) => Math.abs(f - pi[k])))).toBeLessThan(0.02);
    for (let k = 0; k < 2; k++) {
      const mine = symbols.filter((_, n) => path[n] === k);
      categoricalTruth.emissionprob[k].forEach((p, v) => expect(Math.abs(mine.filter((s) => s === v).length / mine.length - p)).toBeLessThan(0.02));
    }
  });
});

describe('bad input and memory', () => {
  it('rejects bad input with errors naming the class, method and shapes', async () => {
    const start = gaussianStart('diag');
    const model = new GaussianHMM({ nComponents: 3, ...start });
    const x = gg.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 1, 1]]);
    const wrongFeatures = gg.zeros([4, 2]);
    const withNaN = gg.tensor([[1, 2, 3], [NaN, 5, 6]]);
    const symbols = gg.tensor(Int32Array.from([0, 1, 5, 2]));
    const negative = gg.tensor(Int32Array.from([0, -1]));
    const twoColumns = gg.zeros([4, 2], { dtype: 'i32' });
    await expect(model.score(wrongFeatures)).rejects.toThrow('GaussianHMM.score: X has 2 features but the model has 3 (X: [4, 2] f32)');
    expect(() => model.predict(x, [2, 0, 2])).toThrow('GaussianHMM.predict: sequence 1 is empty (lengths[1] is 0)');
    expect(() => model.predictProba(x, [2, 1])).toThrow('GaussianHMM.predictProba: lengths sum to 3 frames but X has 4 (X: [4, 3] f32)');
    expect(() => model.predict(x, [])).toThrow(/lengths must be a non-empty array/);
    expect(() => model.predict(x, [1.5, 2.5])).toThrow(/lengths\[0\] must be an integer >= 1, got 1.5/);
    await expect(model.score(withNaN)).rejects.toThrow('GaussianHMM.score: X contains NaN or Inf (X: [2, 3] f32)');
    await expect(new GaussianHMM({ nComponents: 2 }).fit(withNaN)).rejects.toThrow('GaussianHMM.fit: X contains NaN or Inf');
    await expect(new GaussianHMM({ nComponents: 5 }).fit(x)).rejects.toThrow('GaussianHMM.fit: nComponents (5) must not exceed the number of frames (4)');
    await expect(model.decode(symbols)).rejects.toThrow('GaussianHMM.decode: X must be f32, got i32');
    await expect(new GaussianHMM({ nComponents: 2 }).score(x)).rejects.toThrow(/GaussianHMM.score: the model has no start or transition probabilities/);

    const categorical = new CategoricalHMM({ nComponents: 2, ...categoricalTruth });
    await expect(categorical.score(symbols)).rejects.toThrow('CategoricalHMM.score: X holds the symbol 5 but the model has nFeatures = 4 (symbols 0 .. 3) (X: [4] i32)');
    await expect(categorical.fit(negative)).rejects.toThrow('CategoricalHMM.fit: X holds the symbol -1; symbols must be >= 0');
    expect(() => categorical.predict(x)).toThrow('CategoricalHMM.predict: X must hold i32 symbols, got f32');
    expect(() => categorical.predict(twoColumns)).toThrow(/X must be \[N\] or \[N, 1\] symbols/);

    expect(() => new GaussianHMM({ nComponents: 0 })).toThrow('GaussianHMM: nComponents must be an integer in [1, 64], got 0');
    expect(() => new GaussianHMM({ covarianceType: 'banded' as GaussianCovarianceType })).toThrow(
      "GaussianHMM.constructor: covarianceType must be one of 'spherical', 'diag', 'full', 'tied', got 'banded'",
    );
    expect(() => new GaussianHMM({ params: 'stmx' })).toThrow(/params must be a string of the letters 'stmc'/);
    expect(() => new CategoricalHMM({ nComponents: 2, transmat: [[0.5, 0.6], [0.5, 0.5]] })).toThrow('CategoricalHMM.setParameters: transmat row 0 must sum to 1, got a sum of 1.1');
    expect(() => new GaussianHMM({ nComponents: 2, covarianceType: 'full', means: [[0], [1]], covars: [[[1]], [[-1]]] })).toThrow('GaussianHMM.setParameters: full covars[1] must be positive definite');
    expect(() => model.sample(0)).toThrow('GaussianHMM.sample: nSteps must be an integer >= 1, got 0');
    for (const t of [x, wrongFeatures, withNaN, symbols, negative, twoColumns]) t.dispose();
  });

  it('checks the values of X the same way in every method: predict and predictProba report at the next read', async () => {
    const rt = gg.runtime();
    const gaussian = new GaussianHMM({ nComponents: 3, ...gaussianStart('diag') });
    const categorical = new CategoricalHMM({ nComponents: 2, ...categoricalTruth });
    const withNaN = gg.tensor([[1, 2, 3], [4, Infinity, 6], [NaN, 5, 6]]);
    const outside = gg.tensor(Int32Array.from([0, 1, 7, 2]));
    const negative = gg.tensor(Int32Array.from([0, -2]), [2, 1]);
    const before = rt.memory().liveBuffers;
    const cases: [GaussianHMM | CategoricalHMM, gg.Tensor, string][] = [
      [gaussian, withNaN, 'X contains NaN or Inf (X: [3, 3] f32)'],
      [categorical, outside, 'X holds the symbol 7 but the model has nFeatures = 4 (symbols 0 .. 3) (X: [4] i32)'],
      [categorical, negative, 'X holds the symbol -2; symbols must be >= 0 (X: [2, 1] i32)'],
    ];
    for (const [model, x, message] of cases) {
      const name = model instanceof GaussianHMM ? 'GaussianHMM' : 'CategoricalHMM';
      for (const op of ['score', 'scoreSamples', 'decode', 'bic', 'aic'] as const) {
        await expect(model[op](x), op).rejects.toThrow(`${name}.${op === 'bic' || op === 'aic' ? 'score' : op}: ${message}`);
      }
      for (const op of ['predict', 'predictProba'] as const) {
        const out = model[op](x);
        await expect(out.data(), op).rejects.toThrow(`${name}.${op}: ${message}`);
        out.dispose();
      }
    }
    expect(rt.memory().liveBuffers).toBe(before);
    // Good input afterwards is unaffected; sample checks its options.
    const symbols = gg.tensor(Int32Array.from([0, 1, 3, 2]));
    const states = categorical.predict(symbols);
    expect((await states.data()).length).toBe(4);
    expect(() => categorical.sample(3, { nSequences: 0 })).toThrow('CategoricalHMM.sample: nSequences must be an integer >= 1, got 0');
    expect(() => categorical.sample(3, { generator: {} as gg.Generator })).toThrow('CategoricalHMM.sample: generator must be a Generator, got [object Object]');
    for (const t of [withNaN, outside, negative, symbols, states]) t.dispose();
  });

  it('frees every temporary: GPU memory returns to its baseline', async () => {
    const rt = gg.runtime();
    const lengths = [30, 12, 50];
    const { rows } = gaussianData(gaussianTruth, lengths, 8);
    const x = gg.tensor(rows);
    const baseline = rt.memory().liveBuffers;
    const model = await new GaussianHMM({ nComponents: 3, covarianceType: 'full', nIter: 3, seed: 2 }).fit(x, lengths);
    await model.score(x, lengths);
    const { posteriors } = await model.scoreSamples(x, lengths);
    const { states } = await model.decode(x, lengths);
    const outputs = [posteriors, states, model.predict(x, lengths), model.predictProba(x, lengths)];
    const drawn = model.sample(20, { nSequences: 3 });
    outputs.push(drawn.samples, drawn.states);
    expect(rt.memory().liveBuffers).toBe(baseline + outputs.length);
    for (const t of outputs) t.dispose();
    await expect(model.score(gg.scope(() => gg.full([4, 3], NaN)))).rejects.toThrow(/NaN/);
    expect(rt.memory().liveBuffers).toBe(baseline + 1);
    x.dispose();
    expect(rt.memory().liveBuffers).toBe(baseline);
  });
});

describe('spherical and tied covariances (hmmlearn)', () => {
  const chain = { startprob: gaussianTruth.startprob, transmat: gaussianTruth.transmat, means: gaussianTruth.means };
  const tiedCovariance = [[0.8, 0.2, 0], [0.2, 0.6, -0.1], [0, -0.1, 0.9]];
  const tiedFactor = gaussianTruth.factors[0].map(() => [0, 0, 0]);
  for (let j = 0; j < 3; j++) {
    tiedFactor[j][j] = Math.sqrt(tiedCovariance[j][j] - tiedFactor[j].slice(0, j).reduce((s, v) => s + v * v, 0));
    for (let i = j + 1; i < 3; i++) tiedFactor[i][j] = (tiedCovariance[i][j] - tiedFactor[i].slice(0, j).reduce((s, v, m) => s + v * tiedFactor[j][m], 0)) / tiedFactor[j][j];
  }
  const variances = [0.6, 0.9, 0.4];
  const truths = {
    spherical: { ...chain, covars: variances, factors: variances.map((v) => [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? Math.sqrt(v) : 0)))) },
    tied: { ...chain, covars: tiedCovariance, factors: [tiedFactor, tiedFactor, tiedFactor] },
  };
  /** Each state's covariance matrix under a truth. */
  const stateCovariance = (type: 'spherical' | 'tied', k: number): number[][] =>
    type === 'tied' ? tiedCovariance : [0, 1, 2].map((i) => [0, 1, 2].map((j) => (i === j ? variances[k] : 0)));

  for (const type of ['spherical', 'tied'] as const) {
    it(`${type}: Baum-Welch recovers the transitions, means and covariances of synthetic data`, async () => {
      const lengths = Array.from({ length: 40 }, (_, s) => 80 + ((s * 37) % 41));
      const { rows } = gaussianData(truths[type], lengths, 31);
      const x = gg.tensor(rows);
      const model = await new GaussianHMM({ nComponents: 3, covarianceType: type, nIter: 100, tol: 1e-3, seed: 1 }).fit(x, lengths);
      const order = matchStates(model.means, gaussianTruth.means);
      const transError = transitionError(model.transmat, gaussianTruth.transmat, order);
      const meanError = Math.max(...order.map((f, t) => Math.max(...gaussianTruth.means[t].map((v, i) => Math.abs(v - model.means[f][i])))));
      const covarError = type === 'tied'
        ? Math.max(...(model.covars as number[][]).flat().map((v, e) => Math.abs(v - tiedCovariance.flat()[e])))
        : Math.max(...order.map((f, t) => Math.abs((model.covars as number[])[f] - variances[t])));
      console.log(`hmm recovery gaussian ${type}: transmat ${transError.toFixed(4)}, means ${meanError.toFixed(4)}, covars ${covarError.toFixed(4)}, ${model.monitor.iter} iterations`);
      expect(model.monitor.converged).toBe(true);
      expect(transError).toBeLessThan(0.05);
      expect(meanError).toBeLessThan(0.15);
      expect(covarError).toBeLessThan(0.1);
      const history = model.monitor.history;
      for (let i = 1; i < history.length; i++) expect(history[i]).toBeGreaterThan(history[i - 1] - 1e-5 * Math.abs(history[i - 1]));
      x.dispose();
    });

    it(`${type}: samples have each state's covariance; covars round-trip through setParameters; bic counts the covariance`, async () => {
      const model = new GaussianHMM({ nComponents: 3, covarianceType: type, seed: 13, ...truths[type] });
      const { samples, states } = model.sample(2500, { nSequences: 12 });
      const path = Array.from(await states.data());
      const rows = (await samples.toArray()) as number[][];
      samples.dispose();
      states.dispose();
      for (let k = 0; k < 3; k++) {
        const mine = rows.filter((_, n) => path[n] === k);
        const mean = [0, 1, 2].map((i) => mine.reduce((s, r) => s + r[i], 0) / mine.length);
        const cov = [0, 1, 2].map((i) => [0, 1, 2].map((j) => mine.reduce((s, r) => s + (r[i] - mean[i]) * (r[j] - mean[j]), 0) / mine.length));
        expect(Math.max(...mean.map((m, i) => Math.abs(m - gaussianTruth.means[k][i])))).toBeLessThan(0.05);
        expect(Math.max(...cov.flat().map((c, e) => Math.abs(c - stateCovariance(type, k).flat()[e])))).toBeLessThan(0.06);
      }

      // What a checkpoint holds (startprob, transmat, means, covars) rebuilds the same model.
      const lengths = [30, 17];
      const x = gg.tensor(gaussianData(truths[type], lengths, 32).rows);
      const copy = new GaussianHMM({ nComponents: 3, covarianceType: type, startprob: model.startprob, transmat: model.transmat, means: model.means, covars: model.covars });
      expect(copy.covars).toEqual(truths[type].covars);
      const score = await model.score(x, lengths);
      expect(await copy.score(x, lengths)).toBe(score);
      const covarianceParameters = type === 'tied' ? 6 : 3;
      expect(model.freeParameters()).toBe(2 + 6 + 9 + covarianceParameters);
      expect(await model.bic(x, lengths)).toBeCloseTo(-2 * score + (17 + covarianceParameters) * Math.log(47), 6);
      x.dispose();
    });
  }

  it('rejects covariances of the wrong shape for the type', () => {
    const means = [[0, 0], [1, 1]];
    expect(() => new GaussianHMM({ nComponents: 2, covarianceType: 'spherical', means, covars: [1, -2] })).toThrow(
      'GaussianHMM.setParameters: spherical covars must be 2 positive finite variances, got [1,-2]',
    );
    expect(() => new GaussianHMM({ nComponents: 2, covarianceType: 'spherical', means, covars: [[1, 1], [1, 1]] })).toThrow(/spherical covars must be 2 positive finite variances/);
    expect(() => new GaussianHMM({ nComponents: 2, covarianceType: 'tied', means, covars: [[1, 0.5], [0.2, 1]] })).toThrow('GaussianHMM.setParameters: tied covars must be symmetric');
    expect(() => new GaussianHMM({ nComponents: 2, covarianceType: 'tied', means, covars: [[1, 2], [2, 1]] })).toThrow('GaussianHMM.setParameters: tied covars must be positive definite');
    expect(() => new GaussianHMM({ nComponents: 2, covarianceType: 'tied', means, covars: [[[1, 0], [0, 1]], [[1, 0], [0, 1]]] })).toThrow(/tied covars must be 2 rows of 2 finite numbers/);
    expect(() => new GaussianHMM({ nComponents: 2, covarianceType: 'spherical', covars: [1, 2] })).toThrow(/spherical covars shaped \[2\] to match/);
  });
});

describe('decode algorithms and fitPredict (hmmlearn)', () => {
  /** Each frame's most probable state, Σ log of its probability, and where the top two are within 1e-4 (a tie f32 may break either way). */
  function posteriorDecoding(posteriors: number[][]): { states: number[]; logProb: number; near: boolean[] } {
    const states = posteriors.map((g) => g.indexOf(Math.max(...g)));
    const near = posteriors.map((g, n) => g.some((v, k) => k !== states[n] && g[states[n]] - v < 1e-4));
    return { states, logProb: posteriors.reduce((s, g, n) => s + Math.log(g[states[n]]), 0), near };
  }

  it("'map' gives the posterior argmax and Σ log max posterior; 'viterbi' is the default; predict follows algorithm", async () => {
    const lengths = [40, 1, 23, 9];
    const { rows } = gaussianData(gaussianTruth, lengths, 21);
    const x = gg.tensor(rows);
    // Wide emissions, so that states are uncertain enough for the two decoders to differ.
    const start = { ...gaussianStart('full'), covars: (gaussianStart('full').covars as number[][][]).map((m) => m.map((r) => r.map((v) => 2.5 * v))) };
    const model = new GaussianHMM({ nComponents: 3, covarianceType: 'full', ...start });
    const logB = gaussianLogB(rows, start, 'full');
    const expected = posteriorDecoding(forwardBackward(logB, start, lengths).posteriors);
    const best = viterbi(logB, start, lengths);

    const map = await model.decode(x, lengths, { algorithm: 'map' });
    const states = Array.from(await map.states.data());
    states.forEach((state, n) => expected.near[n] || expect(state, `frame ${n}`).toBe(expected.states[n]));
    console.log(`hmm decode map: log-probability ${map.logProb.toFixed(6)} vs float64 ${expected.logProb.toFixed(6)}`);
    expect(Math.abs(map.logProb - expected.logProb)).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected.logProb)));
    expect(states).not.toEqual(best.states);

    const byDefault = await model.decode(x, lengths);
    const named = await model.decode(x, lengths, { algorithm: 'viterbi' });
    expect(Array.from(await byDefault.states.data())).toEqual(best.states);
    expect(Array.from(await named.states.data())).toEqual(best.states);
    expect(named.logProb).toBe(byDefault.logProb);

    const mapModel = new GaussianHMM({ nComponents: 3, covarianceType: 'full', algorithm: 'map', ...start });
    expect(mapModel.algorithm).toBe('map');
    const predicted = mapModel.predict(x, lengths);
    expect(Array.from(await predicted.data())).toEqual(states);
    const overridden = await mapModel.decode(x, lengths, { algorithm: 'viterbi' });
    expect(Array.from(await overridden.states.data())).toEqual(best.states);

    // One sequence: the options may come second.
    const single = gg.tensor(rows.slice(0, 40));
    const alone = await model.decode(single, { algorithm: 'map' });
    const aloneExpected = posteriorDecoding(forwardBackward(logB.slice(0, 40), start, [40]).posteriors);
    expect(Math.abs(alone.logProb - aloneExpected.logProb)).toBeLessThan(1e-4 * Math.max(1, Math.abs(aloneExpected.logProb)));
    for (const t of [map.states, byDefault.states, named.states, predicted, overridden.states, alone.states, single, x]) t.dispose();
  });

  it("CategoricalHMM 'map' matches the float64 posteriors", async () => {
    const lengths = [60, 25];
    const { symbols } = categoricalData(categoricalTruth, lengths, 22);
    const x = gg.tensor(Int32Array.from(symbols));
    const model = new CategoricalHMM({ nComponents: 2, ...categoricalStart });
    const expected = posteriorDecoding(forwardBackward(categoricalLogB(symbols, categoricalStart), categoricalStart, lengths).posteriors);
    const { states, logProb } = await model.decode(x, lengths, { algorithm: 'map' });
    Array.from(await states.data()).forEach((state, n) => expected.near[n] || expect(state, `frame ${n}`).toBe(expected.states[n]));
    expect(Math.abs(logProb - expected.logProb)).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected.logProb)));
    states.dispose();
    x.dispose();
  });

  it('fitPredict fits, then predicts: the same states as fit() then predict()', async () => {
    const lengths = [50, 35, 60];
    const { rows } = gaussianData(gaussianTruth, lengths, 23);
    const x = gg.tensor(rows);
    for (const type of ['diag', 'tied'] as const) {
      const options = { nComponents: 3, covarianceType: type, nIter: 8, seed: 5 };
      const fitted = new GaussianHMM(options);
      const labels = await fitted.fitPredict(x, lengths);
      expect(fitted.monitor.iter).toBeGreaterThan(0);
      const separate = (await new GaussianHMM(options).fit(x, lengths)).predict(x, lengths);
      expect(Array.from(await labels.data())).toEqual(Array.from(await separate.data()));
      labels.dispose();
      separate.dispose();
    }
    const { symbols } = categoricalData(categoricalTruth, lengths, 24);
    const y = gg.tensor(Int32Array.from(symbols));
    const categorical = await new CategoricalHMM({ nComponents: 2, nIter: 5, seed: 2, algorithm: 'map' }).fitPredict(y, lengths);
    expect(categorical.shape).toEqual([145]);
    categorical.dispose();
    x.dispose();
    y.dispose();
  });

  it('rejects an unknown algorithm and returns GPU memory to its baseline', async () => {
    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const lengths = [20, 14];
    const x = gg.tensor(gaussianData(gaussianTruth, lengths, 25).rows);
    const model = new GaussianHMM({ nComponents: 3, ...gaussianStart('diag') });
    await expect(model.decode(x, lengths, { algorithm: 'beam' as 'map' })).rejects.toThrow(`GaussianHMM.decode: algorithm must be 'viterbi' or 'map', got "beam"`);
    await expect(model.decode(x, lengths, null as unknown as { algorithm: 'map' })).rejects.toThrow('GaussianHMM.decode: options must be an object');
    expect(() => new GaussianHMM({ algorithm: 'forward' as 'map' })).toThrow(`GaussianHMM: algorithm must be 'viterbi' or 'map', got "forward"`);
    for (const type of ['spherical', 'tied'] as const) {
      const fitted = new GaussianHMM({ nComponents: 3, covarianceType: type, nIter: 3, seed: 2 });
      const labels = await fitted.fitPredict(x, lengths);
      const { states } = await fitted.decode(x, lengths, { algorithm: 'map' });
      const { posteriors } = await fitted.scoreSamples(x, lengths);
      const drawn = fitted.sample(10, { nSequences: 2 });
      for (const t of [labels, states, posteriors, drawn.samples, drawn.states]) t.dispose();
    }
    x.dispose();
    expect(rt.memory().liveBuffers).toBe(baseline);
  });
});
