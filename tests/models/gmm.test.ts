// GaussianMixture on the GPU: log-likelihoods and one EM step against the float64 reference
// (tests/models/gmm-reference.ts) for every covariance type, in 3 and 6 features; recovery of known means and weights; BIC
// choosing the true component count; sample moments; anomaly flags; empty and collapsing components;
// scikit-learn's precisions_ and precisions_cholesky_ against float64, fitPredict against fit then
// predict, and its four init_params names (the point-mass starts checked against float64 EM); clear
// errors for bad input; and GPU memory returning to its baseline.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { GaussianMixture, type GaussianMixtureCovarianceType as CovarianceType, type GaussianMixtureParameters } from '../../src/models/gmm/index.js';
import { componentCovariances, emStep, posterior, type RefParameters } from './gmm-reference.js';
import { cholesky } from '../helpers/gaussian-reference.js';

const covarianceTypes: CovarianceType[] = ['full', 'diag', 'tied', 'spherical'];

interface Component {
  weight: number;
  mean: number[];
  /** A lower-triangular factor: samples are mean + factor z. */
  factor: number[][];
}

/** n rows drawn from a mixture on the host (seeded), rounded to f32. */
function mixtureData(components: Component[], n: number, seed: number): { rows: number[][] } {
  const random = new gg.data.SeededRandom(seed);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    let u = random.random();
    let k = 0;
    while (k < components.length - 1 && u >= components[k].weight) u -= components[k++].weight;
    const { mean, factor } = components[k];
    const z = mean.map(() => random.normal());
    rows.push(mean.map((m, r) => Math.fround(m + factor[r].reduce((s, f, c) => s + f * z[c], 0))));
  }
  return { rows };
}

const threeClusters: Component[] = [
  { weight: 0.5, mean: [0, 0], factor: [[1, 0], [0.5, 0.8]] },
  { weight: 0.3, mean: [6, 5], factor: [[0.7, 0], [0, 0.7]] },
  { weight: 0.2, mean: [-5, 6], factor: [[1.2, 0], [-0.4, 0.5]] },
];

/** Largest entrywise difference of a and b over the largest magnitude of b (or 1e-3 for tiny b). */
function relativeError(a: number[], b: number[]): number {
  const scale = Math.max(1e-3, ...b.map(Math.abs));
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / scale;
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flat(3) : [v]) as number[];

/** The permutation of the fitted components that best matches the true means. */
function matchComponents(fitted: number[][], truth: number[][]): number[] {
  const permutations = (items: number[]): number[][] =>
    items.length <= 1 ? [items] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
  const cost = (perm: number[]) => perm.reduce((s, f, t) => s + truth[t].reduce((c, v, i) => c + (v - fitted[f][i]) ** 2, 0), 0);
  return permutations([...truth.keys()]).reduce((best, perm) => (cost(perm) < cost(best) ? perm : best));
}

/** Parameters near (not at) the generating mixture: means shifted, covariances of a perturbed factor, in each type's shape. */
function startingParameters(type: CovarianceType, components: Component[]): GaussianMixtureParameters {
  const full = components.map(({ factor }) => {
    const l = factor.map((row, i) => row.map((v, j) => (j <= i ? v * (1 + 0.1 * Math.sin(i + 2 * j)) : 0)));
    return l.map((ri) => l.map((rj) => ri.reduce((s, v, c) => s + v * rj[c], 0)));
  });
  const diagonals = full.map((m) => m.map((r, i) => r[i]));
  const covariances = { full, tied: full[0], diag: diagonals, spherical: diagonals.map((d) => d.reduce((s, v) => s + v, 0) / d.length) }[type];
  const means = components.map(({ mean }) => mean.map((v, i) => v + 0.25 * Math.cos(3 * i + v)));
  return { weights: components.map((c, k) => c.weight + 0.05 * (k % 2 ? 1 : -1)), means, covariances };
}

/** A lower-triangular factor with a given diagonal scale and small off-diagonal terms. */
function factorOf(d: number, scale: number, seed: number): number[][] {
  return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (j > i ? 0 : j === i ? scale * (1 + 0.2 * Math.sin(seed + i)) : 0.2 * Math.cos(seed + 3 * i + j))));
}

// Offset from the origin (f32 must keep its digits), and in 3 and in 6 features (6 spans two vec4
// blocks of the kernels' padded layout, so off-diagonal blocks are exercised).
const referenceSets: [string, Component[]][] = [
  ['3 features', [
    { weight: 0.35, mean: [20, 30, -10], factor: factorOf(3, 1, 1) },
    { weight: 0.4, mean: [23, 32, -8], factor: factorOf(3, 0.8, 2) },
    { weight: 0.25, mean: [18, 34, -12], factor: factorOf(3, 1.2, 3) },
  ]],
  ['6 features', [
    { weight: 0.55, mean: [5, -3, 8, 1, 0, 12], factor: factorOf(6, 1, 4) },
    { weight: 0.45, mean: [7, -1, 6, 2, 2, 10], factor: factorOf(6, 0.7, 5) },
  ]],
];

describe('GaussianMixture against the float64 reference', () => {
  for (const [name, components] of referenceSets) {
    const { rows } = mixtureData(components, 240, 11);
    for (const type of covarianceTypes) {
      it(`${type}, ${name}: scoreSamples, predictProba and one EM step match to 1e-4`, async () => {
        const x = gg.tensor(rows);
        const start = startingParameters(type, components);
        const model = new GaussianMixture({ nComponents: components.length, covarianceType: type, warmStart: true, maxIter: 1 }).setParameters(start);
        const reference = posterior(rows, type, model.getParameters() as RefParameters);
        const scores = model.scoreSamples(x);
        const proba = model.predictProba(x);
        expect(relativeError(Array.from(await scores.data()), reference.logLikelihood)).toBeLessThan(1e-4);
        expect(relativeError(Array.from(await proba.data()), reference.resp.flat())).toBeLessThan(1e-4);
        scores.dispose();
        proba.dispose();

        const { lowerBound, next } = emStep(rows, type, model.getParameters() as RefParameters, 1e-6);
        await model.fit(x);
        expect(Math.abs(model.lowerBound - lowerBound) / Math.abs(lowerBound)).toBeLessThan(1e-4);
        expect(relativeError(model.weights, next.weights)).toBeLessThan(1e-4);
        expect(relativeError(model.means.flat(), next.means.flat())).toBeLessThan(1e-4);
        expect(relativeError(flat(model.covariances), flat(next.covariances))).toBeLessThan(1e-4);
        expect(model.nIter).toBe(1);
        x.dispose();
      });
    }
  }
});

describe('GaussianMixture fitting', () => {
  const { rows } = mixtureData(threeClusters, 1500, 3);
  const truth = threeClusters.map((c) => c.mean);

  it('recovers the means and weights for every covariance type and initialisation', async () => {
    const x = gg.tensor(rows);
    const cases: [CovarianceType, 'kmeans' | 'kmeans++' | 'random' | number[][]][] = [
      ['full', 'kmeans'], ['full', 'kmeans++'], ['full', [[1, 1], [5, 4], [-4, 5]]],
      ['tied', 'kmeans'], ['diag', 'kmeans'], ['spherical', 'kmeans++'],
    ];
    for (const [type, init] of cases) {
      const model = await new GaussianMixture({ nComponents: 3, covarianceType: type, init, seed: 5 }).fit(x);
      const order = matchComponents(model.means, truth);
      const meanError = Math.max(...order.map((f, t) => Math.max(...truth[t].map((v, i) => Math.abs(v - model.means[f][i])))));
      const weightError = Math.max(...order.map((f, t) => Math.abs(threeClusters[t].weight - model.weights[f])));
      console.log(`gmm recovery ${type}/${Array.isArray(init) ? 'means' : init}: mean error ${meanError.toFixed(4)}, weight error ${weightError.toFixed(4)}, ${model.nIter} iterations`);
      expect(meanError).toBeLessThan(0.15);
      expect(weightError).toBeLessThan(0.03);
      expect(model.converged).toBe(true);
    }
    x.dispose();
  });

  it('recovers the full covariances and keeps the lower bound non-decreasing', async () => {
    const x = gg.tensor(rows);
    const model = await new GaussianMixture({ nComponents: 3, covarianceType: 'full', seed: 2, tol: 1e-6 }).fit(x);
    const order = matchComponents(model.means, truth);
    const covariances = model.covariances as number[][][];
    order.forEach((f, t) => {
      const l = threeClusters[t].factor;
      const expected = l.map((ri) => l.map((rj) => ri.reduce((s, v, c) => s + v * rj[c], 0)));
      expect(relativeError(covariances[f].flat(), expected.flat())).toBeLessThan(0.15);
    });
    const history = model.lowerBoundHistory;
    expect(history.length).toBe(model.nIter);
    for (let i = 1; i < history.length; i++) expect(history[i]).toBeGreaterThanOrEqual(history[i - 1] - 1e-5 * Math.abs(history[i - 1]));
    expect(model.lowerBound).toBe(history[history.length - 1]);
    x.dispose();
  });

  it('picks 3 components by BIC on a clear 3-cluster set', async () => {
    const x = gg.tensor(rows.slice(0, 600));
    const bics: number[] = [];
    for (let k = 1; k <= 5; k++) bics.push(await (await new GaussianMixture({ nComponents: k, seed: 1 }).fit(x)).bic(x));
    console.log(`gmm BIC for K = 1..5: ${bics.map((b) => b.toFixed(1)).join(', ')}`);
    expect(bics.indexOf(Math.min(...bics)) + 1).toBe(3);
    const model = await new GaussianMixture({ nComponents: 3, seed: 1 }).fit(x);
    const score = await model.score(x);
    expect(await model.aic(x)).toBeCloseTo(-2 * score * 600 + 2 * model.freeParameters(), 3);
    expect(model.freeParameters()).toBe(3 * 3 + 3 * 2 + 2);
    x.dispose();
  });

  it('keeps the best of nInit starts and is deterministic for a seed', async () => {
    const x = gg.tensor(rows.slice(0, 400));
    const options = { nComponents: 4, init: 'random' as const, seed: 9, tol: 1e-4 };
    const single = await new GaussianMixture(options).fit(x);
    const again = await new GaussianMixture(options).fit(x);
    const best = await new GaussianMixture({ ...options, nInit: 3 }).fit(x);
    expect(again.means).toEqual(single.means);
    expect(best.lowerBound).toBeGreaterThanOrEqual(single.lowerBound);
    x.dispose();
  });

  it('predict, predictProba, scoreSamples and score agree', async () => {
    const x = gg.tensor(rows.slice(0, 300));
    const model = await new GaussianMixture({ nComponents: 3, covarianceType: 'diag', seed: 4 }).fit(x);
    const outputs = [model.predict(x), model.predictProba(x), model.scoreSamples(x)];
    const labels = Array.from(await outputs[0].data());
    const proba = (await outputs[1].toArray()) as number[][];
    const scores = Array.from(await outputs[2].data());
    for (const t of outputs) t.dispose();
    proba.forEach((row, n) => {
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      expect(labels[n]).toBe(row.indexOf(Math.max(...row)));
    });
    expect(await model.score(x)).toBeCloseTo(scores.reduce((s, v) => s + v, 0) / scores.length, 4);
    x.dispose();
  });
});

describe('GaussianMixture convergence test precision', () => {
  it('a tol of 1e-6 at scores of -30 stops where float64 EM does, with lower-bound changes that track it', async () => {
    // Two overlapping clusters in 12 features (mean log-likelihood -30.8, where one f32 step is
    // 1.9e-6): EM's lower bound creeps up by ~1e-6 per iteration near the end. A lower bound averaged
    // in f32 moved in whole f32 steps (-3.8e-6, 1.9e-6, 0, ...) and stopped only when two were
    // bit-identical: 44 iterations here instead of float64's 38.
    const D = 12;
    const random = new gg.data.SeededRandom(9);
    const centres = [0, 1].map((c) => Array.from({ length: D }, (_, i) => 10 + i + c * 6 * (i % 2 ? 1 : -1) / Math.sqrt(D) * 2));
    const rows = Array.from({ length: 4000 }, () => {
      const centre = centres[random.random() < 0.6 ? 0 : 1];
      return centre.map((m) => Math.fround(m + 3 * random.normal()));
    });
    const eye = Array.from({ length: D }, (_, i) => Array.from({ length: D }, (_, j) => (i === j ? 9 : 0)));
    const start: GaussianMixtureParameters = { weights: [0.5, 0.5], means: [rows[0], rows[1]], covariances: [eye, eye] };
    const tol = 1e-6;
    const reference: number[] = [];
    let params = start as RefParameters;
    for (let iteration = 1; iteration <= 100; iteration++) {
      const { lowerBound, next } = emStep(rows, 'full', params, 1e-6);
      reference.push(lowerBound);
      params = next;
      if (iteration > 1 && Math.abs(lowerBound - reference[iteration - 2]) < tol) break;
    }
    const x = gg.tensor(rows);
    const model = await new GaussianMixture({ nComponents: 2, covarianceType: 'full', warmStart: true, maxIter: 100, tol }).setParameters(start).fit(x);
    x.dispose();
    console.log(`gmm convergence at tol 1e-6: ${model.nIter} iterations (float64 EM: ${reference.length})`);
    expect(model.converged).toBe(true);
    expect(Math.abs(model.nIter - reference.length)).toBeLessThanOrEqual(2);
    const history = model.lowerBoundHistory;
    for (let i = 1; i < Math.min(history.length, reference.length); i++) {
      const change = history[i] - history[i - 1];
      const expected = reference[i] - reference[i - 1];
      expect(Math.abs(change - expected), `lower-bound change at iteration ${i + 1}`).toBeLessThan(5e-7 + 0.01 * Math.abs(expected));
    }
  });
});

describe('GaussianMixture sampling and anomalies', () => {
  for (const type of covarianceTypes) {
    it(`${type}: samples reproduce the weights, means and covariances`, async () => {
      const params: GaussianMixtureParameters = {
        weights: [0.3, 0.7],
        means: [[-2, 1], [3, 0.5]],
        covariances: {
          full: [[[1, 0.6], [0.6, 0.9]], [[0.5, -0.2], [-0.2, 2]]],
          tied: [[1, 0.6], [0.6, 0.9]],
          diag: [[1, 0.25], [0.5, 2]],
          spherical: [0.7, 1.6],
        }[type],
      };
      const model = new GaussianMixture({ nComponents: 2, covarianceType: type, seed: 7 }).setParameters(params);
      const n = 12000;
      const { samples, labels } = model.sample(n);
      const values = await samples.data();
      const components = await labels.data();
      samples.dispose();
      labels.dispose();
      const expected = componentCovariances(type, params as RefParameters);
      for (let k = 0; k < 2; k++) {
        const members: number[][] = [];
        for (let i = 0; i < n; i++) if (components[i] === k) members.push([values[2 * i], values[2 * i + 1]]);
        expect(Math.abs(members.length / n - params.weights[k])).toBeLessThan(0.02);
        const mu = [0, 1].map((d) => members.reduce((s, r) => s + r[d], 0) / members.length);
        expect(relativeError(mu, params.means[k])).toBeLessThan(0.05);
        const cov = [0, 1].map((i) => [0, 1].map((j) => members.reduce((s, r) => s + (r[i] - mu[i]) * (r[j] - mu[j]), 0) / members.length));
        expect(relativeError(cov.flat(), expected[k].flat())).toBeLessThan(0.08);
      }
    });
  }

  it('flags points below a quantile of the training scores', async () => {
    const { rows } = mixtureData(threeClusters, 600, 21);
    const x = gg.tensor(rows);
    const model = await new GaussianMixture({ nComponents: 3, seed: 1 }).fit(x);
    const threshold = await model.fitAnomalyThreshold(x, 0.05);
    expect(model.anomalyThreshold).toBe(threshold);
    const flags = model.isAnomaly(x);
    const trainingFlags = Array.from(await flags.data());
    const fraction = trainingFlags.reduce((s, v) => s + v, 0) / rows.length;
    expect(fraction).toBeGreaterThan(0.04);
    expect(fraction).toBeLessThanOrEqual(0.05);
    const probe = gg.tensor([[30, 30], [-40, 0], [0, 0], [6, 5], [-5, 6]]);
    const probeFlags = model.isAnomaly(probe);
    expect(Array.from(await probeFlags.data())).toEqual([1, 1, 0, 0, 0]);
    for (const t of [x, probe, flags, probeFlags]) t.dispose();
  });
});

describe('GaussianMixture robustness', () => {
  it('handles an empty component and components collapsing onto repeated points without NaN', async () => {
    const { rows } = mixtureData(threeClusters.slice(0, 2), 200, 8);
    const x = gg.tensor(rows);
    const faraway = await new GaussianMixture({ nComponents: 3, init: [[0, 0], [6, 5], [1000, 1000]] }).fit(x);
    expect(faraway.weights[2]).toBeLessThan(1e-6);
    expect(faraway.means[2]).toEqual([1000, 1000]);
    const repeated = gg.tensor(Array.from({ length: 60 }, (_, i) => (i % 2 ? [1, 2] : [-3, 0.5])));
    for (const [type, regCovar] of covarianceTypes.flatMap((t) => [[t, 1e-6], [t, 0]] as const)) {
      const collapsed = await new GaussianMixture({ nComponents: 3, covarianceType: type, init: 'kmeans++', seed: 3, regCovar }).fit(repeated);
      const everything = [...collapsed.weights, ...collapsed.means.flat(), ...flat(collapsed.covariances), collapsed.lowerBound];
      expect(everything.every(Number.isFinite)).toBe(true);
      const proba = collapsed.predictProba(repeated);
      expect(Array.from(await proba.data()).every(Number.isFinite)).toBe(true);
      proba.dispose();
    }
    for (const t of [x, repeated]) t.dispose();
  });

  it('names the class, the shapes and the dtype in errors for bad input', async () => {
    const x = gg.tensor([[0, 1], [1, 0], [2, 2], [3, 1]]);
    const model = await new GaussianMixture({ nComponents: 2, seed: 1 }).fit(x);
    const wide = gg.tensor([[0, 1, 2]]);
    expect(() => model.predict(wide)).toThrow('GaussianMixture.predict: x has 3 features but the model has 2 (x: [1, 3] f32)');
    await expect(new GaussianMixture({ nComponents: 5 }).fit(x)).rejects.toThrow('nComponents (5) must not exceed the number of samples (4) (x: [4, 2] f32)');
    const withNaN = gg.tensor([[0, 1], [NaN, 2], [1, 1]]);
    await expect(new GaussianMixture({ nComponents: 2 }).fit(withNaN)).rejects.toThrow('GaussianMixture.fit: x contains NaN or Inf (x: [3, 2] f32)');
    const integers = gg.tensor([[1, 2], [3, 4]], { dtype: 'i32' });
    await expect(new GaussianMixture().fit(integers)).rejects.toThrow('GaussianMixture.fit: x must be f32, got i32 (x: [2, 2] i32)');
    const vector = gg.tensor([1, 2, 3]);
    await expect(new GaussianMixture().fit(vector)).rejects.toThrow('x must be [N, D] with N, D >= 1, got [3]');
    await expect(new GaussianMixture({ nComponents: 2, init: [[0, 0, 0], [1, 1, 1]] }).fit(x)).rejects.toThrow('init means must be 2 rows of 2 finite numbers');
    expect(() => new GaussianMixture().predict(x)).toThrow('GaussianMixture.predict: the model is not fitted');
    expect(() => new GaussianMixture({ nComponents: 0 })).toThrow('nComponents must be an integer >= 1, got 0');
    expect(() => new GaussianMixture({ covarianceType: 'banded' as CovarianceType })).toThrow("covarianceType must be one of full, diag, tied, spherical, got 'banded'");
    expect(() => new GaussianMixture({ regCovar: -1 })).toThrow('regCovar must be a finite number >= 0, got -1');
    expect(() => new GaussianMixture({ nComponents: 2 }).setParameters({ weights: [0.5, 0.5], means: [[0], [1]], covariances: [[[1]], [[-1]]] })).toThrow(
      'not positive definite',
    );
    expect(() => model.isAnomaly(x)).toThrow('call fitAnomalyThreshold');
    for (const t of [x, wide, withNaN, integers, vector]) t.dispose();
  });

  it('checks the values of x in every method: a NaN or Inf row is an error, not a score of +Infinity', async () => {
    const rt = gg.runtime();
    const x = gg.tensor([[0, 1], [1, 0], [2, 2], [3, 1]]);
    const model = await new GaussianMixture({ nComponents: 2, seed: 1 }).fit(x);
    await model.fitAnomalyThreshold(x);
    const before = rt.memory().liveBuffers;
    for (const rows of [[[NaN, 0]], [[0, 1], [2, -Infinity]]]) {
      const bad = gg.tensor(rows);
      const detail = `x contains NaN or Inf (x: [${rows.length}, 2] f32)`;
      for (const op of ['score', 'bic', 'aic', 'fitAnomalyThreshold'] as const) {
        await expect(model[op](bad)).rejects.toThrow(`GaussianMixture.${op}: ${detail}`);
      }
      // The methods that return tensors read nothing back: the next read reports it.
      for (const op of ['predict', 'predictProba', 'scoreSamples', 'isAnomaly'] as const) {
        const out = model[op](bad);
        await expect(out.data()).rejects.toThrow(`GaussianMixture.${op}: ${detail}`);
        out.dispose();
      }
      bad.dispose();
    }
    expect(rt.memory().liveBuffers).toBe(before);
    // Good input afterwards is unaffected.
    expect(Number.isFinite(await model.score(x))).toBe(true);
    expect(() => model.sample(0)).toThrow('GaussianMixture.sample: n must be an integer >= 1, got 0');
    expect(() => model.sample(2, { generator: 7 as unknown as gg.Generator })).toThrow('GaussianMixture.sample: generator must be a Generator, got 7');
    x.dispose();
  });

  it('returns GPU memory to its baseline', async () => {
    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const x = gg.tensor(mixtureData(threeClusters, 200, 5).rows);
    for (const type of covarianceTypes) {
      const model = await new GaussianMixture({ nComponents: 3, covarianceType: type, init: 'kmeans', seed: 1 }).fit(x);
      await model.fitAnomalyThreshold(x);
      const outputs = [model.predict(x), model.predictProba(x), model.scoreSamples(x), model.isAnomaly(x)];
      const { samples, labels } = model.sample(50);
      await model.bic(x);
      for (const t of [...outputs, samples, labels]) t.dispose();
    }
    x.dispose();
    expect(rt.memory().liveBuffers).toBe(baseline);
  });
});

describe('GaussianMixture: scikit-learn names and attributes', () => {
  /** scikit-learn's precisions_cholesky_ of one covariance, in float64: U = L⁻ᵀ for its lower Cholesky factor L. */
  function precisionFactor(covariance: number[][]): number[][] {
    const l = cholesky(covariance);
    const d = l.length;
    const inverse = l.map(() => new Array<number>(d).fill(0));
    for (let j = 0; j < d; j++) {
      for (let i = j; i < d; i++) {
        let v = i === j ? 1 : 0;
        for (let m = j; m < i; m++) v -= l[i][m] * inverse[m][j];
        inverse[i][j] = v / l[i][i];
      }
    }
    return inverse.map((_, i) => inverse.map((row) => row[i]));
  }
  const times = (a: number[][], b: number[][]) => a.map((row) => b[0].map((_, j) => row.reduce((s, v, m) => s + v * b[m][j], 0)));
  const transpose = (a: number[][]) => a[0].map((_, j) => a.map((row) => row[j]));

  for (const type of covarianceTypes) {
    it(`${type}: precisions and precisionsCholesky follow scikit-learn's conventions`, async () => {
      const components = referenceSets[0][1];
      const start = startingParameters(type, components);
      const model = new GaussianMixture({ nComponents: 3, covarianceType: type }).setParameters(start);
      const covariances = start.covariances;
      let expectedCholesky: unknown;
      let expectedPrecisions: unknown;
      if (type === 'full' || type === 'tied') {
        const matrices = type === 'full' ? (covariances as number[][][]) : [covariances as number[][]];
        const factors = matrices.map(precisionFactor);
        const precisions = factors.map((u) => times(u, transpose(u)));
        expectedCholesky = type === 'full' ? factors : factors[0];
        expectedPrecisions = type === 'full' ? precisions : precisions[0];
        // Upper triangular, and U Uᵀ inverts the covariance.
        for (const [m, u] of (type === 'full' ? (model.precisionsCholesky as number[][][]) : [model.precisionsCholesky as number[][]]).entries()) {
          u.forEach((row, i) => row.forEach((v, j) => j < i && expect(v).toBe(0)));
          const identity = times(times(u, transpose(u)), matrices[m]);
          identity.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(i === j ? 1 : 0, 10)));
        }
      } else {
        expectedCholesky = flat(covariances).map((v) => 1 / Math.sqrt(v));
        expectedPrecisions = flat(covariances).map((v) => 1 / v);
        if (type === 'diag') {
          expectedCholesky = rowsOf(expectedCholesky as number[], 3);
          expectedPrecisions = rowsOf(expectedPrecisions as number[], 3);
        }
      }
      expect(relativeError(flat(model.precisionsCholesky), flat(expectedCholesky))).toBeLessThan(1e-12);
      expect(relativeError(flat(model.precisions), flat(expectedPrecisions))).toBeLessThan(1e-12);
      // Shaped like the covariances.
      expect(JSON.stringify(shapeOf(model.precisions))).toBe(JSON.stringify(shapeOf(model.covariances)));
      expect(JSON.stringify(shapeOf(model.precisionsCholesky))).toBe(JSON.stringify(shapeOf(model.covariances)));
    });
  }

  it('fitPredict returns the labels of the fitted model, as fit then predict', async () => {
    const x = gg.tensor(mixtureData(threeClusters, 300, 12).rows);
    for (const type of ['full', 'spherical'] as const) {
      const options = { nComponents: 3, covarianceType: type, seed: 6 };
      const model = new GaussianMixture(options);
      const labels = await model.fitPredict(x);
      expect(labels.dtype).toBe('i32');
      const again = model.predict(x);
      const separate = (await new GaussianMixture(options).fit(x)).predict(x);
      const values = Array.from(await labels.data());
      expect(values).toEqual(Array.from(await again.data()));
      expect(values).toEqual(Array.from(await separate.data()));
      for (const t of [labels, again, separate]) t.dispose();
    }
    x.dispose();
  });

  it("initParams takes scikit-learn's four names, and each recovers the clusters", async () => {
    const x = gg.tensor(mixtureData(threeClusters, 1500, 3).rows);
    const truth = threeClusters.map((c) => c.mean);
    for (const initParams of ['kmeans', 'k-means++', 'random', 'random_from_data'] as const) {
      const model = await new GaussianMixture({ nComponents: 3, initParams, nInit: 2, seed: 5 }).fit(x);
      expect(model.init).toBe(initParams);
      const order = matchComponents(model.means, truth);
      const meanError = Math.max(...order.map((f, t) => Math.max(...truth[t].map((v, i) => Math.abs(v - model.means[f][i])))));
      const weightError = Math.max(...order.map((f, t) => Math.abs(threeClusters[t].weight - model.weights[f])));
      console.log(`gmm initParams ${initParams}: mean error ${meanError.toFixed(4)}, weight error ${weightError.toFixed(4)}, ${model.nIter} iterations`);
      expect(meanError).toBeLessThan(0.15);
      expect(weightError).toBeLessThan(0.03);
    }
    x.dispose();
  });

  it("'k-means++' and 'random_from_data' start from point masses at distinct samples (mean = the sample, covariance regCovar I)", async () => {
    const rows = mixtureData(threeClusters, 9, 14).rows;
    const x = gg.tensor(rows);
    const regCovar = 0.05;
    for (const type of ['full', 'diag'] as const) {
      for (const initParams of ['k-means++', 'random_from_data'] as const) {
        for (const seed of [1, 2, 3]) {
          const model = await new GaussianMixture({ nComponents: 2, covarianceType: type, initParams, regCovar, maxIter: 1, seed }).fit(x);
          // The start is a point mass at two distinct samples i, j: some pair must give this first
          // step (more than one may, where they split the samples alike and score alike).
          const matches: string[] = [];
          for (let i = 0; i < rows.length; i++) {
            for (let j = 0; j < rows.length; j++) {
              if (i === j) continue;
              const covariance = type === 'full' ? [[[regCovar, 0], [0, regCovar]], [[regCovar, 0], [0, regCovar]]] : [[regCovar, regCovar], [regCovar, regCovar]];
              const { lowerBound, next } = emStep(rows, type, { weights: [0.5, 0.5], means: [rows[i], rows[j]], covariances: covariance }, regCovar);
              const close = Math.abs(model.lowerBound - lowerBound) < 1e-4 * Math.abs(lowerBound) &&
                relativeError(model.means.flat(), next.means.flat()) < 1e-4 &&
                relativeError(model.weights, next.weights) < 1e-4 &&
                relativeError(flat(model.covariances), flat(next.covariances)) < 1e-4;
              if (close) matches.push(`${i},${j}`);
            }
          }
          expect(matches.length, `${type} ${initParams} seed ${seed}`).toBeGreaterThan(0);
        }
      }
    }
    x.dispose();
  });

  it('rejects unknown init names and giving both init and initParams; returns GPU memory to its baseline', async () => {
    expect(() => new GaussianMixture({ initParams: 'kmeans++' as 'k-means++' })).toThrow(
      "GaussianMixture.constructor: initParams must be one of 'kmeans', 'k-means++', 'random', 'random_from_data', got kmeans++",
    );
    expect(() => new GaussianMixture({ initParams: 'random', init: 'kmeans' })).toThrow('GaussianMixture.constructor: give initParams or init, not both');
    expect(() => new GaussianMixture({ init: 'k-means' as 'kmeans' })).toThrow(/init must be one of 'kmeans', 'k-means\+\+', 'random', 'random_from_data', 'kmeans\+\+' or an array/);
    expect(() => new GaussianMixture().precisions).toThrow('GaussianMixture.precisions: the model is not fitted');
    expect(() => new GaussianMixture().precisionsCholesky).toThrow('GaussianMixture.precisionsCholesky: the model is not fitted');
    const withNaN = gg.tensor([[0, 1], [NaN, 2], [1, 1]]);
    await expect(new GaussianMixture({ nComponents: 2 }).fitPredict(withNaN)).rejects.toThrow('GaussianMixture.fit: x contains NaN or Inf (x: [3, 2] f32)');
    withNaN.dispose();

    const rt = gg.runtime();
    const baseline = rt.memory().liveBuffers;
    const x = gg.tensor(mixtureData(threeClusters, 200, 5).rows);
    for (const initParams of ['k-means++', 'random_from_data'] as const) {
      for (const type of covarianceTypes) {
        const model = new GaussianMixture({ nComponents: 3, covarianceType: type, initParams, maxIter: 5, seed: 1 });
        const labels = await model.fitPredict(x);
        expect([...flat(model.precisions), ...flat(model.precisionsCholesky)].every(Number.isFinite)).toBe(true);
        labels.dispose();
      }
    }
    x.dispose();
    expect(rt.memory().liveBuffers).toBe(baseline);
  });
});

/** Consecutive runs of `width` values as rows. */
function rowsOf(values: number[], width: number): number[][] {
  return Array.from({ length: values.length / width }, (_, i) => values.slice(i * width, (i + 1) * width));
}

/** The nested array's shape, e.g. [3, 2, 2]. */
function shapeOf(value: unknown): number[] {
  return Array.isArray(value) ? [value.length, ...shapeOf(value[0])] : [];
}
