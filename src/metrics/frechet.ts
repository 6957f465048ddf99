// The Fréchet distance between two Gaussians fitted to feature sets (the FID of Heusel et al., 2017,
// with any feature extractor):
//   d² = |μ₁ - μ₂|² + tr(Σ₁) + tr(Σ₂) - 2 tr((Σ₁^½ Σ₂ Σ₁^½)^½).
// The moments are computed on the GPU (a mean and one matmul of the centred features); the matrix
// square roots in float64 on the host by Jacobi eigendecomposition of the symmetric matrices
// (exact to rounding for the few hundred feature dimensions a classifier's layer has).

import { noGrad } from '../autograd.js';
import { Tensor, formatShape, scope } from '../tensor.js';

/** A Gaussian fitted to n feature vectors of dimension `dim`: the mean and the unbiased covariance (row-major). */
export interface GaussianStatistics {
  /** Dimension of the feature vectors. */
  dim: number;
  /** Number of feature vectors n. */
  count: number;
  /** The mean [dim]. */
  mean: Float64Array;
  /** The unbiased covariance [dim, dim], row-major. */
  covariance: Float64Array;
}

/** Mean and covariance (divided by n - 1) of features [n, dim], n >= 2. Reads the GPU. */
export async function gaussianStatistics(features: Tensor): Promise<GaussianStatistics> {
  features.assertAlive('gaussianStatistics');
  if (features.dtype !== 'f32' || features.rank !== 2 || features.shape[0] < 2) {
    throw new Error(`gaussianStatistics: expected f32 features [n >= 2, dim], got ${formatShape(features.shape)} ${features.dtype}`);
  }
  const [n, dim] = features.shape;
  const [mean, covariance] = noGrad(() =>
    scope(() => {
      const mu = features.mean(0, true);
      const centred = features.sub(mu);
      return [mu, centred.matmul(centred, { transA: true }).div(n - 1)];
    }),
  );
  try {
    return { dim, count: n, mean: Float64Array.from(await mean.data()), covariance: Float64Array.from(await covariance.data()) };
  } finally {
    mean.dispose();
    covariance.dispose();
  }
}

/**
 * Eigenvalues and eigenvectors of a symmetric matrix [n, n] (row-major) by cyclic Jacobi rotations:
 * `vectors` holds them as columns (row-major), so A = V diag(values) Vᵀ.
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): {
  /** The n eigenvalues (unsorted). */
  values: Float64Array;
  /** [n, n] row-major, eigenvector i in column i. */
  vectors: Float64Array;
} {
  if (matrix.length !== n * n) throw new Error(`symmetricEigen: expected ${n} x ${n} = ${n * n} values, got ${matrix.length}`);
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i] * a[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let offDiagonal = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) offDiagonal += a[p * n + q] ** 2;
    if (offDiagonal <= 1e-30 * scale || offDiagonal === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        // The rotation that zeroes a[p][q] (Numerical Recipes' stable form).
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]), vectors: v };
}

/** The symmetric square root of a symmetric positive semi-definite matrix (negative rounding noise clipped to 0). */
function sqrtPsd(matrix: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n);
  const roots = values.map((x) => Math.sqrt(Math.max(0, x)));
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i * n + k] * roots[k] * vectors[j * n + k];
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j];
    }
  }
  return out;
}

/** The squared Fréchet distance between the Gaussians N(μ₁, Σ₁) and N(μ₂, Σ₂) (float64, >= 0). */
export function frechetDistance(a: GaussianStatistics, b: GaussianStatistics): number {
  const n = a.dim;
  if (b.dim !== n || a.mean.length !== n || b.mean.length !== n || a.covariance.length !== n * n || b.covariance.length !== n * n) {
    throw new Error(`frechetDistance: statistics of dimension ${a.dim} and ${b.dim} (means ${a.mean.length}, ${b.mean.length}) do not match`);
  }
  let meanTerm = 0;
  let traces = 0;
  for (let i = 0; i < n; i++) {
    meanTerm += (a.mean[i] - b.mean[i]) ** 2;
    traces += a.covariance[i * n + i] + b.covariance[i * n + i];
  }
  const rootA = sqrtPsd(a.covariance, n);
  const middle = multiply(multiply(rootA, b.covariance, n), rootA, n);
  // symmetrise away rounding before the second eigendecomposition
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) middle[i * n + j] = middle[j * n + i] = (middle[i * n + j] + middle[j * n + i]) / 2;
  const crossTrace = symmetricEigen(middle, n).values.reduce((s, x) => s + Math.sqrt(Math.max(0, x)), 0);
  return Math.max(0, meanTerm + traces - 2 * crossTrace);
}
