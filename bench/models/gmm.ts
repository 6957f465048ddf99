// Benchmark: Gaussian mixture EM on 100k points x 16 dims x 32 components, full and diagonal
// covariances. Prints the time per EM iteration (and its two GPU passes alone), the time of a whole
// fit (k-means initialisation, then EM to convergence), and how well the fit recovered the
// generating means. When Python with scikit-learn is installed, times scikit-learn's
// GaussianMixture on the same data beside it.
// Run: npx tsx bench/models/gmm.ts   (N, D, K can be overridden: npx tsx bench/models/gmm.ts 20000 16 32)

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as gg from '../../src/node.js';
import { GaussianMixture, type GaussianMixtureCovarianceType as CovarianceType } from '../../src/models/gmm/index.js';
import { responsibilities, uploadGaussians, weightedMoments } from '../../src/models/shared/gaussian.js';
import { kernelFamily, kernelParameters, type MixtureState } from '../../src/models/gmm/params.js';

const [N, D, K] = [process.argv[2], process.argv[3], process.argv[4]].map((v, i) => (v ? Number(v) : [100_000, 16, 32][i]));
const TIMED_ITERATIONS = 5;

/** N points from K well-separated Gaussians with random per-feature scales (seeded), and the true means. */
function syntheticData(): { data: Float32Array; centers: number[][] } {
  const random = new gg.data.SeededRandom(2024);
  const centers = Array.from({ length: K }, () => Array.from({ length: D }, () => 12 * (random.random() - 0.5)));
  const scales = Array.from({ length: K }, () => Array.from({ length: D }, () => 0.3 + 0.5 * random.random()));
  const data = new Float32Array(N * D);
  for (let n = 0; n < N; n++) {
    const k = random.int(K);
    for (let i = 0; i < D; i++) data[n * D + i] = centers[k][i] + scales[k][i] * random.normal();
  }
  return { data, centers };
}

/** Median wall time of `runs` calls of an async function, in ms. */
async function median(runs: number, fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

/** How many true means have a fitted mean within 0.5, and the median distance from a true mean to its nearest fitted one. */
function recovery(fitted: number[][], truth: number[][]): string {
  const distances = truth.map((t) => Math.min(...fitted.map((f) => Math.sqrt(f.reduce((s, v, i) => s + (v - t[i]) ** 2, 0)))));
  const found = distances.filter((d) => d < 0.5).length;
  const median = [...distances].sort((a, b) => a - b)[Math.floor(distances.length / 2)];
  return `${found}/${truth.length} true means recovered within 0.5 (median distance ${median.toFixed(3)}, worst ${Math.max(...distances).toFixed(2)})`;
}

/** scikit-learn's seconds per EM iteration on the same data, or why it was skipped. */
function sklearnSecondsPerIteration(data: Float32Array, type: CovarianceType): number | string {
  // The first Python on PATH may lack scikit-learn where Debian's python3-sklearn serves /usr/bin/python3.
  const python = ['python3', '/usr/bin/python3'].find((exe) => spawnSync(exe, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0);
  if (!python) return 'skipped (no python3 on this machine imports sklearn)';
  const dir = mkdtempSync(join(tmpdir(), 'gmm-bench-'));
  const file = join(dir, 'data.f32');
  writeFileSync(file, data);
  const script = `
import time, numpy as np
from sklearn.mixture import GaussianMixture
x = np.fromfile(${JSON.stringify(file)}, dtype=np.float32).reshape(${N}, ${D})
g = GaussianMixture(n_components=${K}, covariance_type='${type}', max_iter=2, random_state=0).fit(x)
g.set_params(warm_start=True, max_iter=${TIMED_ITERATIONS}, tol=0)
start = time.perf_counter(); g.fit(x); print((time.perf_counter() - start) / ${TIMED_ITERATIONS})`;
  const result = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  rmSync(dir, { recursive: true, force: true });
  return result.status === 0 ? Number(result.stdout.trim().split('\n').pop()) : `failed: ${result.stderr.trim().split('\n').pop()}`;
}

await gg.init();
const info = gg.runtime().adapterInfo;
console.log(`gmm bench: N=${N}, D=${D}, K=${K} on ${info.vendor} ${info.architecture} ${info.description ?? ''}`.trim());
const { data, centers } = syntheticData();
const x = gg.tensor(data, [N, D]);

for (const type of ['full', 'diag'] as CovarianceType[]) {
  const fitStart = performance.now();
  const model = await new GaussianMixture({ nComponents: K, covarianceType: type, seed: 1, maxIter: 200 }).fit(x);
  const fitMs = performance.now() - fitStart;

  // The two GPU passes alone (parameters uploaded once, outside the timing).
  const shape = { nComponents: K, nFeatures: D, covarianceType: type };
  const params = model.getParameters();
  const state: MixtureState = {
    weights: Float64Array.from(params.weights),
    means: Float64Array.from(params.means.flat()),
    covariances: Float64Array.from((params.covariances as unknown[]).flat(2) as number[]),
  };
  const mixture = uploadGaussians(kernelParameters(state, shape));
  const { resp, logLikelihood } = responsibilities(x, mixture);
  await gg.runtime().sync();
  const eStepMs = await median(5, async () => {
    gg.scope(() => responsibilities(x, mixture));
    await gg.runtime().sync();
  });
  const statsMs = await median(5, async () => {
    gg.scope(() => weightedMoments(x, resp, mixture.means, kernelFamily(type)));
    await gg.runtime().sync();
  });
  for (const t of [resp, logLikelihood, mixture.means, mixture.precisions, mixture.logNorm]) t.dispose();

  // Whole EM iterations (E-step, statistics, one readback, host M-step), from the fitted parameters.
  const warm = new GaussianMixture({ nComponents: K, covarianceType: type, warmStart: true, maxIter: TIMED_ITERATIONS, tol: 0 }).setParameters(params);
  await warm.fit(x);
  const iterationMs = (await median(3, async () => void (await warm.fit(x)))) / TIMED_ITERATIONS;

  const sklearn = sklearnSecondsPerIteration(data, type);
  const sklearnText = typeof sklearn === 'number' ? `${(sklearn * 1000).toFixed(1)} ms/iteration` : sklearn;
  console.log(
    `${type.padEnd(4)}: ${iterationMs.toFixed(1)} ms/EM iteration (E-step ${eStepMs.toFixed(1)} ms, statistics ${statsMs.toFixed(1)} ms); ` +
      `whole fit (k-means init + EM) ${(fitMs / 1000).toFixed(2)} s, ${model.nIter} EM iterations, converged ${model.converged}; ` +
      `${recovery(model.means, centers)}; scikit-learn: ${sklearnText}`,
  );
}
x.dispose();
gg.shutdown();
process.exit(0);
