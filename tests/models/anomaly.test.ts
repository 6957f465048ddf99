// Anomaly detection (src/models/anomaly/): the float64 symmetric eigendecomposition, PCA against
// float64 restatements (components, projections, reconstructions, the probabilistic PCA density built
// as an explicit Gaussian), thresholds at a false-alarm rate and the detection report worked out by
// hand, detectors end to end on synthetic data, the VAE's scores, errors, and live buffers.
import { describe, expect, it } from 'vitest';
import * as gg from '../../src/index.js';
import { symmetricEigen } from '../../src/models/shared/eigen.js';
import { cholesky } from '../../src/models/shared/linalg.js';
import { MlpVae } from '../../src/models/vae/index.js';
import { GaussianMixture } from '../../src/models/gmm/index.js';
import { MlpDenoiser, NoiseSchedule } from '../../src/models/diffusion/index.js';

const { AnomalyDetector, Pca, detectionReport, thresholdAtFalseAlarmRate, diffusionScore, gmmScore, pcaScore, vaeScore } = gg.anomaly;
const live = () => gg.runtime().memory().liveBuffers;

/** n rows of D correlated Gaussian features (seeded), rounded to f32: x = mean + shift + A z, with one fixed random A per D. */
function correlatedRows(n: number, d: number, seed: number, shift = 0): number[][] {
  const fixed = new gg.data.SeededRandom(d);
  const mixing = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (j <= i ? fixed.normal() / (1 + j) : 0)));
  const random = new gg.data.SeededRandom(seed);
  const rows: number[][] = [];
  for (let r = 0; r < n; r++) {
    const z = Array.from({ length: d }, () => random.normal());
    rows.push(mixing.map((row, i) => Math.fround(1 + i + shift + row.reduce((s, a, j) => s + a * z[j], 0))));
  }
  return rows;
}

/** Sample mean and covariance (denominator N - 1) in float64. */
function moments(rows: number[][]): { mean: number[]; covariance: number[][] } {
  const [n, d] = [rows.length, rows[0].length];
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / n);
  const covariance = mean.map((mi, i) => mean.map((mj, j) => rows.reduce((s, r) => s + (r[i] - mi) * (r[j] - mj), 0) / (n - 1)));
  return { mean, covariance };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);

describe('symmetricEigen', () => {
  it('solves A v = λ v with orthonormal vectors, largest first, on full-rank, rank-deficient and repeated spectra', () => {
    const random = new gg.data.SeededRandom(3);
    for (const [n, rank] of [[1, 1], [2, 2], [7, 7], [13, 5], [30, 30]]) {
      const b = Array.from({ length: n }, () => Array.from({ length: rank }, () => random.normal()));
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = dot(b[i], b[j]);
      const { values, vectors } = symmetricEigen(a, n);
      for (let k = 0; k < n; k++) {
        const v = vectors.subarray(k * n, (k + 1) * n);
        for (let i = 0; i < n; i++) expect(dot(a.subarray(i * n, (i + 1) * n), v)).toBeCloseTo(values[k] * v[i], 10);
        for (let l = 0; l < n; l++) expect(dot(v, vectors.subarray(l * n, (l + 1) * n))).toBeCloseTo(k === l ? 1 : 0, 12);
        if (k > 0) expect(values[k]).toBeLessThanOrEqual(values[k - 1]);
        if (k >= rank) expect(Math.abs(values[k])).toBeLessThan(1e-10);
      }
    }
    // A repeated eigenvalue: the identity's.
    expect(Array.from(symmetricEigen([2, 0, 0, 0, 2, 0, 0, 0, 2], 3).values)).toEqual([2, 2, 2]);
  });

  it('names what is wrong with its input', () => {
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow(/symmetricEigen: expected an n x n matrix.*3 values for n = 2/);
    expect(() => symmetricEigen([1, NaN, NaN, 1], 2)).toThrow(/symmetricEigen: entry \(0, 1\) is NaN/);
  });
});

describe('Pca', () => {
  const rows = correlatedRows(41, 6, 1);
  const { mean, covariance } = moments(rows);

  it('finds the covariance eigenvectors, projects, reconstructs and scores as float64 does', async () => {
    const before = live();
    const x = gg.tensor(rows);
    const pca = await new Pca({ nComponents: 3 }).fit(x);
    const components = pca.components;
    const variances = pca.explainedVariance;
    for (let c = 0; c < 3; c++) {
      // C v = λ v with the float64 covariance, unit length.
      for (let i = 0; i < 6; i++) expect(dot(covariance[i], components[c]) / variances[c]).toBeCloseTo(components[c][i], 3);
      expect(dot(components[c], components[c])).toBeCloseTo(1, 10);
    }
    pca.mean.forEach((m, j) => expect(m).toBeCloseTo(mean[j], 5));
    const total = covariance.reduce((s, row, i) => s + row[i], 0);
    pca.explainedVarianceRatio.forEach((r, c) => expect(r).toBeCloseTo(variances[c] / total, 5));
    expect(pca.noiseVariance).toBeCloseTo((total - variances.reduce((a, b) => a + b, 0)) / 3, 4);

    const centred = rows.map((r) => r.map((v, j) => v - mean[j]));
    const z = centred.map((r) => components.map((u) => dot(r, u)));
    const residual = centred.map((r, i) => r.map((v, j) => v - components.reduce((s, u, c) => s + z[i][c] * u[j], 0)));
    const [projected, back, error, logDensity] = gg.scope(() => {
      const t = pca.transform(x);
      return [t, pca.inverseTransform(t), pca.reconstructionError(x), pca.scoreSamples(x)];
    });
    expect(projected.shape).toEqual([41, 3]);
    const [p, b, e, l] = [await projected.data(), await back.data(), await error.data(), await logDensity.data()];
    // The explicit PPCA Gaussian: covariance Uᵀ diag(λ) U + σ² (I - Uᵀ U), its density by Cholesky.
    const sigma2 = pca.noiseVariance;
    const model = new Float64Array(36);
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) model[i * 6 + j] = (i === j ? sigma2 : 0) + components.reduce((s, u, c) => s + (variances[c] - sigma2) * u[i] * u[j], 0);
    }
    const factor = cholesky(model, 6)!;
    let logDet = 0;
    for (let i = 0; i < 6; i++) logDet += 2 * Math.log(factor[i * 6 + i]);
    rows.forEach((_, i) => {
      z[i].forEach((v, c) => expect(p[i * 3 + c]).toBeCloseTo(v, 4));
      rows[i].forEach((v, j) => expect(b[i * 6 + j]).toBeCloseTo(v - residual[i][j], 4));
      expect(e[i]).toBeCloseTo(residual[i].reduce((s, v) => s + v * v, 0), 3);
      // Solve L y = r: the Mahalanobis distance is |y|².
      const y: number[] = [];
      for (let r = 0; r < 6; r++) y.push((centred[i][r] - y.reduce((s, v, m) => s + factor[r * 6 + m] * v, 0)) / factor[r * 6 + r]);
      expect(l[i]).toBeCloseTo(-0.5 * (dot(y, y) + logDet + 6 * Math.log(2 * Math.PI)), 3);
    });
    for (const t of [x, projected, back, error, logDensity]) t.dispose();
    pca.dispose();
    expect(live()).toBe(before);
  });

  it('whitens to unit variance and, keeping every component, reconstructs exactly', async () => {
    const x = gg.tensor(rows);
    const pca = await new Pca({ whiten: true }).fit(x);
    expect(pca.components.length).toBe(6);
    const [projected, back] = gg.scope(() => {
      const t = pca.transform(x);
      return [t, pca.inverseTransform(t)];
    });
    const p = await projected.data();
    // Unit variance up to the f32 covariance's rounding, which the smallest variances feel most.
    for (let c = 0; c < 6; c++) {
      const column = rows.map((_, i) => p[i * 6 + c]);
      expect(column.reduce((s, v) => s + v * v, 0) / 40).toBeCloseTo(1, 1);
    }
    const b = await back.data();
    rows.forEach((row, i) => row.forEach((v, j) => expect(b[i * 6 + j]).toBeCloseTo(v, 3)));
    expect(() => pca.scoreSamples(x)).toThrow(/Pca.scoreSamples: the noise variance is 0/);
    for (const t of [x, projected, back]) t.dispose();
    pca.dispose();
  });

  it('names the op, the shapes and the dtype on bad input', async () => {
    expect(() => new Pca({ nComponents: 0 })).toThrow(/Pca: nComponents must be a positive integer, got 0/);
    const pca = new Pca({ nComponents: 2 });
    const x = gg.zeros([5, 3]);
    expect(() => pca.transform(x)).toThrow(/Pca.transform: the PCA is not fitted/);
    await expect(new Pca({ nComponents: 4 }).fit(x)).rejects.toThrow(/Pca.fit: nComponents 4 exceeds min\(N, D\) = 3 for x \[5, 3\]/);
    await expect(pca.fit(gg.zeros([5], { dtype: 'f32' }))).rejects.toThrow(/Pca.fit: expected rows \[N, D\] f32, got \[5\] f32/);
    await pca.fit(gg.tensor(correlatedRows(5, 3, 2)));
    expect(() => pca.transform(gg.zeros([2, 4]))).toThrow(/Pca.transform: expected rows \[N, 3\] f32, got \[2, 4\] f32/);
    expect(() => pca.inverseTransform(gg.zeros([2, 3]))).toThrow(/Pca.inverseTransform: expected coordinates \[N, 2\] f32, got \[2, 3\] f32/);
    pca.dispose();
    x.dispose();
  });
});

describe('thresholds and reports', () => {
  it('flags at most the false-alarm rate of the normal scores', () => {
    const normal = [3, 1, 4, 1, 5, 9, 2, 6, 5, 8];
    expect(thresholdAtFalseAlarmRate(normal, 0.2)).toBe(6); // 8 and 9 lie above it
    expect(thresholdAtFalseAlarmRate(normal, 0.25)).toBe(6); // floor(2.5) = 2 flagged
    expect(thresholdAtFalseAlarmRate(normal, 0)).toBe(9); // nothing above the largest
    expect(thresholdAtFalseAlarmRate([1, 1, 1, 1], 0.5)).toBe(1); // ties lower the rate: none flagged
    expect(() => thresholdAtFalseAlarmRate(normal, 1)).toThrow(/falseAlarmRate must be in \[0, 1\), got 1/);
    expect(() => thresholdAtFalseAlarmRate([1, NaN], 0.1)).toThrow(/normal score 1 is NaN/);
    expect(() => thresholdAtFalseAlarmRate([], 0.1)).toThrow(/no normal scores/);
  });

  it('counts the confusion matrix and derives precision, recall, the false-alarm rate, F1 and the AUC', () => {
    // Anomalies score 5, 7, 2; normals 1, 3, 6, 0. Above 4: 5, 7 (TP) and 6 (FP).
    const report = detectionReport([5, 1, 7, 3, 2, 6, 0], [1, 0, 1, 0, 1, 0, 0], 4);
    expect(report).toMatchObject({ threshold: 4, truePositives: 2, falsePositives: 1, trueNegatives: 3, falseNegatives: 1 });
    expect(report.precision).toBeCloseTo(2 / 3, 12);
    expect(report.recall).toBeCloseTo(2 / 3, 12);
    expect(report.falseAlarmRate).toBeCloseTo(1 / 4, 12);
    expect(report.f1).toBeCloseTo(2 / 3, 12);
    // Pairs (anomaly, normal) won: 5 beats 1, 3, 0; 7 beats all four; 2 beats 1, 0: 9 of 12.
    expect(report.auc).toBeCloseTo(9 / 12, 12);
    expect(detectionReport([1, 2], [0, 1], 5).precision).toBeNaN();
    expect(() => detectionReport([1, 2], [0, 1], NaN)).toThrow(/threshold is NaN/);
  });
});

describe('AnomalyDetector', () => {
  it('separates far rows with PCA and mixture scores, holds the false-alarm rate, batch size aside', async () => {
    const before = live();
    const [train, heldOut, normal, far] = [correlatedRows(300, 5, 4), correlatedRows(200, 5, 5), correlatedRows(100, 5, 6), correlatedRows(100, 5, 7, 10)];
    const [x, calibration, test] = [gg.tensor(train), gg.tensor(heldOut), gg.tensor([...normal, ...far])];
    const labels = [...normal.map(() => 0), ...far.map(() => 1)];
    const pca = await new Pca({ nComponents: 2 }).fit(x);
    const gmm = new GaussianMixture({ nComponents: 2, seed: 0 });
    const features = gg.scope(() => pca.transform(x));
    await gmm.fit(features);
    features.dispose();
    const scores = { reconstruction: pcaScore(pca), likelihood: pcaScore(pca, { kind: 'likelihood' }), mixture: gmmScore(gmm, (rows) => pca.transform(rows)) };
    for (const [name, score] of Object.entries(scores)) {
      const detector = new AnomalyDetector(score);
      const whole = await detector.scores(test);
      expect(Array.from(await detector.scores(test, { batchSize: 33 }))).toEqual(Array.from(whole));
      const threshold = await detector.fitThreshold(calibration, { falseAlarmRate: 0.1 });
      expect(detector.threshold).toBe(threshold);
      const flags = await detector.predict(test);
      expect(flags.length).toBe(200);
      const report = await detector.evaluate(test, labels);
      expect(report.auc, name).toBeGreaterThan(0.95);
      expect(report.falseAlarmRate, name).toBeLessThan(0.25);
      expect(report.truePositives + report.falsePositives).toBe(flags.reduce((s, f) => s + f, 0));
    }
    await expect(new AnomalyDetector(pcaScore(pca)).predict(test)).rejects.toThrow(/AnomalyDetector.predict: no threshold; call fitThreshold/);
    await expect(new AnomalyDetector(() => [1]).scores(test)).rejects.toThrow(/the score function gave 1 scores for 200 rows/);
    for (const t of [x, calibration, test]) t.dispose();
    pca.dispose();
    expect(live()).toBe(before);
  });

  it("scores with a VAE's -ELBO, importance-weighted bound and reconstruction error", async () => {
    const before = live();
    const model = new MlpVae({ inputDim: 6, hiddenDim: 5, latentDim: 3, generator: new gg.Generator(1) });
    const images = gg.rand([9, 6], { generator: new gg.Generator(2) });
    const [elbo, iwae, reconstruction] = await Promise.all((['elbo', 'iwae', 'reconstruction'] as const).map((kind) => new AnomalyDetector(vaeScore(model, { kind, samples: 8 })).scores(images)));
    for (const scores of [elbo, iwae, reconstruction]) expect(scores.every(Number.isFinite)).toBe(true);
    // The reconstruction term at the posterior mean, by hand: Bernoulli cross-entropy of sigmoid(logits).
    const logits = gg.scope(() => model.decode(model.encode(images).mu));
    const [l, x] = [await logits.data(), await images.data()];
    for (let i = 0; i < 9; i++) {
      let nats = 0;
      for (let j = 0; j < 6; j++) nats += Math.log1p(Math.exp(-Math.abs(l[i * 6 + j]))) + Math.max(l[i * 6 + j], 0) - l[i * 6 + j] * x[i * 6 + j];
      expect(reconstruction[i]).toBeCloseTo(nats, 4);
    }
    // The bound with k = 8 lies below the -ELBO averaged over 8 draws, on average over the images.
    expect(iwae.reduce((a, b) => a + b, 0)).toBeLessThan(elbo.reduce((a, b) => a + b, 0));
    expect(() => vaeScore(model, { kind: 'energy' as 'elbo' })).toThrow(/vaeScore: kind must be 'elbo', 'iwae' or 'reconstruction', got 'energy'/);
    for (const t of [images, logits]) t.dispose();
    model.dispose();
    expect(live()).toBe(before);
  });
  it("scores with a diffusion model's denoising error, for epsilon and v prediction", async () => {
    const before = live();
    // A fresh MlpDenoiser's output layer is zero, so it predicts 0 and the error is the target's mean square:
    // ε², or v² = (sqrt(ā) ε - sqrt(1 - ā) x)², with ε replayed from the same seeded generator.
    const model = new MlpDenoiser({ dim: 5, hidden: 8, blocks: 1, generator: new gg.Generator(3) });
    const schedule = new NoiseSchedule({ steps: 50 });
    const rows = gg.rand([7, 5], { generator: new gg.Generator(4) });
    const x = await rows.data();
    const steps = [0, 13, 49];
    for (const prediction of ['epsilon', 'v'] as const) {
      const scores = await new AnomalyDetector(diffusionScore(model, schedule, { steps, samples: 2, prediction, generator: new gg.Generator(5) })).scores(rows);
      const replay = new gg.Generator(5);
      const expected = new Float64Array(7);
      for (const t of steps) {
        const [signal, sigma] = [Math.sqrt(schedule.alphasCumprod[t]), Math.sqrt(1 - schedule.alphasCumprod[t])];
        for (let draw = 0; draw < 2; draw++) {
          const noise = gg.randn([7, 5], { generator: replay });
          const e = await noise.data();
          noise.dispose();
          for (let i = 0; i < 35; i++) {
            const target = prediction === 'epsilon' ? e[i] : signal * e[i] - sigma * x[i];
            expected[Math.floor(i / 5)] += target ** 2 / (5 * steps.length * 2);
          }
        }
      }
      for (let i = 0; i < 7; i++) expect(scores[i]).toBeCloseTo(expected[i], 5);
    }
    // The default steps lie in the first half of the schedule; its defaults score too.
    expect((await new AnomalyDetector(diffusionScore(model, schedule)).scores(rows)).every(Number.isFinite)).toBe(true);
    expect(() => diffusionScore(model, schedule, { steps: [50] })).toThrow(/diffusionScore: steps must be integers in \[0, 50\), got \[50\]/);
    expect(() => diffusionScore(model, schedule, { samples: 0 })).toThrow(/diffusionScore: samples must be a positive integer, got 0/);
    rows.dispose();
    schedule.dispose();
    model.dispose();
    expect(live()).toBe(before);
  });
});
