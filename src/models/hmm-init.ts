// Starting parameters for the Gaussian hidden Markov model's Baum-Welch fit, computed on the GPU as
// hmmlearn does it: means by k-means (k-means++ seeding, then Lloyd iterations) over all frames, and
// covariances from the data's covariance. Assignments reuse the emission kernel (a unit diagonal
// Gaussian per centre: the largest log-density is the nearest centre) and the centre updates reuse
// the emission-statistics kernel with one-hot posteriors, so one Lloyd iteration is two kernels and
// one small readback.

import { Tensor, scope } from '../tensor.js';
import { ones, tensor, zeros } from '../ops/creation.js';
import { addScalar, div, minimum, square, sub } from '../ops/elementwise.js';
import { concat, indexSelect, oneHot } from '../ops/indexing.js';
import { matmul } from '../ops/matmul.js';
import { reshape, transpose } from '../ops/movement.js';
import { argmax, mean, sum } from '../ops/reduce.js';
import { multinomial, randint, type Generator } from '../ops/random.js';
import { emissionLogProb, emissionStatistics } from './hmm-kernels.js';

/** Lloyd iterations stop after this many... */
const KMEANS_MAX_ITER = 100;
/** ...or once the centres move (sum of squared shifts) less than this times the mean feature variance (scikit-learn's KMeans tol). */
const KMEANS_TOL = 1e-4;
/** Added to the k-means++ weights so that data with fewer distinct rows than centres still draws a row. */
const SEEDING_FLOOR = 1e-30;

export interface DataMoments {
  /** [D] feature means. */
  mean: Float64Array;
  /** [D, D] population covariance of the frames. */
  covariance: Float64Array;
}

/** The mean and covariance of the rows of x [N, D]: one readback. */
export async function dataMoments(x: Tensor): Promise<DataMoments> {
  const [n, d] = x.shape;
  const both = scope(() => {
    const center = mean(x, 0);
    const centred = sub(x, center);
    const covariance = div(matmul(transpose(centred), centred), n);
    return concat([center, reshape(covariance, [d * d])]);
  });
  const values = Float64Array.from((await both.data()) as Float32Array);
  both.dispose();
  return { mean: values.slice(0, d), covariance: values.slice(d) };
}

/** i32 [N]: the index of the nearest of the k centres [k, D] to each row of x. */
function nearestCenter(x: Tensor, centers: Tensor): Tensor {
  const [k, d] = centers.shape;
  return scope(() => {
    const unitGaussians = { kind: 'diag' as const, nFeatures: d, means: centers, factors: ones([k, d]), logNorm: zeros([k]) };
    return argmax(emissionLogProb(x, unitGaussians, k), -1);
  });
}

/**
 * k-means++ seeding on the GPU (Arthur & Vassilvitskii): the first centre uniformly, each next one
 * drawn with probability proportional to the squared distance to the nearest centre so far.
 */
function seedCenters(x: Tensor, k: number, generator: Generator): Tensor {
  return scope(() => {
    const squaredDistance = (center: Tensor) => sum(square(sub(x, center)), -1);
    const chosen = [indexSelect(x, 0, randint(0, x.shape[0], [1], { generator }))];
    let nearest = squaredDistance(chosen[0]);
    for (let i = 1; i < k; i++) {
      const center = indexSelect(x, 0, multinomial(addScalar(nearest, SEEDING_FLOOR), 1, { generator }));
      chosen.push(center);
      const closer = minimum(nearest, squaredDistance(center));
      nearest.dispose();
      nearest = closer;
    }
    return concat(chosen, 0);
  });
}

/**
 * k cluster centres of the rows of x [N, D] (N >= k): k-means++ seeding, then Lloyd iterations until
 * the centres settle. A centre that loses all its rows stays where it is. Returns [k * D] in float64.
 */
export async function kmeansCenters(x: Tensor, k: number, generator: Generator, variances: Float64Array): Promise<Float64Array> {
  const d = x.shape[1];
  const seeded = seedCenters(x, k, generator);
  let centers = Float64Array.from((await seeded.data()) as Float32Array);
  seeded.dispose();
  const tolerance = (KMEANS_TOL * variances.reduce((s, v) => s + v, 0)) / d;
  const per = 1 + 2 * d;
  for (let iteration = 0; iteration < KMEANS_MAX_ITER; iteration++) {
    const statsTensor = scope(() => {
      const centerTensor = tensor(Float32Array.from(centers), [k, d]);
      const assignment = oneHot(nearestCenter(x, centerTensor), k);
      return emissionStatistics(x, assignment, 'diag', d, centerTensor);
    });
    const stats = (await statsTensor.data()) as Float32Array;
    statsTensor.dispose();
    const moved = Float64Array.from(centers);
    let shiftTotal = 0;
    for (let c = 0; c < k; c++) {
      const count = stats[c * per];
      if (count === 0) continue;
      for (let i = 0; i < d; i++) {
        const step = stats[c * per + 1 + i] / count;
        moved[c * d + i] += step;
        shiftTotal += step * step;
      }
    }
    centers = Float64Array.from(Float32Array.from(moved));
    if (shiftTotal <= tolerance) break;
  }
  return centers;
}
