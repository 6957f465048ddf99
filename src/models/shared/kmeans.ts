// k-means on the GPU, the first parameters of the Gaussian mixture and of the Gaussian HMM:
// k-means++ seeding (kmeansPlusPlus) and Lloyd's iterations (lloyd), on x padded to Dp features
// (see gaussian.ts); and k distinct rows drawn uniformly (randomDistinctRows), the mixture's
// 'random_from_data' start.
//
// Seeding follows scikit-learn's kmeans_plusplus with n_local_trials: the first centre uniformly;
// then, for each next one, nLocalTrials candidates drawn with probability proportional to the squared
// distance to the nearest centre so far, keeping the candidate that lowers the total of those
// distances most ("greedy" k-means++). scikit-learn's default, and the mixture's, is
// 2 + floor(ln k) trials. One trial is Arthur and Vassilvitskii's plain k-means++, which the Gaussian
// HMM uses: hmmlearn calls scikit-learn's KMeans and so seeds greedily, but plain seeding is what
// this HMM has always drawn, and keeping it keeps its fits reproducible from a seed.
// Candidate distances are scored in shaders/models/kmeans_distances.wgsl; assignments reuse the
// log-density kernel (a unit diagonal Gaussian per centre: the largest log-density is the nearest
// centre) and the centre updates reuse the weighted-moments kernel with one-hot weights, so one Lloyd
// iteration is two kernels and one small readback.

import { runtime } from '../../context.js';
import { Tensor, scope } from '../../tensor.js';
import { full, tensor, zeros } from '../../ops/creation.js';
import { addScalar, mul, rsubScalar } from '../../ops/elementwise.js';
import { concat, indexSelect, oneHot } from '../../ops/indexing.js';
import { reshape } from '../../ops/movement.js';
import { argmax, argmin, sum } from '../../ops/reduce.js';
import { multinomial, randint, type Generator } from '../../ops/random.js';
import { grid1d } from '../../ops/shape.js';
import { componentSums, logDensities, padRows, weightedMoments, type GpuGaussians } from './gaussian.js';
import * as wgsl from '../../gpu/shaders.generated.js';

const WORKGROUP_SIZE = 64;
/** Lloyd iterations stop after this many... */
const KMEANS_MAX_ITER = 100;
/** ...or once the centres move (sum of squared shifts) less than this times the mean feature variance (scikit-learn's KMeans tol). */
const KMEANS_TOL = 1e-4;
/** Larger than any squared distance: the "nearest centre so far" before there is one. */
const NO_CENTER_YET = 3.4028234663852886e38;
/**
 * Added to the seeding weights (squared distances) so that data with fewer distinct points than
 * centres still has a positive weight to draw from (multinomial rejects an all-zero row); far below
 * any distance that matters, so the draws are otherwise unchanged.
 */
const SEEDING_FLOOR = 1e-30;

/** scikit-learn's default number of local trials per centre of greedy k-means++: 2 + floor(ln k). */
export function defaultLocalTrials(k: number): number {
  return 2 + Math.floor(Math.log(k));
}

/**
 * [T, N]: min(nearest[n], ||x_n - c_t||²) for the padded x [N, Dp], candidate centres [T, Dp] and
 * each sample's squared distance to its nearest centre so far, nearest [N].
 */
function candidateDistances(x: Tensor, candidates: Tensor, nearest: Tensor): Tensor {
  const [n, dp] = x.shape;
  const t = candidates.shape[0];
  const out = Tensor.empty([t, n], 'f32');
  runtime().dispatch({
    shader: wgsl.kmeans_distances,
    constants: { WG: WORKGROUP_SIZE },
    params: { n, t, blocks: dp / 4 },
    buffers: { x: x.buffer, candidates: candidates.buffer, nearest: nearest.buffer, out: out.buffer },
    workgroups: grid1d(n * t, WORKGROUP_SIZE),
  });
  return out;
}

/**
 * k-means++ seeding on the padded x [N, Dp] with nLocalTrials candidates per centre (see the file
 * header). Nothing is read back until the k centres are chosen. Returns [k, D] in float64.
 */
export async function kmeansPlusPlus(padded: Tensor, d: number, k: number, generator: Generator, nLocalTrials: number): Promise<Float64Array> {
  const [n, dp] = padded.shape;
  const centers = scope(() => {
    const first = indexSelect(padded, 0, randint(0, n, [1], { generator }));
    const chosen = [first];
    let nearest = scope(() => reshape(candidateDistances(padded, first, full([n], NO_CENTER_YET)), [n]));
    for (let i = 1; i < k; i++) {
      const next = scope(() => {
        const candidates = indexSelect(padded, 0, multinomial(addScalar(nearest, SEEDING_FLOOR), nLocalTrials, { generator }));
        const withCandidate = candidateDistances(padded, candidates, nearest);
        const best = reshape(argmin(sum(withCandidate, -1)), [1]);
        return { center: indexSelect(candidates, 0, best), nearest: reshape(indexSelect(withCandidate, 0, best), [n]) };
      });
      nearest.dispose();
      nearest = next.nearest;
      chosen.push(next.center);
    }
    return concat(chosen, 0);
  });
  const values = (await centers.data()) as Float32Array;
  centers.dispose();
  return Float64Array.from({ length: k * d }, (_, i) => values[Math.floor(i / d) * dp + (i % d)]);
}

/**
 * k distinct rows of the padded x [N, Dp] (k <= N), drawn uniformly without replacement (NumPy's
 * choice(N, k, replace=False), as scikit-learn's 'random_from_data' draws them): k draws, each from
 * the rows not drawn yet. Nothing is read back until the k rows are chosen. Returns [k, D] in float64.
 */
export async function randomDistinctRows(padded: Tensor, d: number, k: number, generator: Generator): Promise<Float64Array> {
  const [n, dp] = padded.shape;
  const rows = scope(() => {
    let available = full([n], 1);
    const chosen: Tensor[] = [];
    for (let i = 0; i < k; i++) {
      const index = reshape(multinomial(available, 1, { generator }), [1]);
      chosen.push(indexSelect(padded, 0, index));
      available = mul(available, rsubScalar(reshape(oneHot(index, n), [n]), 1));
    }
    return concat(chosen, 0);
  });
  const values = (await rows.data()) as Float32Array;
  rows.dispose();
  return Float64Array.from({ length: k * d }, (_, i) => values[Math.floor(i / d) * dp + (i % d)]);
}

/**
 * i32 [N]: the index of the nearest of the k centres [k, D] to each row of the padded x: the
 * log-density of unit spherical Gaussians with equal weights.
 */
export function nearestCenter(padded: Tensor, centers: Float64Array, k: number): Tensor {
  const dp = padded.shape[1];
  const d = centers.length / k;
  return scope(() => {
    const unitGaussians: GpuGaussians = {
      family: 'diag',
      nComponents: k,
      nFeatures: d,
      means: tensor(padRows(centers, d), [k, dp]),
      precisions: tensor(new Float32Array(k * dp).fill(1)),
      precisionStride: 0,
      logNorm: zeros([k]),
    };
    return argmax(logDensities(padded, unitGaussians), -1);
  });
}

/**
 * Lloyd's k-means from `start` [k, D] on the padded x: assign each row to its nearest centre, move
 * each centre to its rows' mean (a centre with no rows stays), until the centres settle (`variances`,
 * the data's per-feature variances, scale the tolerance). One readback per iteration. Returns [k, D]
 * in float64, each value an f32.
 */
export async function lloyd(padded: Tensor, start: Float64Array, variances: Float64Array): Promise<Float64Array> {
  const d = variances.length;
  const k = start.length / d;
  const tolerance = (KMEANS_TOL * variances.reduce((s, v) => s + v, 0)) / d;
  let centers = roundedToF32(start);
  for (let iteration = 0; iteration < KMEANS_MAX_ITER; iteration++) {
    const momentsTensor = scope(() => {
      const assignment = oneHot(nearestCenter(padded, centers, k), k);
      return weightedMoments(padded, assignment, tensor(padRows(centers, d), [k, padded.shape[1]]), 'diag');
    });
    const moments = (await momentsTensor.data()) as Float32Array;
    momentsTensor.dispose();
    const moved = Float64Array.from(centers);
    let shiftTotal = 0;
    for (let c = 0; c < k; c++) {
      const sums = componentSums(moments, 'diag', d, c);
      if (sums.mass === 0) continue;
      for (let i = 0; i < d; i++) {
        const step = sums.first(i) / sums.mass;
        moved[c * d + i] += step;
        shiftTotal += step * step;
      }
    }
    centers = roundedToF32(moved);
    if (shiftTotal <= tolerance) break;
  }
  return centers;
}

/** The values as the GPU holds them (rounded to f32). */
export function roundedToF32(values: Float64Array): Float64Array {
  return Float64Array.from(Float32Array.from(values));
}
