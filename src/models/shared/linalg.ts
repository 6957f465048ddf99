// Float64 linear algebra on the host for the Gaussian models (src/models/gmm, src/models/hmm): the
// Cholesky factor of a covariance, the inverse of that factor, the data's moments, and rows() for
// handing flat parameters back as nested arrays. Everything here is K x D x D sized: a GPU launch per
// tiny matrix would cost more than it saves, and float64 keeps the factors exact enough for f32 kernels.

import { Tensor, scope } from '../../tensor.js';
import { concat } from '../../ops/indexing.js';
import { div, sub } from '../../ops/elementwise.js';
import { matmul } from '../../ops/matmul.js';
import { reshape, transpose } from '../../ops/movement.js';
import { mean, variance } from '../../ops/reduce.js';

/**
 * The lower Cholesky factor L of the symmetric D x D matrix at a[offset..] (L Lᵀ = A, reading A's
 * lower triangle), or null when A is not positive definite.
 */
export function cholesky(a: Float64Array, d: number, offset = 0): Float64Array | null {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let diagonal = a[offset + j * d + j];
    for (let m = 0; m < j; m++) diagonal -= l[j * d + m] * l[j * d + m];
    if (!(diagonal > 0)) return null;
    const pivot = Math.sqrt(diagonal);
    l[j * d + j] = pivot;
    for (let i = j + 1; i < d; i++) {
      let value = a[offset + i * d + j];
      for (let m = 0; m < j; m++) value -= l[i * d + m] * l[j * d + m];
      l[i * d + j] = value / pivot;
    }
  }
  return l;
}

/**
 * The lower Cholesky factors of `count` consecutive D x D matrices, [count, D, D]; throws
 * `notPositiveDefinite(m)` for the first matrix m that has none.
 */
export function choleskyFactors(matrices: Float64Array, d: number, count: number, notPositiveDefinite: (m: number) => string): Float64Array {
  const factors = new Float64Array(count * d * d);
  for (let m = 0; m < count; m++) {
    const l = cholesky(matrices, d, m * d * d);
    if (!l) throw new Error(notPositiveDefinite(m));
    factors.set(l, m * d * d);
  }
  return factors;
}

/** Diagonal D x D factors sqrt(variance) from variances [K, D]: the Cholesky factors of diagonal covariances, [K, D, D]. */
export function diagonalFactors(variances: Float64Array, d: number): Float64Array {
  const k = variances.length / d;
  const factors = new Float64Array(k * d * d);
  for (let m = 0; m < k; m++) {
    for (let i = 0; i < d; i++) factors[m * d * d + i * d + i] = Math.sqrt(variances[m * d + i]);
  }
  return factors;
}

/**
 * L⁻¹ (lower triangular) of the lower-triangular D x D matrix at l[offset..], by forward
 * substitution: column j solves L y = e_j. Its transpose U = L⁻ᵀ is the upper precision factor
 * (U Uᵀ = (L Lᵀ)⁻¹) that the log-density kernel reads.
 */
export function inverseLower(l: Float64Array, d: number, offset = 0): Float64Array {
  const inverse = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let i = j; i < d; i++) {
      let value = i === j ? 1 : 0;
      for (let m = j; m < i; m++) value -= l[offset + i * d + m] * inverse[m * d + j];
      inverse[i * d + j] = value / l[offset + i * d + i];
    }
  }
  return inverse;
}

/** Consecutive runs of `width` values as rows. */
export function rows(values: ArrayLike<number>, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < values.length; i += width) out.push(Array.from({ length: width }, (_, j) => values[i + j]));
  return out;
}

/** Per-feature statistics of the rows of x [N, D], read back in float64. */
export interface DataMoments {
  /** [D] feature means. */
  means: Float64Array;
  /** [D] population variances (the covariance's diagonal when the covariance was asked for). */
  variances: Float64Array;
  /** [D, D] population covariance, when asked for. */
  covariance: Float64Array | null;
}

/**
 * The means and population variances of the rows of x [N, D], and with `withCovariance` their full
 * covariance (whose diagonal then gives the variances): one readback.
 */
export async function dataMoments(x: Tensor, withCovariance: boolean): Promise<DataMoments> {
  const [n, d] = x.shape;
  const both = scope(() => {
    const center = mean(x, 0);
    if (!withCovariance) return concat([center, variance(x, 0, { correction: 0 })]);
    const centred = sub(x, center);
    return concat([center, reshape(div(matmul(transpose(centred), centred), n), [d * d])]);
  });
  const values = Float64Array.from((await both.data()) as Float32Array);
  both.dispose();
  const means = values.slice(0, d);
  if (!withCovariance) return { means, variances: values.slice(d), covariance: null };
  const covariance = values.slice(d);
  return { means, variances: Float64Array.from({ length: d }, (_, i) => covariance[i * d + i]), covariance };
}
